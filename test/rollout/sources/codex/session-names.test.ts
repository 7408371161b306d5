import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Degradations } from '../../../../src/rollout/degraded.js';
import { MAX_INDEX_BYTES, SESSION_INDEX_FILE, SessionNames } from '../../../../src/rollout/sources/codex/session-names.js';
import { tempHome, uuidN, writeLines, type Line } from '../../../helper.js';

const A = '5973b6c0-94b8-487b-a530-2aeb6098ae0e';
const B = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const C = '00000000-0000-4000-8000-000000000003';

async function homeWithIndex(lines: Line[], opts: { trailingNewline?: boolean } = {}): Promise<string> {
  const home = await tempHome();
  await writeLines(join(home, SESSION_INDEX_FILE), lines, opts);
  return home;
}

const entry = (id: string, name: string, updatedAt?: string): Record<string, unknown> =>
  updatedAt === undefined ? { id, thread_name: name } : { id, thread_name: name, updated_at: updatedAt };

async function namesOf(home: string): Promise<Record<string, string>> {
  return Object.fromEntries(await new SessionNames(home).load());
}

describe('SessionNames', () => {
  it('uses the file name session_index.jsonl', () => {
    expect(SESSION_INDEX_FILE).toBe('session_index.jsonl');
  });

  it('maps each id to its name', async () => {
    const home = await homeWithIndex([entry(A, 'alpha', '2025-09-10T10:00:00Z'), entry(B, 'beta', '2025-09-10T11:00:00Z')]);
    expect(await namesOf(home)).toEqual({ [A]: 'alpha', [B]: 'beta' });
  });

  it('takes the newest updated_at, whatever the line order', async () => {
    const newestFirst = await homeWithIndex([
      entry(A, 'newest', '2025-09-12T08:00:00.000Z'),
      entry(A, 'oldest', '2025-09-10T08:00:00.000Z'),
      entry(A, 'middle', '2025-09-11T08:00:00.000Z'),
    ]);
    expect(await namesOf(newestFirst)).toEqual({ [A]: 'newest' });
    const newestLast = await homeWithIndex([
      entry(A, 'oldest', '2025-09-10T08:00:00.000Z'),
      entry(A, 'middle', '2025-09-11T08:00:00.000Z'),
      entry(A, 'newest', '2025-09-12T08:00:00.000Z'),
    ]);
    expect(await namesOf(newestLast)).toEqual({ [A]: 'newest' });
    const newestMiddle = await homeWithIndex([
      entry(A, 'oldest', '2025-09-10T08:00:00.000Z'),
      entry(A, 'newest', '2025-09-12T08:00:00.000Z'),
      entry(A, 'middle', '2025-09-11T08:00:00.000Z'),
    ]);
    expect(await namesOf(newestMiddle)).toEqual({ [A]: 'newest' });
  });

  it('compares instants, not strings (offsets and precision differ)', async () => {
    // 20:00+05:00 is 15:00Z, older than 16:00Z although its text sorts later.
    const home = await homeWithIndex([entry(A, 'utc', '2025-09-10T16:00:00Z'), entry(A, 'offset', '2025-09-10T20:00:00+05:00')]);
    expect(await namesOf(home)).toEqual({ [A]: 'utc' });
    // 16:00:00.5Z is newer than 16:00:00Z.
    const home2 = await homeWithIndex([entry(A, 'fraction', '2025-09-10T16:00:00.500Z'), entry(A, 'whole', '2025-09-10T16:00:00Z')]);
    expect(await namesOf(home2)).toEqual({ [A]: 'fraction' });
  });

  it('breaks ties by taking the later line', async () => {
    const home = await homeWithIndex([
      entry(A, 'first', '2025-09-10T08:00:00Z'),
      entry(A, 'second', '2025-09-10T08:00:00Z'),
      entry(B, 'b1', '2025-09-10T08:00:00.000Z'),
      entry(B, 'b2', '2025-09-10T10:00:00.000+02:00'),
    ]);
    expect(await namesOf(home)).toEqual({ [A]: 'second', [B]: 'b2' });
  });

  it('keys names by lower-cased id, merging ids that differ only in case', async () => {
    const home = await homeWithIndex([entry(A.toUpperCase(), 'upper', '2025-09-11T00:00:00Z'), entry(A, 'lower', '2025-09-10T00:00:00Z')]);
    expect(await namesOf(home)).toEqual({ [A]: 'upper' });
  });

  it('returns an empty map when the index file is missing', async () => {
    const home = await tempHome();
    const names = await new SessionNames(home).load();
    expect(names.size).toBe(0);
    expect([...names]).toEqual([]);
  });

  it('returns an empty map for an empty index file', async () => {
    const home = await tempHome();
    await writeFile(join(home, SESSION_INDEX_FILE), '');
    expect(await namesOf(home)).toEqual({});
  });

  it('ignores garbage lines and entries without a string id or name', async () => {
    const home = await homeWithIndex(
      [
        'not json',
        '',
        '[1,2]',
        'null',
        '42',
        '{"id":',
        { id: 5, thread_name: 'numeric id' },
        { id: B },
        { thread_name: 'no id' },
        { id: B, thread_name: null },
        { id: B, thread_name: 7 },
        entry(A, 'good', '2025-09-10T00:00:00Z'),
        '{"id":"' + C + '","thread_name":"half-writ',
      ],
      { trailingNewline: false },
    );
    expect(await namesOf(home)).toEqual({ [A]: 'good' });
  });

  it('counts a complete last line without a trailing newline', async () => {
    const home = await homeWithIndex(
      [entry(A, 'a', '2025-09-10T00:00:00Z'), entry(B, 'b', '2025-09-10T00:00:00Z')],
      { trailingNewline: false },
    );
    expect(await namesOf(home)).toEqual({ [A]: 'a', [B]: 'b' });
  });

  it('lets a dated entry win over an undated one in either order', async () => {
    const home = await homeWithIndex([entry(A, 'dated', '2025-09-10T00:00:00Z'), entry(A, 'undated')]);
    expect(await namesOf(home)).toEqual({ [A]: 'dated' });
    const home2 = await homeWithIndex([entry(A, 'undated'), entry(A, 'dated', '2025-09-10T00:00:00Z')]);
    expect(await namesOf(home2)).toEqual({ [A]: 'dated' });
  });

  it('re-reads the index after it changes', async () => {
    const home = await homeWithIndex([entry(A, 'before', '2025-09-10T00:00:00Z')]);
    const names = new SessionNames(home);
    expect(Object.fromEntries(await names.load())).toEqual({ [A]: 'before' });

    const path = join(home, SESSION_INDEX_FILE);
    const sizeBefore = (await stat(path)).size;
    await writeLines(path, [
      entry(A, 'before', '2025-09-10T00:00:00Z'),
      entry(A, 'after, renamed', '2025-09-11T00:00:00Z'),
      entry(B, 'new one', '2025-09-11T00:00:00Z'),
    ]);
    expect((await stat(path)).size).not.toBe(sizeBefore);
    expect(Object.fromEntries(await names.load())).toEqual({ [A]: 'after, renamed', [B]: 'new one' });
  });

  it('re-reads the index when only its mtime changes', async () => {
    const home = await homeWithIndex([entry(A, 'aaaa', '2025-09-10T00:00:00Z')]);
    const path = join(home, SESSION_INDEX_FILE);
    await utimes(path, new Date('2025-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z'));
    const names = new SessionNames(home);
    expect(Object.fromEntries(await names.load())).toEqual({ [A]: 'aaaa' });
    await writeLines(path, [entry(A, 'bbbb', '2025-09-10T00:00:00Z')]); // same size
    await utimes(path, new Date('2025-01-02T00:00:00Z'), new Date('2025-01-02T00:00:00Z'));
    expect(Object.fromEntries(await names.load())).toEqual({ [A]: 'bbbb' });
  });

  it('serves the cached map while the file is unchanged', async () => {
    const home = await homeWithIndex([entry(A, 'cached', '2025-09-10T00:00:00Z')]);
    const names = new SessionNames(home);
    const first = await names.load();
    const second = await names.load();
    expect(second).toBe(first);
    expect(Object.fromEntries(second)).toEqual({ [A]: 'cached' });
  });

  it('forgets the names when the index is deleted', async () => {
    const home = await homeWithIndex([entry(A, 'gone soon', '2025-09-10T00:00:00Z')]);
    const names = new SessionNames(home);
    expect((await names.load()).size).toBe(1);
    await rm(join(home, SESSION_INDEX_FILE));
    expect((await names.load()).size).toBe(0);
  });
});

