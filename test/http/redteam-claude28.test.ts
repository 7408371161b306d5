// Red team, issue 20 leftovers (docs/red-team.md, "claude28"): a Claude file named by an
// upper-case id, and a project directory that is a link to another project. Over HTTP, with and
// without the index: the scan's lookup, the walk and the index must give one answer.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIVE } from '../../src/config.js';
import { appFor, buildTestApp, MODES, sharedByTests, tempHome } from '../helper.js';
import { listen } from '../net.js';
import { SseClient } from '../sse.js';

const T = (s: number) => `2026-01-02T03:04:${String(s).padStart(2, '0')}.000Z`;
const prompt = (sessionId: string, at: number, text: string) =>
  JSON.stringify({
    type: 'user',
    sessionId,
    cwd: '/w',
    version: '2.1.197',
    timestamp: T(at),
    message: { role: 'user', content: text },
  }) + '\n';

const UPPER = 'c0000000-0000-4000-8000-0000000000aa';
const LOWER = 'c0000000-0000-4000-8000-0000000000bb';
const MIXED = 'c0000000-0000-4000-8000-0000000000cc';
const LINKED = 'c0000000-0000-4000-8000-0000000000dd';
const AGENT_PARENT = 'c0000000-0000-4000-8000-0000000000ee';

async function home(): Promise<string> {
  const dir = await tempHome();
  const a = join(dir, 'projects', '-a');
  await mkdir(join(a, AGENT_PARENT, 'subagents'), { recursive: true });
  await writeFile(join(a, `${UPPER.toUpperCase()}.jsonl`), prompt(UPPER, 1, 'upper'));
  await writeFile(join(a, `${LOWER}.jsonl`), prompt(LOWER, 2, 'lower'));
  // Claude Code writes lower case; a name of mixed case is no transcript's, for the walk and the lookup alike.
  await writeFile(join(a, `C${MIXED.slice(1)}.jsonl`), prompt(MIXED, 3, 'mixed'));
  await writeFile(join(a, `${AGENT_PARENT}.jsonl`), prompt(AGENT_PARENT, 4, 'parent'));
  await writeFile(join(a, AGENT_PARENT, 'subagents', 'agent-0123456789abcdef0.jsonl'), prompt(AGENT_PARENT, 5, 'task'));
  const b = join(dir, 'projects', '-b');
  await mkdir(b);
  await writeFile(join(b, `${LINKED}.jsonl`), prompt(LINKED, 6, 'linked'));
  // Aliases: a project linked to another, a session directory linked to another's, a same-id file link.
  await symlink(b, join(dir, 'projects', '-b-again'));
  await mkdir(join(dir, 'projects', '-c'));
  await symlink(join(a, AGENT_PARENT), join(dir, 'projects', '-c', AGENT_PARENT));
  await writeFile(join(dir, 'projects', '-c', `${AGENT_PARENT}.jsonl`), prompt(AGENT_PARENT, 4, 'parent'));
  await symlink(join(b, `${LINKED}.jsonl`), join(dir, 'projects', '-c', `${LINKED.toUpperCase()}.jsonl`));
  return dir;
}

