import { open, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRolloutName } from '../../../src/rollout/sources/codex/filename.js';
import { MemoryBudget } from '../../../src/rollout/reading/byte-budget.js';
import { recordChunks } from '../../../src/rollout/reading/jsonl-lines.js';
import {
  DEFAULT_READ_LIMITS,
  readTail,
  type ByteSource,
  type ReadEnv,
  type ReadLimits,
} from '../../../src/rollout/reading/session-reader.js';
import { scanHead } from '../../../src/rollout/sources/codex/session-file.js';
import type { JsonRecord, RecordText, RolloutFile, RolloutLogger } from '../../../src/rollout/types.js';
import { legacyLines, recordTypeLines, tempHome, writeLines, type Line } from '../../helper.js';

const MiB = 1024 * 1024;
/** The readers keep records as their JSON text, held or left in the file; the tests compare values. */
async function parseRecords(source: ByteSource, texts: RecordText[]): Promise<JsonRecord[]> {
  const out: JsonRecord[] = [];
  for (const text of texts) {
    const pieces: Buffer[] = [];
    for await (const piece of recordChunks(source, text)) pieces.push(piece);
    out.push(JSON.parse(Buffer.concat(pieces).toString('utf8')) as JsonRecord);
  }
  return out;
}
const CHUNK = 64 * 1024;
/** Line lengths past which the readers hold nothing: the default, and one that leaves almost every line in the file. */
const HOLDS = [DEFAULT_READ_LIMITS.holdLineBytes, 7];
const limitsWith = (overrides: Partial<ReadLimits>): ReadLimits => ({ ...DEFAULT_READ_LIMITS, ...overrides });
const envWith = (limits: ReadLimits): ReadEnv => ({ realRoot: '/', limits, budget: new MemoryBudget(256 * MiB, 5_000) });

// ---------------------------------------------------------------------------------------
// readTail
// ---------------------------------------------------------------------------------------

/** The tail, read holding lines up to each of HOLDS bytes: the answers must agree. */
async function tailOf(path: string, count: number, maxLineBytes = 64 * MiB): Promise<JsonRecord[]> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const answers: JsonRecord[][] = [];
    for (const holdLineBytes of HOLDS) {
      answers.push(await parseRecords(handle, await readTail(handle, size, count, limitsWith({ maxLineBytes, holdLineBytes }))));
    }
    expect(answers[1]).toEqual(answers[0]);
    return answers[0]!;
  } finally {
    await handle.close();
  }
}

/** The reference: read everything, split on LF, keep the lines that are JSON objects within the limit. */
function naiveTail(bytes: Buffer, count: number, maxLineBytes: number): JsonRecord[] {
  if (count === 0) return [];
  const pieces = bytes.toString('utf8').split('\n');
  const records: JsonRecord[] = [];
  for (const piece of pieces) {
    if (Buffer.byteLength(piece, 'utf8') > maxLineBytes) continue;
    let value: unknown;
    try {
      value = JSON.parse(piece);
    } catch {
      continue;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) records.push(value as JsonRecord);
  }
  return records.slice(-count);
}

async function fileWith(content: string | Buffer): Promise<string> {
  const dir = await tempHome();
  const path = join(dir, 'f.jsonl');
  await writeFile(path, content);
  return path;
}

const rec = (n: number): JsonRecord => ({ type: 'response_item', payload: { n } });
const jl = (...records: unknown[]) => records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');

