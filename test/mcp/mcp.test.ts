// MCP with the SDK's own client, over both transports: /mcp (Streamable HTTP) and `codex-sessions
// mcp` (stdio, the built dist/cli.js). Every tool is called and checked against the REST answer to
// the same question on the real fixtures; errors carry the API's codes; results stay within bounds.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, envelopeLines, REAL_HOME, tempHome, uuidN, writeSession } from '../helper.js';
import type { Line } from '../helper.js';
import { listen } from '../net.js';

const REAL_ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const TOOLS = ['list_sessions', 'read_session', 'search_session', 'search_sessions', 'session_usage', 'usage_report'];
const TOKEN = 'mcp-test-token-0123456789';
const clients: Client[] = [];
afterEach(async () => {
  while (clients.length > 0) await clients.pop()?.close();
});

async function serve(home: string, overrides = {}) {
  const app = await buildTestApp(home, overrides);
  const port = await listen(app);
  const base = `http://127.0.0.1:${port}`;
  const rest = async (path: string) => (await fetch(`${base}${path}`)).json() as Promise<Record<string, unknown>>;
  return { base, rest };
}

async function httpClient(base: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

async function stdioClient(home: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  const cli = resolve(import.meta.dirname, '../../dist/cli.js');
  // Codex only, as buildTestApp serves: the machine's own ~/.claude must not change the answers.
  const args = [cli, 'mcp', '--codex-home', home, '--agents', 'codex', '--no-index', '--log-level', 'silent'];
  await client.connect(new StdioClientTransport({ command: process.execPath, args }));
  clients.push(client);
  return client;
}

const call = async (client: Client, name: string, args: Record<string, unknown>) =>
  (await client.callTool({ name, arguments: args })) as CallToolResult;
const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const bytesOf = (r: CallToolResult) => Buffer.byteLength(textOf(r)) + Buffer.byteLength(JSON.stringify(r.structuredContent ?? {}));

describe.each(['http', 'stdio'] as const)('MCP over %s', (transport) => {
  const connect = async (home: string) => {
    const { base, rest } = await serve(home);
    return { client: transport === 'http' ? await httpClient(base) : await stdioClient(home), rest };
  };

  it('lists six read-only tools with input schemas, and answers each as the REST API does', async () => {
    const { client, rest } = await connect(REAL_HOME);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
      expect(t.inputSchema.type).toBe('object');
      expect(Object.keys(t.inputSchema.properties ?? {}).length).toBeGreaterThan(0);
      expect(t.description?.length).toBeGreaterThan(40);
    }

    const list = await call(client, 'list_sessions', { limit: 5, source: ['exec'] });
    const restList = await rest('/conversations?limit=5&head=0&source=exec');
    expect(list.structuredContent).toMatchObject({ items: restList.items, nextCursor: restList.nextCursor });
    expect(textOf(list)).toContain((restList.items as { id: string }[])[0]?.id);
    const next = await call(client, 'list_sessions', { limit: 5, source: ['exec'], cursor: restList.nextCursor });
    expect((next.structuredContent?.items as unknown[]).length).toBeGreaterThan(0);

    const search = await call(client, 'search_sessions', { q: 'failing test', limit: 3, matches: 2 });
    expect(search.structuredContent).toEqual(await rest('/search?q=failing%20test&limit=3&matches=2'));

    const inOne = await call(client, 'search_session', { id: REAL_ID, q: 'hello', scope: 'all' });
    expect(inOne.structuredContent).toEqual(await rest(`/conversations/${REAL_ID}/search?q=hello&scope=all`));
    expect(textOf(inOne)).toMatch(/line \d+ \(tool/);

    const usage = await call(client, 'session_usage', { id: REAL_ID });
    expect(usage.structuredContent).toEqual(await rest(`/conversations/${REAL_ID}/usage`));
    expect(textOf(usage)).toContain('2,491 tokens');

    const report = await call(client, 'usage_report', { groupBy: 'model' });
    expect(report.structuredContent).toEqual(await rest('/usage?groupBy=model&limit=100'));

    const read = await call(client, 'read_session', { id: REAL_ID });
    const exported = await (await fetch(`${(await serve(REAL_HOME)).base}/conversations/${REAL_ID}/export`)).text();
    expect(read.structuredContent).toEqual({ id: REAL_ID, turns: { first: 1, last: 1 }, nextCursor: null, redactions: 0 });
    // The piece is the export without its footer.
    expect(textOf(read)).toContain(exported.slice(0, exported.indexOf('\n---\n\n*Exported by')));
  });

  it('reads a long session in pieces of at most 100 KB, in order, with nothing lost', async () => {
    const home = await tempHome();
    const id = uuidN(1);
    const spec = { stamp: '2025-10-05T09-00-00', id, title: 'long one' };
    const lines: Line[] = [...envelopeLines(spec)];
    for (let i = 0; i < 400; i += 1) {
      const message = (role: string, type: string, text: string) => ({ type: 'message', role, content: [{ type, text }] });
      const question = message('user', 'input_text', `question ${i} ${'é'.repeat(600)}`);
      lines.push({ timestamp: '2025-10-05T09:00:01Z', type: 'response_item', payload: question });
      lines.push({ timestamp: '2025-10-05T09:00:02Z', type: 'response_item', payload: message('assistant', 'output_text', `answer ${i}`) });
    }
    await writeSession(home, spec, lines);
    const { client } = await connect(home);
    let cursor: string | undefined;
    let all = '';
    let pieces = 0;
    do {
      const r = await call(client, 'read_session', { id, ...(cursor === undefined ? {} : { cursor }), reasoning: false });
      expect(r.isError).toBeFalsy();
      expect(bytesOf(r)).toBeLessThanOrEqual(100_000);
      all += textOf(r);
      cursor = (r.structuredContent?.nextCursor as string | null) ?? undefined;
      pieces += 1;
    } while (cursor !== undefined && pieces < 50);
    expect(pieces).toBeGreaterThan(4);
    const order = [...all.matchAll(/(question|answer) (\d+)/g)].map((m) => `${m[1]}${m[2]}`);
    expect(order).toEqual(Array.from({ length: 400 }, (_, i) => [`question${i}`, `answer${i}`]).flat());
    expect(all.match(/## Turn \d+/g)).toHaveLength(401);
  });

  it('answers bad arguments, bad cursors and unknown ids with tool errors carrying the API code', async () => {
    const { client } = await connect(REAL_HOME);
    const cases: [string, Record<string, unknown>, string][] = [
      ['read_session', { id: 'nope' }, 'INVALID_ID'],
      ['session_usage', { id: uuidN(999) }, 'NOT_FOUND'],
      ['read_session', { id: REAL_ID, cursor: 'garbage' }, 'INVALID_CURSOR'],
      ['read_session', { id: REAL_ID, cursor: Buffer.from('v1.5.2.0').toString('base64url') }, 'INVALID_CURSOR'],
      ['list_sessions', { limit: 'x' }, 'INVALID_QUERY'],
      ['list_sessions', { limit: 101 }, 'INVALID_QUERY'],
      ['list_sessions', { cursor: 'not-a-cursor' }, 'INVALID_CURSOR'],
      ['list_sessions', { colour: 'red' }, 'INVALID_QUERY'],
      ['search_sessions', {}, 'INVALID_QUERY'],
      ['search_sessions', { q: 'x', scope: 'everything' }, 'INVALID_QUERY'],
      ['usage_report', { tz: 'Mars/Olympus' }, 'INVALID_QUERY'],
      ['usage_report', { groupBy: 'planet' }, 'INVALID_QUERY'],
      ['search_session', { id: REAL_ID, q: 'x', limit: 0 }, 'INVALID_QUERY'],
    ];
    for (const [name, args, code] of cases) {
      const r = await call(client, name, args);
      expect(r.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(textOf(r), `${name} ${JSON.stringify(args)}`).toContain(code);
    }
    const typed = await call(client, 'session_usage', { id: uuidN(999) });
    expect(typed.structuredContent).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('serves each session as a Markdown resource', async () => {
    const { client } = await connect(REAL_HOME);
    const { resources } = await client.listResources();
    expect(resources.length).toBeGreaterThan(20);
    expect(resources.every((r) => r.uri.startsWith('codex-sessions://session/') && r.mimeType === 'text/markdown')).toBe(true);
    const read = await client.readResource({ uri: `codex-sessions://session/${REAL_ID}` });
    expect(read.contents[0]?.mimeType).toBe('text/markdown');
    expect(String((read.contents[0] as { text?: string } | undefined)?.text)).toContain('# run the linter and list files (#1)');
  });
});

describe('/mcp security', () => {
  it('needs the bearer token when one is configured, and refuses a foreign Host or Origin', async () => {
    const { base } = await serve(REAL_HOME, { token: TOKEN });
    await expect(httpClient(base)).rejects.toThrow();
    const client = await httpClient(base, { authorization: `Bearer ${TOKEN}` });
    expect((await client.listTools()).tools).toHaveLength(6);
    const init = { jsonrpc: '2.0', id: 1, method: 'tools/list' };
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${TOKEN}`,
          ...headers,
        },
        body: JSON.stringify(init),
      });
    const origin = await post({ origin: 'https://evil.example' });
    expect(origin.status).toBe(403);
    expect(((await origin.json()) as { code: string }).code).toBe('FORBIDDEN');
    const noToken = await post({ authorization: '' });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { code: string }).code).toBe('UNAUTHORIZED');
    expect((await post({ origin: base })).status).toBe(200);
  });

  it('refuses a rebinding Host name on loopback', async () => {
    const { base } = await serve(REAL_HOME);
    const { request } = await import('node:http');
    const port = Number(new URL(base).port);
    const status = await new Promise<number>((done, fail) => {
      const headers = { host: 'evil.example', 'content-type': 'application/json' };
      const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end('{}');
    });
    expect(status).toBe(403);
  });
});
