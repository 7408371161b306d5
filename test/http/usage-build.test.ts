import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildTestApp, indexReady, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually } from '../net.js';
import { writeUsageTree } from './usage-tree.js';

/** Issue 17.11: while the index builds, /usage answers at once, and the log says how the build goes. */

async function home(sessions: number): Promise<string> {
  const dir = await tempHome();
  await writeUsageTree(dir);
  for (let n = 1; n <= sessions; n++) {
    const day = String((n % 28) + 1).padStart(2, '0');
    await writeSession(dir, { stamp: `2025-02-${day}T00-00-00`, id: uuidN(1000 + n), title: `t${n}` });
  }
  return dir;
}

/** Keeps the index from building (another process holds its file's lock) until `release`. */
function holdLock(indexPath: string) {
  const holder = new Database(indexPath);
  holder.exec('BEGIN IMMEDIATE');
  return () => {
    holder.exec('ROLLBACK');
    holder.close();
  };
}

const USAGE = '/usage?groupBy=session&archived=all&limit=1000';

describe('GET /usage while the index builds', () => {
  it('a large home: 503 SERVICE_UNAVAILABLE at once, with the progress and Retry-After; the answer once built', async () => {
    const dir = await home(210);
    const indexPath = join(await tempHome(), 'index.sqlite');
    const release = holdLock(indexPath);
    const app = await buildTestApp(dir, { indexPath });
    try {
      await eventually(() => app.inject('/readyz'), (r) => r.json().index.state === 'waiting', 10_000);
      const res = await app.inject(USAGE);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', detail: expect.stringMatching(/being built \(\d+ files checked so far\)/) });
      expect(res.headers['retry-after']).toBe('5');
    } finally {
      release();
    }
    await indexReady(app);
    const scan = await buildTestApp(dir, { maxScanFiles: 10_000 });
    const built = await app.inject(USAGE);
    expect(built.statusCode).toBe(200);
    expect(built.json().rows).toEqual((await scan.inject(USAGE)).json().rows);
  });

  it('a small home: the exact answer from the files at once', async () => {
    const dir = await home(5);
    const indexPath = join(await tempHome(), 'index.sqlite');
    const release = holdLock(indexPath);
    const app = await buildTestApp(dir, { indexPath });
    try {
      await eventually(() => app.inject('/readyz'), (r) => r.json().index.state === 'waiting', 10_000);
      const res = await app.inject(USAGE);
      expect(res.statusCode).toBe(200);
      const scan = await buildTestApp(dir);
      expect(res.json().rows).toEqual((await scan.inject(USAGE)).json().rows);
    } finally {
      release();
    }
  });

  it('the log says when a build starts, how far it got, and when it is done and how long it took', async () => {
    const dir = await home(3);
    const logs: string[] = [];
    const app = await buildTestApp(dir, { indexPath: join(await tempHome(), 'index.sqlite') }, logs);
    await indexReady(app);
    const lines = logs.map((l) => JSON.parse(l)).filter((l) => /^metadata index pass/.test(l.msg));
    expect(lines[0]).toMatchObject({ level: 30, pass: 'build', msg: 'metadata index pass started' });
    expect(lines.at(-1)).toMatchObject({ level: 30, pass: 'build', msg: 'metadata index pass complete', files: expect.any(Number) });
    expect(lines.at(-1).ms).toBeGreaterThanOrEqual(0);
  });
});
