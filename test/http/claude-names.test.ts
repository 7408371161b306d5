// A Claude session's name (`ai-title`, `custom-title`) written after the head (docs/claude.md,
// "Summary rules"): Claude Code writes `ai-title` after the first answer, past where the head
// read stops, and a rename at any time. The list, lookups, search items, the `q=` filter and
// `/events` show it, with and without the index, also when it is appended live.
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE } from '../../src/config.js';
import { appFor, buildTestApp, indexReady, MODES, tempHome } from '../helper.js';
import { listen } from '../net.js';
import { SseClient } from '../sse.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const context = (sessionId: string) => ({ sessionId, cwd: '/w', version: '2.1.197', entrypoint: 'cli', isSidechain: false });
const prompt = (sessionId: string, s: number, text: string) =>
  JSON.stringify({ type: 'user', ...context(sessionId), timestamp: at(s), message: { role: 'user', content: text } });
const answer = (sessionId: string, s: number, text: string) =>
  JSON.stringify({
    type: 'assistant',
    ...context(sessionId),
    timestamp: at(s),
    requestId: `req_${s}`,
    message: { id: `msg_${s}`, model: 'claude-sonnet-4-5-20250929', role: 'assistant', content: [{ type: 'text', text }] },
  });
const aiTitle = (sessionId: string, name: string) => JSON.stringify({ type: 'ai-title', aiTitle: name, sessionId });
const customTitle = (sessionId: string, name: string) => JSON.stringify({ type: 'custom-title', customTitle: name, sessionId });
/** `n` answer lines of about `bytes` bytes each. */
const filler = (sessionId: string, n: number, bytes = 200) =>
  Array.from({ length: n }, (_, i) => answer(sessionId, 10 + (i % 40), `filler ${i} ${'x'.repeat(bytes)}`));

interface Item {
  id: string;
  name: string | null;
  title: string | null;
}

async function claudeProject(): Promise<{ claudeHome: string; project: string }> {
  const claudeHome = await tempHome();
  const project = join(claudeHome, 'projects', '-w');
  await mkdir(project, { recursive: true });
  return { claudeHome, project };
}

const write = (path: string, lines: string[]) => writeFile(path, lines.join('\n') + '\n');

describe.each(MODES)('a Claude name written after the head, $mode', ({ index }) => {
  it('names the session in the list, the lookup, search items and the q= filter', async () => {
    const { claudeHome, project } = await claudeProject();
    const late = 'a1000000-0000-4000-8000-000000000001';
    const renamed = 'a1000000-0000-4000-8000-000000000002';
    const plain = 'a1000000-0000-4000-8000-000000000003';
    // ai-title after the first answer and 30 more lines: the head read stops at the answer's model.
    await write(join(project, `${late}.jsonl`), [
      prompt(late, 1, 'say hello'),
      answer(late, 2, 'hello'),
      ...filler(late, 30),
      aiTitle(late, 'Greeting the user'),
      answer(late, 50, 'bye zebrafish'),
    ]);
    // A file past the title bound (over 1 MiB): its ai-title early, then a rename at the end.
    await write(join(project, `${renamed}.jsonl`), [
      prompt(renamed, 3, 'write a long story'),
      answer(renamed, 4, 'once upon a time'),
      aiTitle(renamed, 'Tale of dragons'),
      ...filler(renamed, 1200, 1000),
      customTitle(renamed, 'My renamed story'),
      answer(renamed, 55, 'the end zebrafish'),
    ]);
    await write(join(project, `${plain}.jsonl`), [prompt(plain, 5, 'no name here'), answer(plain, 6, 'ok zebrafish')]);
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome });

    const items: Item[] = (await app.inject('/conversations?head=0')).json().items;
    expect(items.map((i) => [i.id, i.title, i.name])).toEqual([
      [plain, 'no name here', null],
      [renamed, 'write a long story', 'My renamed story'],
      [late, 'say hello', 'Greeting the user'],
    ]);
    expect((await app.inject(`/conversations/${late}`)).json().conversation.name).toBe('Greeting the user');
    expect((await app.inject(`/conversations/${renamed}`)).json().conversation.name).toBe('My renamed story');

    const found: Item[] = (await app.inject('/search?q=zebrafish')).json().items;
    expect(found.map((i) => [i.id, i.name])).toEqual([
      [plain, null],
      [renamed, 'My renamed story'],
      [late, 'Greeting the user'],
    ]);

    for (const [q, ids] of [
      ['greeting', [late]],
      ['renamed story', [renamed]],
      ['dragons', []], // replaced by the rename
      ['no name', [plain]], // the title still matches
    ] as const) {
      const res = await app.inject(`/conversations?head=0&q=${encodeURIComponent(q)}`);
      expect(res.statusCode).toBe(200);
      expect(res.json().items.map((i: Item) => i.id), q).toEqual(ids);
    }
    await app.close();
  }, 60_000);

  it('does not see a name written between the head window and the last 64 KiB (the bound)', async () => {
    const { claudeHome, project } = await claudeProject();
    const id = 'a2000000-0000-4000-8000-000000000001';
    await write(join(project, `${id}.jsonl`), [
      prompt(id, 1, 'a very long session'),
      answer(id, 2, 'sure'),
      ...filler(id, 1100, 1000),
      aiTitle(id, 'Lost in the middle'),
      ...filler(id, 100, 1000),
    ]);
    const app = await appFor(await tempHome(), index, { agents: ['claude'], claudeHome });
    const [item]: Item[] = (await app.inject('/conversations?head=0')).json().items;
    expect(item).toMatchObject({ id, title: 'a very long session', name: null });
    await app.close();
  }, 60_000);
});

describe.each(MODES)('a Claude name appended live, $mode', ({ index }) => {
  it('is announced as `updated` on /events and shown by the list and the q= filter', async () => {
    const { claudeHome, project } = await claudeProject();
    const id = 'a3000000-0000-4000-8000-000000000001';
    const path = join(project, `${id}.jsonl`);
    await write(path, [prompt(id, 1, 'fix the build'), answer(id, 2, 'looking'), ...filler(id, 5)]);
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const app = await buildTestApp(await tempHome(), {
      agents: ['claude'],
      claudeHome,
      indexPath,
      live: { ...DEFAULT_LIVE, heartbeatMs: 200 },
    });
    if (index) await indexReady(app);
    const port = await listen(app);
    const feed = new SseClient(port, '/events');
    await feed.until((x) => x.events.length > 0);
    expect((await app.inject('/conversations?head=0')).json().items[0].name).toBeNull();

    await appendFile(path, aiTitle(id, 'Fixing the build') + '\n');
    const named = (x: SseClient) =>
      x.named('session').some((e) => (JSON.parse(e.data!) as { session: Item }).session.name === 'Fixing the build');
    await feed.until(named);
    const event = feed.named('session').map((e) => JSON.parse(e.data!) as { change: string; session: Item }).at(-1)!;
    expect(event.change).toBe('updated');
    expect(event.session).toMatchObject({ id, title: 'fix the build', name: 'Fixing the build' });
    feed.close();

    expect((await app.inject('/conversations?head=0')).json().items[0].name).toBe('Fixing the build');
    expect((await app.inject(`/conversations/${id}`)).json().conversation.name).toBe('Fixing the build');
    // The index's update of the grown file reads the head again: q= finds the new name there too.
    const deadline = Date.now() + 30_000;
    let ids: string[] = [];
    while (Date.now() < deadline) {
      ids = (await app.inject('/conversations?head=0&q=fixing')).json().items.map((i: Item) => i.id);
      if (ids.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(ids).toEqual([id]);
    await app.close();
  }, 60_000);
});
