// The index build of a mixed home (issue 20; docs/performance.md, "One build at a time"): the
// Codex and the Claude index of one process build one after the other, not at once (two builds
// at once held twice the memory), and a first page during the build still answers.
import { cp } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PassTurns } from '../../src/rollout/index/give-way.js';
import { buildTestApp, copyOfRealHome, indexReady, tempHome } from '../helper.js';

const CLAUDE_REAL = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/claude-home-real');

describe('the build of a mixed home', () => {
  it('builds the two indexes one after the other, each pass whole, and serves a first page meanwhile', async () => {
    const claudeHome = await tempHome();
    await cp(CLAUDE_REAL, claudeHome, { recursive: true });
    const logs: string[] = [];
    const indexPath = join(await tempHome(), 'index.sqlite');
    const app = await buildTestApp(await copyOfRealHome(), { indexPath, claudeHome, agents: ['codex', 'claude'] }, logs);
    await app.ready();
    const during = await app.inject('/conversations?limit=5&head=0');
    expect(during.statusCode).toBe(200);
    expect(during.json().items.length).toBeGreaterThan(0);
    await indexReady(app);
    const passes = logs
      .map((l) => JSON.parse(l))
      .filter((l) => /^metadata index pass (started|complete)$/.test(l.msg))
      .map((l) => l.msg.replace('metadata index pass ', ''));
    expect(passes).toEqual(['started', 'complete', 'started', 'complete']);
  });
});

describe('PassTurns', () => {
  it('one turn at a time, in the order asked; a waiting pass whose index closes leaves the queue', async () => {
    const turns = new PassTurns();
    const events: string[] = [];
    const first = await turns.take();
    const closing = new AbortController();
    const second = turns.take(closing.signal).then((end) => (events.push(end === null ? 'second aborted' : 'second'), end));
    const third = turns.take().then((end) => (events.push('third'), end));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([]);
    closing.abort();
    expect(await second).toBeNull();
    first!();
    first!(); // a second end does nothing
    const end = await third;
    expect(events).toEqual(['second aborted', 'third']);
    expect(turns.mostAtOnce).toBe(1);
    expect(turns.taken).toBe(2);
    end!();
    const again = await turns.take();
    expect(again).not.toBeNull();
  });
});
