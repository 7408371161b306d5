import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, tempHome, uuidN, writeSession } from '../helper.js';

// Issue 17, item 13: a wrong or missing Codex home gave an empty list and a /readyz 503 that said
// "service unavailable; retry shortly" (its own body replaced by a generic problem). Now the
// start-up log and /readyz say what is wrong, and /readyz keeps its own body.

/** The warn lines of the start-up log. */
async function startupWarnings(home: string): Promise<{ msg: string; codexHome?: string; home?: string }[]> {
  const logs: string[] = [];
  const app = await buildTestApp(home, {}, logs);
  await app.ready();
  return logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
}

async function readyz(home: string) {
  const res = await (await buildTestApp(home)).inject('/readyz');
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() };
}

describe('a wrong or missing Codex home (item 13)', () => {
  it('missing: /readyz 503 with its own body saying so (no path), and a warning at start-up naming the path', async () => {
    const home = join(await tempHome(), 'not-here');
    const ready = await readyz(home);
    expect(ready.status).toBe(503);
    expect(ready.type).toBe('application/json; charset=utf-8');
    expect(ready.body).toMatchObject({ degraded: [], index: { state: 'disabled' } });
    expect(ready.body.status).toContain('the codex home does not exist: set --codex-home or CODEX_HOME');
    expect(JSON.stringify(ready.body)).not.toContain(home);
    const warnings = await startupWarnings(home);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ codexHome: home, home: 'missing' });
    expect(warnings[0]!.msg).toContain('does not exist');
  });

  it('a file instead of a directory: 503 saying so', async () => {
    const home = join(await tempHome(), 'a-file');
    await writeFile(home, 'not a directory');
    const ready = await readyz(home);
    expect(ready.status).toBe(503);
    expect(ready.body.status).toContain('the codex home is not a directory');
    expect((await startupWarnings(home))[0]).toMatchObject({ home: 'not-a-directory' });
  });

  it('no sessions/: ready (the list is rightly empty) but degraded, saying why, and a warning at start-up', async () => {
    const home = await tempHome();
    await mkdir(join(home, 'archived_sessions'));
    const ready = await readyz(home);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.body.degraded[0]).toContain('the codex home has no sessions/ directory');
    expect((await startupWarnings(home))[0]).toMatchObject({ codexHome: home, home: 'no-sessions' });
  });

  it('a home with sessions/: ready, nothing degraded, no warning', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'x' });
    expect(await readyz(home)).toMatchObject({ status: 200, body: { status: 'ready', degraded: [] } });
    expect(await startupWarnings(home)).toEqual([]);
  });
});