/** Deterministic pseudo-random numbers. */
function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('readTail', () => {
  it('returns the last N records in file order', async () => {
    const path = await fileWith(jl(rec(1), rec(2), rec(3), rec(4), rec(5)) + '\n');
    expect(await tailOf(path, 2)).toEqual([rec(4), rec(5)]);
    expect(await tailOf(path, 1)).toEqual([rec(5)]);
    expect(await tailOf(path, 5)).toEqual([rec(1), rec(2), rec(3), rec(4), rec(5)]);
  });

  it('returns every record when N exceeds their number', async () => {
    const path = await fileWith(jl(rec(1), rec(2), rec(3)) + '\n');
    expect(await tailOf(path, 100)).toEqual([rec(1), rec(2), rec(3)]);
  });

  it('returns nothing for N = 0', async () => {
    const path = await fileWith(jl(rec(1), rec(2)) + '\n');
    expect(await tailOf(path, 0)).toEqual([]);
  });

  it('returns nothing for an empty file', async () => {
    const path = await fileWith('');
    expect(await tailOf(path, 5)).toEqual([]);
  });

  it('returns nothing for a file of newlines only', async () => {
    const path = await fileWith('\n\n\n');
    expect(await tailOf(path, 5)).toEqual([]);
  });

  it('counts a complete last object that lacks its final newline', async () => {
    const path = await fileWith(jl(rec(1), rec(2), rec(3)));
    expect(await tailOf(path, 2)).toEqual([rec(2), rec(3)]);
    expect(await tailOf(path, 1)).toEqual([rec(3)]);
  });

  it('counts a single complete object without a newline', async () => {
    const path = await fileWith(JSON.stringify(rec(1)));
    expect(await tailOf(path, 3)).toEqual([rec(1)]);
  });

  it('skips a half-written last line', async () => {
    const path = await fileWith(jl(rec(1), rec(2), rec(3)) + '\n{"type":"response_item","payl');
    expect(await tailOf(path, 2)).toEqual([rec(2), rec(3)]);
    expect(await tailOf(path, 1)).toEqual([rec(3)]);
  });

  it('skips a half-written last line that happens to be valid JSON but not an object', async () => {
    const path = await fileWith(jl(rec(1)) + '\n12');
    expect(await tailOf(path, 2)).toEqual([rec(1)]);
  });

  it('skips invalid lines, empty lines and non-object JSON', async () => {
    const path = await fileWith(jl(rec(1), 'garbage', rec(2), '', '[1,2]', 'null', '42', '{"half":', rec(3), '   ', '"s"') + '\n');
    expect(await tailOf(path, 2)).toEqual([rec(2), rec(3)]);
    expect(await tailOf(path, 10)).toEqual([rec(1), rec(2), rec(3)]);
  });

  it('handles CRLF line endings', async () => {
    const path = await fileWith(`${JSON.stringify(rec(1))}\r\n${JSON.stringify(rec(2))}\r\n`);
    expect(await tailOf(path, 5)).toEqual([rec(1), rec(2)]);
  });

  it('skips lines longer than maxLineBytes and keeps the lines around them', async () => {
    const long = { type: 'response_item', payload: { blob: 'x'.repeat(500) } };
    const path = await fileWith(jl(rec(1), long, rec(2), long) + '\n');
    expect(await tailOf(path, 10, 100)).toEqual([rec(1), rec(2)]);
    expect(await tailOf(path, 1, 100)).toEqual([rec(2)]);
    // With a generous limit the long lines are records.
    expect(await tailOf(path, 10, MiB)).toEqual([rec(1), long, rec(2), long]);
  });

  it('accepts a line of exactly maxLineBytes and skips one of a byte more', async () => {
    const exact = JSON.stringify({ a: 'x'.repeat(10) }); // 18 bytes
    const over = JSON.stringify({ a: 'x'.repeat(11) }); // 19 bytes
    expect(Buffer.byteLength(exact)).toBe(18);
    const path = await fileWith(`${exact}\n${over}\n${exact}`);
    expect(await tailOf(path, 10, 18)).toEqual([{ a: 'x'.repeat(10) }, { a: 'x'.repeat(10) }]);
  });

  it('skips an over-long line that spans several 64 KiB chunks', async () => {
    const huge = { type: 'x', payload: { blob: 'y'.repeat(3 * CHUNK) } };
    const path = await fileWith(jl(rec(1), huge, rec(2)) + '\n');
    expect(await tailOf(path, 10, CHUNK)).toEqual([rec(1), rec(2)]);
    expect(await tailOf(path, 10, 64 * MiB)).toEqual([rec(1), huge, rec(2)]);
  });

  it('reads multi-byte characters that straddle the chunk boundary', async () => {
    // The last line is d bytes more or less than one chunk, so the chunk boundary falls inside it
    // (or right next to its newline) and cuts through 3-byte '€' characters.
    for (let d = -3; d <= 3; d++) {
      const prefix = '{"e":"';
      const suffix = '"}';
      const lastBytes = CHUNK + d - 1; // without its newline
      const euros = Math.floor((lastBytes - prefix.length - suffix.length) / 3);
      const pad = lastBytes - prefix.length - suffix.length - euros * 3;
      const last = `${prefix}${'a'.repeat(pad)}${'€'.repeat(euros)}${suffix}`;
      expect(Buffer.byteLength(last)).toBe(lastBytes);
      const before = [rec(1), { e: 'é'.repeat(40_000) }, rec(2)];
      const content = `${jl(...before)}\n${last}\n`;
      const path = await fileWith(content);
      const expected = [rec(1), { e: 'é'.repeat(40_000) }, rec(2), JSON.parse(last) as JsonRecord];
      expect(await tailOf(path, 10), `d=${d}`).toEqual(expected);
      expect(await tailOf(path, 2), `d=${d}`).toEqual(expected.slice(-2));
      expect(await tailOf(path, 10), `d=${d}`).toEqual(naiveTail(Buffer.from(content), 10, 64 * MiB));
    }
  });

  it('finds the right records when a newline sits exactly on a chunk boundary', async () => {
    // File = filler line + '\n' + tail line + '\n' with the tail part exactly CHUNK + d bytes.
    for (let d = -2; d <= 2; d++) {
      const tailLine = JSON.stringify({ t: 'z'.repeat(CHUNK + d - 1 - 8) });
      expect(Buffer.byteLength(tailLine) + 1).toBe(CHUNK + d);
      const content = `${JSON.stringify(rec(1))}\n${JSON.stringify({ f: 'q'.repeat(CHUNK) })}\n${tailLine}\n`;
      const path = await fileWith(content);
      expect(await tailOf(path, 3), `d=${d}`).toEqual(naiveTail(Buffer.from(content), 3, 64 * MiB));
      expect((await tailOf(path, 3)).map((r) => Object.keys(r)[0]), `d=${d}`).toEqual(['type', 'f', 't']);
    }
  });

  it('matches a whole-file reading on 1 MB+ files with lines crossing chunk boundaries', async () => {
    for (const [seed, ending] of [
      [1, 'newline'],
      [2, 'no-newline'],
      [3, 'half-written'],
      [4, 'garbage'],
    ] as const) {
      const rand = prng(seed);
      const lines: string[] = [];
      let size = 0;
      let n = 0;
      while (size < MiB + 123) {
        const pick = rand(20);
        let line: string;
        if (pick === 0) line = 'not json at all';
        else if (pick === 1) line = '';
        else if (pick === 2) line = '[1,2,3]';
        else if (pick === 3) line = JSON.stringify({ n: n++, big: 'B'.repeat(70_000 + rand(80_000)) });
        else if (pick === 4) line = JSON.stringify({ n: n++, utf: '😀€é'.repeat(rand(3000)) });
        else line = JSON.stringify({ n: n++, pad: 'p'.repeat(rand(9000)) });
        lines.push(line);
        size += Buffer.byteLength(line) + 1;
      }
      let content = lines.join('\n') + '\n';
      if (ending === 'no-newline') content += JSON.stringify({ n: 'last' });
      if (ending === 'half-written') content += '{"n":"last","pad":"ppp';
      if (ending === 'garbage') content += 'trailing garbage\n';
      const bytes = Buffer.from(content, 'utf8');
      expect(bytes.length).toBeGreaterThan(MiB);
      const path = await fileWith(bytes);
      const total = naiveTail(bytes, Number.MAX_SAFE_INTEGER, 64 * MiB).length;
      for (const count of [1, 2, 7, 25, 100, total, total + 10]) {
        for (const max of [64 * MiB, 60_000, 5_000]) {
          const got = await tailOf(path, count, max);
          const want = naiveTail(bytes, count, max);
          expect(got.length, `seed ${seed} count ${count} max ${max}`).toBe(want.length);
          expect(got, `seed ${seed} count ${count} max ${max}`).toEqual(want);
        }
      }
    }
  });

  it('reads only up to the given size (a snapshot), even when the file is longer', async () => {
    const first = `${jl(rec(1), rec(2))}\n`;
    const path = await fileWith(`${first}${jl(rec(3))}\n`);
    const handle = await open(path, 'r');
    try {
      const texts = await readTail(handle, Buffer.byteLength(first), 5, limitsWith({ maxLineBytes: MiB }));
      expect(await parseRecords(handle, texts)).toEqual([rec(1), rec(2)]);
    } finally {
      await handle.close();
    }
  });
});

