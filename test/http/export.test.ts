// GET /conversations/:id/export over real HTTP: Markdown and HTML of real and written sessions,
// redaction on by default with its count in X-Redactions, the tools and reasoning options, the
// bounds of tool output, a large export spooled past memory, and every bad parameter.
import { describe, expect, it } from 'vitest';
import { buildTestApp, envelopeLines, legacyLines, REAL_HOME, recordTypeLines, tempHome, uuidN, writeSession } from '../helper.js';
import type { Line } from '../helper.js';
import { listen } from '../net.js';

const REAL_ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const j = (...parts: string[]) => parts.join('');
const GH = j('ghp_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8');
const AWS = j('AKIA', 'IOSFODNN7EXAMPLE');

async function serve(home: string) {
  const app = await buildTestApp(home);
  const port = await listen(app);
  return (path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${port}${path}`, { headers });
}

const ts = '2025-10-05T09:00:00.000Z';
const item = (payload: Record<string, unknown>): Line => ({ timestamp: ts, type: 'response_item', payload });
const user = (text: string) => item({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });
const assistant = (text: string) => item({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] });
const shell = (id: string, cmd: string) =>
  item({ type: 'function_call', name: 'shell', call_id: id, arguments: JSON.stringify({ command: ['bash', '-lc', cmd] }) });
const output = (id: string, text: string, exit = 0) =>
  item({ type: 'function_call_output', call_id: id, output: JSON.stringify({ output: text, metadata: { exit_code: exit } }) });
const reasoning = (text: string) => item({ type: 'reasoning', summary: [{ type: 'summary_text', text }] });

const PATCH = '*** Begin Patch\n*** Update File: a.ts\n-old\n+new\n*** End Patch';

/** A session with a secret in a message, a command and an output, reasoning, and a patch. */
async function secretSession(home: string): Promise<string> {
  const id = uuidN(1);
  const spec = { stamp: '2025-10-05T09-00-00', id, title: null };
    await writeSession(home, spec, [
    ...envelopeLines(spec),
    user(`deploy with ${GH} please`),
    reasoning('**Checking** the deploy script'),
    shell('c1', `curl -H "Authorization: Bearer ${j('abc123def456', 'ghi789jkl')}" https://api.example.com`),
    output('c1', `AWS_ACCESS_KEY_ID=${AWS}\nok`, 0),
    item({ type: 'custom_tool_call', name: 'apply_patch', call_id: 'p1', input: PATCH }),
    assistant('Deployed. The password = swordfish was rotated.'),
  ]);
  return id;
}

