import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DEFAULT_READ_LIMITS } from '../../src/rollout/reading/session-reader.js';
import { buildTestApp, envelopeLines, list, rolloutRelPath, tempHome, uuidN, writeLines, writeSession } from '../helper.js';
import { httpGet, listen } from '../net.js';

const MiB = 1024 * 1024;

/** Writes a file in 1 MiB pieces, so the test itself never holds the whole file. */
async function writeBig(path: string, pieces: (Buffer | string)[]) {
  await mkdir(join(path, '..'), { recursive: true });
  const out = createWriteStream(path);
  for (const piece of pieces) if (!out.write(piece)) await once(out, 'drain');
  out.end();
  await once(out, 'close');
}

/** Samples RSS every few ms while `work` runs; returns the growth over the starting RSS. */
async function rssGrowthDuring<T>(work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const start = process.memoryUsage().rss;
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

/** A deterministic byte soup (xorshift), newlines included. */
function binaryBytes(length: number, seed = 1234567): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('hostile files', () => {
  it('the line limit is 16 MiB', () => {
    expect(DEFAULT_READ_LIMITS.maxLineBytes).toBe(16 * MiB);
  });

  it('a 50 MB single line is an invalid line with a reason, read in bounded memory', async () => {
    const home = await tempHome();
    const stamp = '2025-09-01T00-00-00';
    const id = uuidN(1);
    const rel = rolloutRelPath(stamp, id);
    const before = envelopeLines({ stamp, id, title: 'big line inside' }).map((l) => `${JSON.stringify(l)}\n`);
    const piece = 'x'.repeat(MiB);
    const bigLine = ['{"timestamp":"t","type":"event_msg","payload":{"type":"pad","pad":"', ...Array(50).fill(piece), '"}}\n'];
    const after = `${JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'after' } })}\n`;
    await writeBig(join(home, rel), [...before, ...bigLine, after]);
    const app = await buildTestApp(home);

    const listed = await rssGrowthDuring(() => list(app, 'tail=2'));
    expect(listed.result.items.map((i) => [i.id, i.title])).toEqual([[id, 'big line inside']]);
    expect(listed.result.items[0]?.sizeBytes).toBeGreaterThan(50 * MiB);
    // The tail skips the over-long line and keeps the record before it and the one after it.
    expect(listed.result.items[0]?.tail).toEqual([JSON.parse(before[4] as string), JSON.parse(after)]);

    const got = await rssGrowthDuring(() => app.inject(`/conversations/${id}`));
    expect(got.result.statusCode).toBe(200);
    const body = got.result.json();
    expect(body.records).toHaveLength(before.length + 1);
    expect(body.invalidLines).toEqual([{ line: before.length + 1, reason: `line longer than ${16 * MiB} bytes` }]);
    // Loose: holding the line (bytes, text, parsed value) would take well over 100 MB.
    expect(listed.growth).toBeLessThan(64 * MiB);
    expect(got.growth).toBeLessThan(64 * MiB);

    // NDJSON streams the bytes (over a socket, so the test does not buffer 50 MB twice).
    const port = await listen(app);
    const raw = await httpGet(port, `/conversations/${id}?format=ndjson`, { range: `bytes=-${after.length}` });
    expect([raw.status, raw.body.toString()]).toEqual([206, after]);
  });

  it('invalid UTF-8 and NUL bytes: records keep what parses, the rest are invalid lines, bytes are exact', async () => {
    const home = await tempHome();
    const stamp = '2025-09-02T00-00-00';
    const id = uuidN(2);
    const rel = rolloutRelPath(stamp, id);
    const [meta] = envelopeLines({ stamp, id });
    const userMessage = (text: Buffer) =>
      Buffer.concat([
        Buffer.from('{"timestamp":"t","type":"event_msg","payload":{"type":"user_message","message":"'),
        text,
        Buffer.from('"}}'),
      ]);
    const lines = [
      Buffer.from(JSON.stringify(meta)),
      userMessage(Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe, 0xc3])), // "bad " + invalid UTF-8
      Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x7d]), // raw garbage and a NUL before "{}"
      Buffer.from('{"a":"\u0000 raw NUL inside a string"}'), // a raw control character: not JSON
      Buffer.from('{"a":"\\u0000 escaped NUL"}'),
      Buffer.from([0x00, 0x00, 0x00]),
      Buffer.from([0xed, 0xa0, 0x80]), // an encoded lone surrogate (WTF-8)
    ];
    const bytes = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
    await mkdir(join(home, rel, '..'), { recursive: true });
    await writeFile(join(home, rel), bytes);
    const app = await buildTestApp(home);

    const page = await list(app);
    expect(page.items.map((i) => i.title)).toEqual(['bad \uFFFD\uFFFD\uFFFD']);

    const res = await app.inject(`/conversations/${id}`);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body); // the whole document is valid JSON
    expect(body.records).toEqual([meta, JSON.parse(lines[1]!.toString('utf8')), { a: '\u0000 escaped NUL' }]);
    expect(body.invalidLines).toEqual([
      { line: 3, reason: 'not valid JSON' },
      { line: 4, reason: 'not valid JSON' },
      { line: 6, reason: 'not valid JSON' },
      { line: 7, reason: 'not valid JSON' },
    ]);
    const ndjson = await app.inject(`/conversations/${id}?format=ndjson`);
    expect(ndjson.rawPayload.equals(bytes)).toBe(true);
  });

  it('a binary file named rollout-*.jsonl is not listed, and is served as what it is', async () => {
    const home = await tempHome();
    const rel = rolloutRelPath('2025-09-03T00-00-00', uuidN(3));
    const bytes = binaryBytes(256 * 1024);
    await mkdir(join(home, rel, '..'), { recursive: true });
    await writeFile(join(home, rel), bytes);
    const app = await buildTestApp(home);
    const page = await list(app, 'includeEmpty=true&tail=5');
    expect([page.items, page.numScannedFiles]).toEqual([[], 1]);
    const res = await app.inject(`/conversations/${uuidN(3)}`);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.conversation).toMatchObject({ id: uuidN(3), title: null, sizeBytes: bytes.length });
    expect(body.records).toEqual([]);
    expect(body.invalidLines.length).toBeGreaterThan(100);
    const invalidReasons = ['not valid JSON', 'empty line', 'not a JSON object'];
    expect(body.invalidLines.every((l: { reason: string }) => invalidReasons.includes(l.reason))).toBe(true);
    expect((await app.inject(`/conversations/${uuidN(3)}?format=ndjson`)).rawPayload.equals(bytes)).toBe(true);
  });

  it('a FIFO, a directory, a dangling link and a link to a FIFO named like rollouts hang nothing and are not found', async () => {
    const home = await tempHome();
    const stamp = (n: number) => `2025-09-04T00-00-0${n}`;
    const day = join(home, 'sessions/2025/09/04');
    await writeSession(home, { stamp: stamp(9), id: uuidN(9), title: 'the real one' });
    execFileSync('mkfifo', [join(home, rolloutRelPath(stamp(1), uuidN(1)))]);
    await mkdir(join(home, rolloutRelPath(stamp(2), uuidN(2))));
    await symlink(join(day, 'nowhere.jsonl'), join(home, rolloutRelPath(stamp(3), uuidN(3))));
    await symlink(join(home, rolloutRelPath(stamp(1), uuidN(1))), join(home, rolloutRelPath(stamp(4), uuidN(4))));
    // The same in archived_sessions/, which lookups by id always search.
    await mkdir(join(home, 'archived_sessions'));
    execFileSync('mkfifo', [join(home, rolloutRelPath(stamp(5), uuidN(5), true))]);
    const app = await buildTestApp(home);

    const started = Date.now();
    for (const archived of ['false', 'true', 'all']) {
      const page = await list(app, `archived=${archived}&includeEmpty=true&tail=3`);
      expect(page.items.map((i) => i.id)).toEqual(archived === 'true' ? [] : [uuidN(9)]);
    }
    for (const n of [1, 2, 3, 4, 5]) {
      for (const format of ['json', 'ndjson']) {
        const res = await app.inject(`/conversations/${uuidN(n)}?format=${format}`);
        expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
      }
    }
    expect((await app.inject(`/conversations/${uuidN(9)}`)).json().conversation.title).toBe('the real one');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('year, month and day "directories" that are files or link loops are ignored', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-09-05T00-00-00', id: uuidN(1), title: 'survivor' });
    await writeFile(join(home, 'sessions/2024'), 'a year that is a file');
    await writeFile(join(home, 'sessions/2025/08'), 'a month that is a file');
    await writeFile(join(home, 'sessions/2025/09/06'), 'a day that is a file');
    await symlink(join(home, 'sessions/2025/09/07'), join(home, 'sessions/2025/09/07')); // ELOOP
    await symlink(join(home, 'sessions/2025/07'), join(home, 'sessions/2025/07')); // ELOOP
    await writeFile(join(home, 'archived_sessions'), 'archived_sessions as a file');
    const app = await buildTestApp(home);
    for (const query of ['', 'order=asc', 'archived=all', 'archived=true']) {
      const page = await list(app, query);
      expect(page.items.map((i) => i.title)).toEqual(query === 'archived=true' ? [] : ['survivor']);
    }
    const res = await app.inject(`/conversations/${uuidN(1)}`);
    expect(res.statusCode).toBe(200);
    const missing = await app.inject(`/conversations/${uuidN(2)}`);
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'NOT_FOUND']);
  });

  // Sized to prove the property, not to load the machine: a page costs O(files in the day), so
  // paging through N files in one day costs O(N²/limit). 3,000 files are still far more than any
  // real day holds (Codex writes hundreds at most), and their directory is larger than the
  // 256 KiB over which the walk streams it (on ext4; tree-walk.test.ts proves both reads agree).
  it('3,000 files in one day: pages through all of them exactly once, in order, each page bounded by the day', async () => {
    const home = await tempHome();
    const day = join(home, 'sessions/2025/09/08');
    await mkdir(day, { recursive: true });
    const N = 3_000;
    // Odd, so that page boundaries fall both between and inside same-second pairs.
    const LIMIT = 99;
    const two = (n: number) => String(n).padStart(2, '0');
    const stampOf = (i: number) => `2025-09-08T${two(Math.floor(i / 3600))}-${two(Math.floor(i / 60) % 60)}-${two(i % 60)}`;
    // Every second session shares its second with the next one: ties are broken by uuid.
    const stamps = Array.from({ length: N }, (_, i) => stampOf(Math.floor(i / 2)));
    for (let start = 0; start < N; start += 500) {
      await Promise.all(
        stamps.slice(start, start + 500).map((stamp, k) => {
          const i = start + k;
          const id = uuidN(i + 1);
          return writeLines(join(home, rolloutRelPath(stamp, id)), envelopeLines({ stamp, id, title: `s${i + 1}` }).slice(0, 4));
        }),
      );
    }
    const app = await buildTestApp(home);
    const started = performance.now();
    const seen: string[] = [];
    const scanned: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `limit=${LIMIT}&head=0${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await list(app, query);
      seen.push(...page.items.map((i) => i.id));
      scanned.push(page.numScannedFiles);
      expect(page.reachedScanCap).toBe(false);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 200);
    const ms = performance.now() - started;
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => uuidN(N - i)));
    // The cursor is exact: no empty last page.
    expect(pages).toBe(Math.ceil(N / LIMIT));
    // Each page lists the whole day directory, so a page costs O(files in the day): bounded (the
    // files it passes over to reach the cursor, plus its own and one look-ahead), not fast.
    for (const [p, n] of scanned.entries()) expect(n).toBe(Math.min(N, (p + 1) * LIMIT + 1));
    // A lookup by a (non-v7) id walks the whole day.
    const res = await app.inject(`/conversations/${uuidN(1)}`);
    expect(res.json().conversation.title).toBe('s1');
    console.log(`${N} files in one day: ${pages} pages in ${Math.round(ms)} ms`);
    expect(await readFile(join(day, `rollout-${stamps[0]}-${uuidN(1)}.jsonl`), 'utf8')).toContain('"s1"');
  });
});