// ---------------------------------------------------------------------------------------
// scanHead
// ---------------------------------------------------------------------------------------

const ID = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7';
const STAMP = '2026-11-24T02-57-41';
const TS = '2026-11-24T02:57:41.919Z';

interface LogEntry {
  level: 'debug' | 'warn';
  obj: object;
  msg: string | undefined;
}

function logger(): { log: RolloutLogger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    log: {
      debug: (obj, msg) => void entries.push({ level: 'debug', obj, msg }),
      warn: (obj, msg) => void entries.push({ level: 'warn', obj, msg }),
    },
  };
}

async function rolloutFile(lines: Line[], opts: { trailingNewline?: boolean; raw?: string } = {}): Promise<RolloutFile> {
  const home = await tempHome();
  const name = `rollout-${STAMP}-${ID}.jsonl`;
  const relPath = `sessions/2026/11/24/${name}`;
  const absPath = join(home, relPath);
  await writeLines(absPath, lines, opts);
  if (opts.raw !== undefined) await writeFile(absPath, opts.raw, { flag: 'a' });
  const parsed = parseRolloutName(name)!;
  return { ...parsed, absPath, relPath, archived: false };
}

/** The head, read holding lines up to each of HOLDS bytes: the answers (and the log lines) must agree. */
async function head(file: RolloutFile, headCount: number, limits: ReadLimits = DEFAULT_READ_LIMITS, log = logger().log) {
  const handle = await open(file.absPath, 'r');
  try {
    const answers = [];
    for (const [i, holdLineBytes] of HOLDS.entries()) {
      const lines: { obj: object; msg?: string | undefined }[] = [];
      const recording: RolloutLogger = { debug: (obj, msg) => void lines.push({ obj, msg }), warn: () => {} };
      const found = await scanHead(handle, file, await handle.stat(), headCount, envWith({ ...limits, holdLineBytes }), recording);
      answers.push({ found: found && { ...found, head: await parseRecords(handle, found.head) }, lines });
      if (i === 0) for (const l of lines) log.debug(l.obj, l.msg);
    }
    expect(answers[1]).toEqual(answers[0]);
    return answers[0]!.found;
  } finally {
    await handle.close();
  }
}