describe('GET /conversations/:id/export', () => {
  it('exports a real 0.169 session as Markdown: header, one turn, each message once, the command and its output', async () => {
    const get = await serve(REAL_HOME);
    const res = await get(`/conversations/${REAL_ID}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="codex-session-${REAL_ID}.md"`);
    expect(res.headers.get('x-redactions')).toBe('0');
    const md = await res.text();
    expect(md).toMatch(/^# run the linter and list files \(#1\)\n/);
    expect(md).toContain(`| Session | \`${REAL_ID}\` |`);
    expect(md).toContain('| Project | `/home/dev/web-app` |');
    expect(md).toContain('| Model | mock-model |');
    expect(md).toContain('| Tokens | 2,491 (input 2,407, cached 200, output 84, reasoning 14) |');
    expect(md).toContain('| Cost | no price for its models |');
    expect(md.match(/## Turn \d+/g)).toEqual(['## Turn 1']);
    expect(md.match(/### User/g)).toHaveLength(1);
    expect(md.match(/### Assistant/g)).toHaveLength(1);
    expect(md).toContain('Mock reply #4: done.');
    expect(md).toContain('**Tool call** `exec_command`\n\n```sh\necho hello from mock && ls\n```');
    expect(md).toContain('Output of `exec_command` (exit 0):\n\n```\nhello from mock\n```');
    expect(md).toContain('> **Planning step 3**');
    // Injected context and developer instructions are not the conversation.
    expect(md).not.toContain('environment_context');
    expect(md).not.toContain('lorem ipsum');
    expect(md).toMatch(/\*Exported by codex-sessions \(0 secrets redacted\)\.\*\n$/);
  });

  it('redacts by default and counts it in X-Redactions; redact=false shows the secrets and sends no count', async () => {
    const home = await tempHome();
    const id = await secretSession(home);
    const get = await serve(home);
    const res = await get(`/conversations/${id}/export`);
    const md = await res.text();
    // The title (the first user message) is redacted in the header too: five in all.
    expect(res.headers.get('x-redactions')).toBe('5');
    expect(md).toMatch(/^# deploy with \[REDACTED:github_token\] please\n/);
    expect(md).toContain('deploy with [REDACTED:github_token] please');
    expect(md).toContain('Bearer [REDACTED:bearer]');
    expect(md).toContain('AWS_ACCESS_KEY_ID=[REDACTED:aws_key]');
    expect(md).toContain('password = [REDACTED:secret_assignment]');
    expect(md).not.toContain(GH);
    expect(md).not.toContain(AWS);
    expect(md).toContain('(5 secrets redacted)');

    const raw = await get(`/conversations/${id}/export?redact=false`);
    const plain = await raw.text();
    expect(raw.headers.get('x-redactions')).toBeNull();
    expect(plain).toContain(GH);
    expect(plain).toContain(AWS);
    expect(plain).toContain('(not redacted)');
  });

  it('shows tools in full, as one line each, or not at all, and reasoning only when asked', async () => {
    const home = await tempHome();
    const id = await secretSession(home);
    const get = await serve(home);
    const full = await (await get(`/conversations/${id}/export`)).text();
    expect(full).toContain('```diff\n*** Begin Patch\n*** Update File: a.ts\n-old\n+new\n*** End Patch\n```');
    expect(full).toContain('> **Checking** the deploy script');
    const summary = await (await get(`/conversations/${id}/export?tools=summary&reasoning=false`)).text();
    expect(summary).toContain('**Tool call** `shell`: `curl -H "Authorization: Bearer [REDACTED:bearer]" https://api.example.com`');
    expect(summary).toContain('**Tool call** `apply_patch`: `patch`');
    expect(summary).toContain('Result of `shell`: exit 0');
    expect(summary).not.toContain('AWS_ACCESS_KEY_ID');
    expect(summary).not.toContain('Checking');
    const none = await (await get(`/conversations/${id}/export?tools=none`)).text();
    expect(none).not.toContain('Tool call');
    expect(none).not.toContain('Output');
    expect(none).toContain('Deployed.');
  });

  it('bounds a long tool output to its head and tail, and still redacts a secret that crosses the cut', async () => {
    const home = await tempHome();
    const id = uuidN(2);
    const spec = { stamp: '2025-10-05T09-00-00', id, title: 'long output' };
        // The token starts 10 characters before the head's cut at 6,000: it is redacted whole.
    const long = `${'a'.repeat(5990)} ${GH} ${'b'.repeat(200_000)} THE-END`;
    await writeSession(home, spec, [...envelopeLines(spec), shell('c', 'cat big.log'), output('c', long)]);
    const get = await serve(home);
    const md = await (await get(`/conversations/${id}/export`)).text();
    expect(md).toContain('[REDACTED:github_token]');
    expect(md).not.toContain(GH.slice(0, 8));
    expect(md).toMatch(/… 1\d\d,\d{3} characters left out …/);
    expect(md).toContain('THE-END');
    expect(md.length).toBeLessThan(20_000);
  });

  it('exports the record_type and legacy generations', async () => {
    const home = await tempHome();
    const rtSpec = { stamp: '2025-07-01T10-00-00', id: uuidN(3), title: 'rt title' };
    const legacySpec = { stamp: '2025-04-01T10-00-00', id: uuidN(4), title: 'legacy title' };
    await writeSession(home, rtSpec, recordTypeLines(rtSpec));
    await writeSession(home, legacySpec, legacyLines(legacySpec));
    const get = await serve(home);
    const rt = await (await get(`/conversations/${uuidN(3)}/export`)).text();
    expect(rt).toContain('### Assistant');
    expect(rt).toContain('done');
    const legacy = await (await get(`/conversations/${uuidN(4)}/export?format=html`)).text();
    expect(legacy).toContain('legacy title');
    expect(legacy).toContain('<span class="who">Assistant</span>');
  });

  it('makes one self-contained HTML page: escaped content, no script, no external URL, a CSP', async () => {
    const home = await tempHome();
    const id = uuidN(5);
    const spec = { stamp: '2025-10-05T09-00-00', id, title: '<script>alert(1)</script> title' };
        await writeSession(home, spec, [
      ...envelopeLines(spec),
      assistant('<img src=x onerror=alert(2)> and <a href="https://evil.example/">link</a> and <style>body{display:none}</style>'),
      shell('c', 'echo "</pre><script>alert(3)</script>"'),
      output('c', '<iframe src="https://evil.example"></iframe>'),
    ]);
    const get = await serve(home);
    const res = await get(`/conversations/${id}/export?format=html`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // Only the page's own elements: every tag of the content was escaped, and nothing loads anything.
    const tags = new Set([...html.matchAll(/<([a-z0-9]+)/gi)].map((m) => (m[1] as string).toLowerCase()));
    const own = ['html', 'head', 'meta', 'title', 'style', 'body', 'header', 'h1', 'h2', 'table', 'tr', 'th', 'td', 'code', 'main'];
    expect([...tags].filter((t) => ![...own, 'article', 'div', 'span', 'section', 'pre', 'aside', 'p', 'footer'].includes(t))).toEqual([]);
    expect(html).not.toMatch(/<[^>]*\s(?:src|href|on\w+)=/i);
    expect(html).not.toMatch(/url\(|@import/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; title');
    expect(html).toContain('&lt;iframe src=&quot;https://evil.example&quot;&gt;');
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).toContain('@media print');
  });

  it('spools a large redacted export past memory and sends it whole with its length and count', async () => {
    const home = await tempHome();
    const id = uuidN(6);
    const spec = { stamp: '2025-10-05T09-00-00', id, title: 'big' };
        const lines: Line[] = [...envelopeLines(spec)];
    for (let i = 0; i < 2500; i += 1) lines.push(user(`message ${i} ${'x'.repeat(2000)} token=${j('hunter', String(i + 1000))}`));
    await writeSession(home, spec, lines);
    const get = await serve(home);
    const res = await get(`/conversations/${id}/export`, { 'accept-encoding': 'identity' });
    const md = await res.text();
    expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(md));
    expect(Buffer.byteLength(md)).toBeGreaterThan(5 * 1024 * 1024);
    expect(res.headers.get('x-redactions')).toBe('2500');
    expect(md).toContain('message 2499 ');
    expect(md.match(/## Turn \d+/g)).toHaveLength(2501);
  });

  const BAD: [string, string, string][] = [
    ['format=pdf', 'INVALID_QUERY', 'an unknown format'],
    ['tools=all', 'INVALID_QUERY', 'an unknown tools mode'],
    ['reasoning=maybe', 'INVALID_QUERY', 'a reasoning flag that is not a boolean'],
    ['redact=no', 'INVALID_QUERY', 'a redact flag that is not a boolean'],
    ['color=red', 'INVALID_QUERY', 'an unknown parameter'],
    ['format=html&format=markdown', 'INVALID_QUERY', 'a repeated format'],
  ];
  it.each(BAD)('answers %s with 400 %s (%s)', async (query, code) => {
    const get = await serve(REAL_HOME);
    const res = await get(`/conversations/${REAL_ID}/export?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it('answers a malformed id with 400 INVALID_ID and an unknown one with 404 NOT_FOUND', async () => {
    const get = await serve(REAL_HOME);
    const bad = await get('/conversations/not-a-uuid/export');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('INVALID_ID');
    const missing = await get(`/conversations/${uuidN(999)}/export`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
  });
});