describe('SessionNames on a hostile or broken session_index.jsonl', () => {
  const line = (id: string, name: string, at: string) => `${JSON.stringify(entry(id, name, at))}\n`;

  it('never opens a FIFO, a device or a link out of the home: no names, degraded, and no hang', async () => {
    const home = await tempHome();
    const path = join(home, SESSION_INDEX_FILE);
    execFileSync('mkfifo', [path]);
    const degraded = new Degradations({ debug: () => {}, warn: () => {} });
    const names = new SessionNames(home, degraded);
    const loads = await Promise.all(Array.from({ length: 5 }, () => names.load()));
    expect(loads.map((m) => m.size)).toEqual([0, 0, 0, 0, 0]);
    expect(degraded.list()).toEqual([`${SESSION_INDEX_FILE} is not a regular file: user-set names are null`]);
    await rm(path);
    await symlink('/dev/zero', path);
    expect((await names.load()).size).toBe(0);
    expect(degraded.list()).toEqual([`${SESSION_INDEX_FILE} is not a regular file: user-set names are null`]);
    await rm(path);
    const outside = join(await tempHome(), 'names.jsonl');
    await writeFile(outside, line(A, 'from outside', '2025-09-10T00:00:00Z'));
    await symlink(outside, path);
    expect((await names.load()).size).toBe(0);
    expect(degraded.list()[0]).toMatch(/^cannot open session_index\.jsonl \(a link that leads out of the Codex home\)/);
    // Repaired: names come back and nothing is degraded any more.
    await rm(path);
    await writeFile(path, line(A, 'back', '2025-09-10T00:00:00Z'));
    expect(Object.fromEntries(await names.load())).toEqual({ [A]: 'back' });
    expect(degraded.list()).toEqual([]);
  });

  it('a directory in its place: no names, degraded', async () => {
    const home = await tempHome();
    await mkdir(join(home, SESSION_INDEX_FILE));
    const degraded = new Degradations({ debug: () => {}, warn: () => {} });
    expect((await new SessionNames(home, degraded).load()).size).toBe(0);
    expect(degraded.list()).toEqual([`${SESSION_INDEX_FILE} is not a regular file: user-set names are null`]);
  });

  it('reads an append alone, once for concurrent callers, and the whole file again after a rewrite or truncation', async () => {
    const home = await tempHome();
    const path = join(home, SESSION_INDEX_FILE);
    const lines = Array.from({ length: 2000 }, (_, i) => line(uuidN(i), `name ${i}`, '2025-09-10T00:00:00Z')).join('');
    await writeFile(path, lines);
    const names = new SessionNames(home);
    expect((await names.load()).size).toBe(2000);
    expect(names.bytesRead).toBe(Buffer.byteLength(lines));
    const appended = line(uuidN(0), 'renamed', '2025-09-11T00:00:00Z');
    await appendFile(path, appended);
    const loads = await Promise.all(Array.from({ length: 10 }, () => names.load()));
    expect(loads.map((m) => m.get(uuidN(0)))).toEqual(Array(10).fill('renamed'));
    expect(names.bytesRead).toBe(Buffer.byteLength(lines) + Buffer.byteLength(appended));
    // A rewrite in place that keeps the length, and a truncation: read from the start again.
    const rewritten = (lines + appended).replace('name 1999', 'NAME 1999');
    await writeFile(path, rewritten);
    expect((await names.load()).get(uuidN(1999))).toBe('NAME 1999');
    await writeFile(path, line(uuidN(5), 'only one', '2025-09-10T00:00:00Z'));
    expect(Object.fromEntries(await names.load())).toEqual({ [uuidN(5)]: 'only one' });
  });

  it('reads at most MAX_INDEX_BYTES of a huge file, and says so', async () => {
    const home = await tempHome();
    const path = join(home, SESSION_INDEX_FILE);
    const one = line(A, 'x'.repeat(1000), '2025-09-10T00:00:00Z');
    const count = Math.ceil((MAX_INDEX_BYTES * 1.5) / one.length);
    await writeFile(path, one.repeat(count) + line(B, 'past the bound', '2025-09-12T00:00:00Z'));
    const degraded = new Degradations({ debug: () => {}, warn: () => {} });
    const names = new SessionNames(home, degraded);
    const map = await names.load();
    expect([map.get(A), map.get(B)]).toEqual(['x'.repeat(1000), undefined]);
    expect(names.bytesRead).toBeLessThanOrEqual(MAX_INDEX_BYTES);
    expect(degraded.list()).toEqual([`${SESSION_INDEX_FILE} is larger than ${MAX_INDEX_BYTES} bytes: names after that are ignored`]);
    await appendFile(path, line(C, 'later', '2025-09-12T00:00:00Z'));
    const before = names.bytesRead;
    expect((await names.load()).get(C)).toBeUndefined();
    expect(names.bytesRead).toBe(before);
  });
});