const envMeta = (extra: JsonRecord = {}): JsonRecord => ({
  timestamp: TS,
  type: 'session_meta',
  payload: {
    id: ID,
    timestamp: TS,
    cwd: '/home/dev/web-app',
    originator: 'codex_exec',
    cli_version: '0.169.0',
    source: 'exec',
    model_provider: 'openai',
    ...extra,
  },
});
const userItem = (text: string): JsonRecord => ({
  timestamp: TS,
  type: 'response_item',
  payload: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
});
const userEvent = (message: string): JsonRecord => ({
  timestamp: TS,
  type: 'event_msg',
  payload: { type: 'user_message', message, images: [] },
});
const assistant = (): JsonRecord => ({
  timestamp: TS,
  type: 'response_item',
  payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
});

/** The meta-ish lines Codex writes before the user's message: big instructions, state and context. */
function metaIsh(count: number, bytesEach: number): JsonRecord[] {
  const kinds = [
    (i: number) => ({
      timestamp: TS,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'developer',
        content: [{ type: 'input_text', text: `<permissions instructions>${'d'.repeat(bytesEach)}${i}` }],
      },
    }),
    (i: number) => ({ timestamp: TS, type: 'world_state', payload: { full: true, blob: 'w'.repeat(bytesEach), i } }),
    (i: number) => ({ timestamp: TS, type: 'turn_context', payload: { cwd: '/home/dev/web-app', blob: 't'.repeat(bytesEach), i } }),
    (i: number) => ({
      timestamp: TS,
      type: 'response_item',
      payload: {
        type: 'message',
        role: 'user',
        content: [{ type: 'input_text', text: `<environment_context>${'e'.repeat(bytesEach)}${i}</environment_context>` }],
      },
    }),
    (i: number) => ({ timestamp: TS, type: 'event_msg', payload: { type: 'task_started', blob: 's'.repeat(bytesEach), i } }),
  ];
  return Array.from({ length: count }, (_, i) => kinds[i % kinds.length]!(i));
}