describe.each(MODES)('Claude ids of either case and linked project directories, $mode', ({ index }) => {
  const app = sharedByTests(async () => appFor(await tempHome(), index, { agents: ['claude'], claudeHome: await home() }));
  type Item = { id: string; title: string | null; path: string };
  const items = async (): Promise<Item[]> => {
    const res = await app().inject('/conversations?limit=100&includeEmpty=true');
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    return res.json().items;
  };

  it('a file named by an upper-case id is listed under the lower-case id and found by it, in either case', async () => {
    const listed = (await items()).find((i) => i.title === 'upper');
    expect(listed).toMatchObject({ id: UPPER, path: `projects/-a/${UPPER.toUpperCase()}.jsonl` });
    for (const asked of [UPPER, UPPER.toUpperCase()]) {
      const res = await app().inject(`/conversations/${asked}`);
      expect(res.statusCode, `${asked}: ${res.body.slice(0, 300)}`).toBe(200);
      expect(res.json().conversation.id).toBe(UPPER);
      const usage = await app().inject(`/conversations/${asked}/usage`);
      expect(usage.statusCode).toBe(200);
    }
    const lower = await app().inject(`/conversations/${LOWER.toUpperCase()}`);
    expect(lower.statusCode).toBe(200);
  });

  it('a file named in mixed case is no transcript: not listed, and 404 NOT_FOUND', async () => {
    expect((await items()).some((i) => i.title === 'mixed')).toBe(false);
    const res = await app().inject(`/conversations/${MIXED}`);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });

  it('a linked project, a linked session directory and a same-id file link list nothing twice; the ids are not ambiguous', async () => {
    const all = await items();
    expect(all.filter((i) => i.title === 'linked').map((i) => i.path)).toEqual([`projects/-b/${LINKED}.jsonl`]);
    expect(all.filter((i) => i.title === 'task')).toHaveLength(1);
    expect(all.map((i) => i.path).sort()).toEqual(
      [
        `projects/-a/${UPPER.toUpperCase()}.jsonl`,
        `projects/-a/${LOWER}.jsonl`,
        `projects/-a/${AGENT_PARENT}.jsonl`,
        `projects/-a/${AGENT_PARENT}/subagents/agent-0123456789abcdef0.jsonl`,
        `projects/-b/${LINKED}.jsonl`,
        // A real file of the same id in another project is a second transcript (not an alias).
        `projects/-c/${AGENT_PARENT}.jsonl`,
      ].sort(),
    );
    const res = await app().inject(`/conversations/${LINKED}`);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    const task = all.find((i) => i.title === 'task')!;
    expect((await app().inject(`/conversations/${task.id}`)).statusCode).toBe(200);
    // Two real files claim AGENT_PARENT: the one answer the walk and the index agree on.
    const twin = await app().inject(`/conversations/${AGENT_PARENT}`);
    expect(twin.statusCode).toBe(409);
    expect(twin.json().code).toBe('AMBIGUOUS_ID');
  });
});

describe.each(MODES)('a project directory linked while the home is watched, $mode', ({ index }) => {
  it('is not watched: a session written in the real directory is announced and listed once', async () => {
    const claudeHome = await tempHome();
    const real = join(claudeHome, 'projects', '-real');
    const other = join(claudeHome, 'projects', '-other');
    await mkdir(real, { recursive: true });
    await mkdir(other);
    const indexPath = index ? join(await tempHome(), 'index.sqlite') : null;
    const live = { ...DEFAULT_LIVE, heartbeatMs: 200 };
    const app = await buildTestApp(await tempHome(), { agents: ['claude'], claudeHome, indexPath, live });
    const port = await listen(app);
    const events = new SseClient(port, '/events');
    await events.until((x) => x.events.length > 0);
    await symlink(real, join(claudeHome, 'projects', '-alias'));
    // The watch tells changes in order, and takes them in one after the other: once this one is
    // announced, the link has been looked at.
    const first = 'c0000000-0000-4000-8000-000000000001';
    await writeFile(join(other, `${first}.jsonl`), prompt(first, 1, 'first'));
    await events.until((x) => x.named('session').length >= 1);
    const second = 'c0000000-0000-4000-8000-000000000002';
    await writeFile(join(real, `${second}.jsonl`), prompt(second, 2, 'second'));
    await events.until((x) => x.named('session').length >= 2);
    const res = await app.inject('/conversations?limit=100&includeEmpty=true');
    expect(res.statusCode).toBe(200);
    expect((res.json().items as { path: string }[]).map((i) => i.path).sort()).toEqual([
      `projects/-other/${first}.jsonl`,
      `projects/-real/${second}.jsonl`,
    ]);
    const found = await app.inject(`/conversations/${second}`);
    expect(found.statusCode, found.body.slice(0, 300)).toBe(200);
    const announced = events.named('session').map((e) => (JSON.parse(e.data!) as { session: { path: string } }).session.path);
    expect(announced.filter((p) => p.includes(second))).toEqual([`projects/-real/${second}.jsonl`]);
    events.close();
    await app.close();
  }, 60_000);
});