/** Byte offset of each line of `lines` as written by writeLines. */
function offsets(lines: JsonRecord[]): number[] {
  const out: number[] = [];
  let at = 0;
  for (const l of lines) {
    out.push(at);
    at += Buffer.byteLength(JSON.stringify(l)) + 1;
  }
  return out;
}

describe('scanHead', () => {
  it('finds a title 150 KB into the file, after 12 meta-ish lines', async () => {
    const lines = [
      envMeta({ base_instructions: { text: 'i'.repeat(22_000) } }),
      ...metaIsh(12, 11_000),
      userItem('fix the failing test (#1)'),
      userEvent('fix the failing test (#1)'),
      assistant(),
    ];
    const titleAt = offsets(lines)[13]!;
    expect(titleAt).toBeGreaterThan(150_000);
    expect(titleAt).toBeLessThan(200_000);
    const file = await rolloutFile(lines);
    const result = await head(file, 2);
    expect(result).not.toBeNull();
    expect(result!.summary.title).toBe('fix the failing test (#1)');
    expect(result!.hasUserMessage).toBe(true);
    expect(result!.head).toEqual([lines[0], lines[1]]);
    const st = await stat(file.absPath);
    expect(result!.summary).toEqual({
      agent: 'codex',
      id: ID,
      path: `sessions/2026/11/24/rollout-${STAMP}-${ID}.jsonl`,
      createdAt: TS,
      updatedAt: new Date(Math.floor(st.mtimeMs)).toISOString(),
      sizeBytes: st.size,
      title: 'fix the failing test (#1)',
      name: null,
      cwd: '/home/dev/web-app',
      source: 'exec',
      originator: 'codex_exec',
      cliVersion: '0.169.0',
      modelProvider: 'openai',
      git: null,
      forkedFromId: null,
      archived: false,
      usage: null,
    });
  });

  describe('the title bound', () => {
    // Line 14 is the user response item ("item title"), line 15 the user_message event ("event title").
    const lines = [envMeta(), ...metaIsh(12, 11_000), userItem('item title'), userEvent('event title'), assistant()];
    const at = offsets(lines);
    const itemAt = at[13]!;
    const eventAt = at[14]!;
    const limits = (bytes: number, lineCount: number): ReadLimits => limitsWith({
      titleScanBytes: bytes,
      titleScanLines: lineCount,
      maxLineBytes: 64 * MiB,
    });

    it('finds the event title within the default bound', async () => {
      const result = await head(await rolloutFile(lines), 1);
      expect(result!.summary.title).toBe('event title');
    });

    it('stops at a byte bound before the title', async () => {
      const file = await rolloutFile(lines);
      for (const bytes of [itemAt, itemAt - 1, 64 * 1024, 1]) {
        const result = await head(file, 3, limits(bytes, 1000));
        expect(result, `bound ${bytes}`).not.toBeNull();
        expect(result!.summary.title, `bound ${bytes}`).toBeNull();
        expect(result!.hasUserMessage, `bound ${bytes}`).toBe(false);
        expect(result!.head, `bound ${bytes}`).toEqual(lines.slice(0, 3));
        expect(result!.summary.id).toBe(ID);
      }
    });

    it('takes lines starting before the byte bound and no others', async () => {
      const file = await rolloutFile(lines);
      expect((await head(file, 1, limits(itemAt + 1, 1000)))!.summary.title).toBe('item title');
      expect((await head(file, 1, limits(eventAt, 1000)))!.summary.title).toBe('item title');
      expect((await head(file, 1, limits(eventAt + 1, 1000)))!.summary.title).toBe('event title');
    });

    it('stops at a line bound', async () => {
      const file = await rolloutFile(lines);
      expect((await head(file, 1, limits(64 * MiB, 13)))!.summary.title).toBeNull();
      expect((await head(file, 1, limits(64 * MiB, 5)))!.summary.title).toBeNull();
      expect((await head(file, 1, limits(64 * MiB, 14)))!.summary.title).toBe('item title');
      expect((await head(file, 1, limits(64 * MiB, 15)))!.summary.title).toBe('event title');
    });

    it('still fills the head past the title bound', async () => {
      const result = await head(await rolloutFile(lines), 16, limits(1, 1));
      expect(result!.summary.title).toBeNull();
      expect(result!.head).toEqual(lines);
    });
  });

  it('returns null when the first record is not a session meta', async () => {
    const { log, entries } = logger();
    const file = await rolloutFile([userItem('hello'), envMeta(), userEvent('hello')]);
    expect(await head(file, 10, DEFAULT_READ_LIMITS, log)).toBeNull();
    expect(entries).toEqual([
      { level: 'debug', obj: { path: file.relPath, line: 1 }, msg: 'not a session: first record is not a session meta' },
    ]);
  });

  it('returns null when the first record is an event or another kind', async () => {
    expect(await head(await rolloutFile([userEvent('x'), envMeta()]), 1)).toBeNull();
    expect(await head(await rolloutFile([{ timestamp: TS, type: 'turn_context', payload: {} }, envMeta()]), 1)).toBeNull();
    expect(await head(await rolloutFile([{ record_type: 'state' }, envMeta()]), 1)).toBeNull();
  });

  it('returns null for an empty file and for a file whose only line is half-written', async () => {
    expect(await head(await rolloutFile([]), 5)).toBeNull();
    expect(await head(await rolloutFile([], { raw: '{"timestamp":"2026-11-24T02:57:41.919Z","type":"session_me' }), 5)).toBeNull();
  });

  it('respects the head count', async () => {
    const lines = [
      envMeta(),
      userItem('<environment_context>x</environment_context>'),
      userItem('hello'),
      userEvent('hello'),
      assistant(),
      assistant(),
    ];
    const file = await rolloutFile(lines);
    expect((await head(file, 0))!.head).toEqual([]);
    expect((await head(file, 1))!.head).toEqual([lines[0]]);
    expect((await head(file, 3))!.head).toEqual(lines.slice(0, 3));
    expect((await head(file, 6))!.head).toEqual(lines);
    expect((await head(file, 100))!.head).toEqual(lines);
    expect((await head(file, 0))!.summary.title).toBe('hello');
  });

  it('keeps reading past the title to fill the head, and past the head to find the title', async () => {
    const lines = [envMeta(), userEvent('early'), assistant(), assistant(), assistant()];
    expect((await head(await rolloutFile(lines), 5))!.head).toEqual(lines);
    const late = [envMeta(), assistant(), assistant(), userItem('late'), userEvent('late'), assistant()];
    const result = await head(await rolloutFile(late), 1);
    expect(result!.head).toEqual([late[0]]);
    expect(result!.summary.title).toBe('late');
  });

  it('stops reading once it has the meta, the title and the head', async () => {
    const { log, entries } = logger();
    const file = await rolloutFile([envMeta(), userEvent('hello'), assistant(), 'garbage after the title']);
    const result = await head(file, 2, DEFAULT_READ_LIMITS, log);
    expect(result!.summary.title).toBe('hello');
    expect(entries).toEqual([]);
  });

  it('stops at the record that completes it, without reading the next line to its end (red team: a sparse file of 8 GiB)', async () => {
    const file = await rolloutFile([envMeta(), userEvent('hello')]);
    await truncate(file.absPath, 8 * 1024 * MiB); // NULs to the end, no newline: one line of 8 GiB
    const handle = await open(file.absPath, 'r');
    try {
      for (const headCount of [0, 2]) {
        let bytesRead = 0;
        const counting: ByteSource = {
          read: async (buffer, offset, length, position) => {
            const result = await handle.read(buffer, offset, length, position);
            bytesRead += result.bytesRead;
            return result;
          },
        };
        const found = await scanHead(counting, file, await handle.stat(), headCount, envWith(DEFAULT_READ_LIMITS), logger().log);
        expect([found?.summary.title, found?.head.length]).toEqual(['hello', headCount]);
        expect(bytesRead).toBeLessThanOrEqual(CHUNK);
      }
    } finally {
      await handle.close();
    }
  });

  it('skips invalid and over-long lines (logging line and reason) without counting them in the head', async () => {
    const { log, entries } = logger();
    const big = { timestamp: TS, type: 'world_state', payload: { blob: 'x'.repeat(5000) } };
    const lines: Line[] = [envMeta(), 'not json', big, '[1]', userItem('hi'), userEvent('hi'), assistant()];
    const file = await rolloutFile(lines);
    const result = await head(file, 3, limitsWith({ titleScanBytes: MiB, titleScanLines: 1000, maxLineBytes: 1000 }), log);
    expect(result!.head).toEqual([lines[0], lines[4], lines[5]]);
    expect(result!.summary.title).toBe('hi');
    expect(entries).toEqual([
      { level: 'debug', obj: { path: file.relPath, line: 2, reason: 'not valid JSON' }, msg: 'skipping invalid line' },
      { level: 'debug', obj: { path: file.relPath, line: 3, reason: 'line longer than 1000 bytes' }, msg: 'skipping invalid line' },
      { level: 'debug', obj: { path: file.relPath, line: 4, reason: 'not a JSON object' }, msg: 'skipping invalid line' },
    ]);
  });

  it('leaves out a half-written last line', async () => {
    const lines = [envMeta(), userItem('hi')];
    const result = await head(await rolloutFile(lines, { raw: '{"timestamp":"x","type":"event_msg","payload":{"type":"user_mes' }), 10);
    expect(result!.head).toEqual(lines);
    expect(result!.summary.title).toBe('hi');
  });

  it('counts a complete last line without its newline', async () => {
    const lines = [envMeta(), userEvent('no newline at the end')];
    const result = await head(await rolloutFile(lines, { trailingNewline: false }), 10);
    expect(result!.head).toEqual(lines);
    expect(result!.summary.title).toBe('no newline at the end');
  });

  it('reports a session without a user message', async () => {
    const lines = [envMeta(), userItem('<environment_context>x</environment_context>'), assistant()];
    const result = await head(await rolloutFile(lines), 10);
    expect(result!.summary.title).toBeNull();
    expect(result!.hasUserMessage).toBe(false);
    expect(result!.head).toEqual(lines);
  });

  it('reads a record_type-era file', async () => {
    const lines = recordTypeLines({ stamp: STAMP, id: ID, title: 'summer request', cwd: '/home/u/rt' });
    const result = await head(await rolloutFile(lines), 2);
    expect(result!.summary.title).toBe('summer request');
    expect(result!.summary.cwd).toBe('/home/u/rt');
    expect(result!.summary.createdAt).toBe('2026-11-24T02:57:41.000Z');
    expect(result!.summary.cliVersion).toBe('0.20.0');
    expect(result!.head).toEqual(lines.slice(0, 2));
  });

  it('reads a legacy file', async () => {
    const lines = legacyLines({ stamp: STAMP, id: ID, title: 'spring request' });
    const result = await head(await rolloutFile(lines), 1);
    expect(result!.summary.title).toBe('spring request');
    expect(result!.summary.git).toEqual({ branch: 'main', commitHash: 'abc123', repositoryUrl: 'git@example.com:u/r.git' });
    expect(result!.summary.source).toBe('unknown');
    expect(result!.summary.modelProvider).toBe('openai');
    expect(result!.head).toEqual([lines[0]]);
  });

  it('uses the first session meta, not a later embedded one', async () => {
    const lines = [envMeta(), envMeta({ cwd: '/elsewhere', forked_from_id: 'x' }), userEvent('hi')];
    const result = await head(await rolloutFile(lines), 1);
    expect(result!.summary.cwd).toBe('/home/dev/web-app');
    expect(result!.summary.forkedFromId).toBeNull();
  });
});
