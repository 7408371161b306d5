import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildTestApp, envelopeLines, list, rolloutRelPath, tempHome, uuidN, writeSession } from '../helper.js';
import { codePoint } from '../code-points.js';

/**
 * Property-based tests: whatever a client sends and whatever is in the files, the answer is a
 * 2xx, or a 4xx problem+json with the right `code`; never a 5xx, a hang or a crash.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Every query parameter the spec names for GET /conversations (some may still be rejected). */
const SPEC_LIST_PARAMS = [
  'cursor', 'limit', 'head', 'tail', 'sort', 'order', 'cwd',
  'source', 'provider', 'since', 'until', 'q', 'archived', 'includeEmpty',
];

/** The spec's repeatable filters: given twice they mean "either". */
const REPEATABLE = new Set(['cwd', 'source', 'provider']);

/** Percent-encodes all but unreserved characters, byte by byte (lone surrogates become U+FFFD). */
function enc(value: string): string {
  let out = '';
  for (const ch of value) {
    if (/^[A-Za-z0-9._~-]$/.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Any text: printable ASCII, full Unicode with astral characters, and arbitrary code units. */
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: codePoint, maxLength: 20 }),
  fc.constantFrom(
    '', ' ', '0', '-0', '1e1', '0x10', ' 5 ', '101', '-1', '2.5',
    'NaN', 'Infinity', '-Infinity', '1e400', 'true', 'null', '%', '__proto__', '\u0000',
  ),
);

function expectProblem(res: LightMyRequestResponse, status: number, codes: string[]) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const body = res.json();
  expect(codes).toContain(body.code);
  expect(body.status).toBe(status);
}

/** A page size as the API takes one: decimal digits only, 0..100. */
function validPageSize(value: string): boolean {
  return /^\d{1,15}$/.test(value) && Number(value) <= 100;
}

async function smallHome() {
  const home = await tempHome();
  const days = ['2025-08-30', '2025-08-31', '2025-09-01'];
  let n = 0;
  for (const day of days) {
    for (const time of ['00-00-00', '00-00-00', '12-30-45']) {
      n += 1;
      await writeSession(home, { stamp: `${day}T${time}`, id: uuidN(n), title: n === 4 ? null : `session ${n}`, archived: n === 7 });
    }
  }
  return home;
}

describe('properties: GET /conversations', () => {
  it('every combination of valid and junk parameter values: 200 obeying the query, or 400 with the right code', async () => {
    const home = await smallHome();
    const app = await buildTestApp(home);
    // Real cursors of both orders, to mix into the generated queries.
    const cursors = {
      desc: [(await list(app, 'limit=2')).nextCursor, (await list(app, 'limit=5')).nextCursor] as string[],
      asc: [(await list(app, 'limit=2&order=asc')).nextCursor, (await list(app, 'limit=5&order=asc')).nextCursor] as string[],
    };
    const valid = new Set([...cursors.desc, ...cursors.asc]);
    const size = fc.oneof(fc.integer({ min: 0, max: 100 }).map(String), anyText);
    const param = {
      limit: size,
      head: size,
      tail: size,
      order: fc.oneof(fc.constantFrom('asc', 'desc'), anyText),
      archived: fc.oneof(fc.constantFrom('false', 'true', 'all'), anyText),
      includeEmpty: fc.oneof(fc.constantFrom('true', 'false'), anyText),
      cursor: fc.oneof(
        fc.constantFrom(...cursors.desc, ...cursors.asc),
        anyText,
        fc.constantFrom('asc|', '|', `2025-09-01T00-00-00|${uuidN(1)}|x`),
      ),
    };
    const query = fc.record(param, { requiredKeys: [] });
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const qs = Object.entries(q)
          .map(([k, v]) => `${k}=${enc(v as string)}`)
          .join('&');
        const res = await app.inject(`/conversations?${qs}`);
        const badParam =
          (q.limit !== undefined && !validPageSize(q.limit)) ||
          (q.head !== undefined && !validPageSize(q.head)) ||
          (q.tail !== undefined && !validPageSize(q.tail)) ||
          (q.order !== undefined && !['asc', 'desc'].includes(q.order)) ||
          (q.archived !== undefined && !['false', 'true', 'all'].includes(q.archived)) ||
          (q.includeEmpty !== undefined && !['true', 'false'].includes(q.includeEmpty));
        const order = (q.order ?? 'desc') as 'asc' | 'desc';
        if (badParam) return expectProblem(res, 400, ['INVALID_QUERY']);
        if (q.cursor !== undefined && !(valid.has(q.cursor) && cursors[order].includes(q.cursor))) {
          return expectProblem(res, 400, ['INVALID_CURSOR']);
        }
        expect(res.statusCode, res.body).toBe(200);
        const page = res.json();
        expect(page.items.length).toBeLessThanOrEqual(Number(q.limit ?? 25));
        for (const item of page.items) {
          expect(item.head.length).toBeLessThanOrEqual(Number(q.head ?? 10));
          expect(item.tail.length).toBeLessThanOrEqual(Number(q.tail ?? 0));
        }
        // File names sort like keys (fixed-width time, then uuid): the page is in `order`.
        const names: string[] = page.items.map((i: { path: string }) => i.path.slice(i.path.lastIndexOf('/') + 1));
        const sorted = [...names].sort();
        expect(names).toEqual(order === 'desc' ? sorted.reverse() : sorted);
      }),
      { numRuns: 250 },
    );
  });

  it('unknown parameter names, and non-repeatable parameters given twice → 400 INVALID_QUERY', async () => {
    const app = await buildTestApp(await smallHome());
    const known = new Set([...SPEC_LIST_PARAMS, '']);
    const unknownName = fc.oneof(
      anyText,
      fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'prototype', 'limit[]', 'LIMIT', 'format'),
    );
    await fc.assert(
      fc.asyncProperty(unknownName.filter((n) => !known.has(n)), anyText, async (name, value) => {
        expectProblem(await app.inject(`/conversations?${enc(name)}=${enc(value)}`), 400, ['INVALID_QUERY']);
      }),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SPEC_LIST_PARAMS.filter((p) => !REPEATABLE.has(p))),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 5 }),
        async (name, a, b) => {
          expectProblem(await app.inject(`/conversations?${name}=${a}&${name}=${b}`), 400, ['INVALID_QUERY']);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('any value of any spec parameter, alone or with others: 200 or a 400 with INVALID_QUERY / INVALID_CURSOR', async () => {
    const app = await buildTestApp(await smallHome());
    const pair = fc.tuple(fc.constantFrom(...SPEC_LIST_PARAMS), anyText);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(pair, { selector: (p) => p[0], maxLength: 5 }), async (pairs) => {
        const res = await app.inject(`/conversations?${pairs.map(([k, v]) => `${k}=${enc(v)}`).join('&')}`);
        if (res.statusCode === 200) {
          expect(Array.isArray(res.json().items)).toBe(true);
          return;
        }
        expectProblem(res, 400, ['INVALID_QUERY', 'INVALID_CURSOR']);
        if (pairs.length === 1 && pairs[0]![0] === 'cursor') expect(res.json().code).toBe('INVALID_CURSOR');
      }),
      { numRuns: 200 },
    );
  });

  it('raw query strings, malformed percent-encoding included: 200 or 400, never anything else', async () => {
    const app = await buildTestApp(await smallHome());
    const piece = fc.oneof(
      fc.constantFrom('&', '=', '%', '%zz', '%c3', '%ff', '%00', '+', ';', '[', ']', '?', '#', 'limit', 'cursor', 'order', 'asc', '5', '|'),
      fc.string({ maxLength: 6 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 12 }), async (pieces) => {
        const raw = pieces.join('').replaceAll('#', '%23').replaceAll(' ', '%20');
        const res = await app.inject(`/conversations?${raw}`);
        if (res.statusCode === 200) return;
        expectProblem(res, 400, ['INVALID_QUERY', 'INVALID_CURSOR']);
      }),
      { numRuns: 200 },
    );
  });
});

describe('properties: GET /conversations/:id', () => {
  it('any id: 400 INVALID_ID unless it is a UUID, then 200 or 404 NOT_FOUND', async () => {
    const home = await smallHome();
    const app = await buildTestApp(home);
    const rawId = fc.oneof(
      anyText.map(enc),
      fc.tuple(fc.uuid(), fc.boolean()).map(([u, upper]) => (upper ? u.toUpperCase() : u)),
      fc.constantFrom(
        uuidN(1), uuidN(7), uuidN(1).toUpperCase(), `${uuidN(1)}x`, ` ${uuidN(1)}`, 'x'.repeat(600),
        '%zz', '%', '%c3%28', '%00', '..%2F..%2Fetc%2Fpasswd', 'a%2Fb',
      ),
      fc.array(fc.constantFrom('%', 'zz', '%c3', '%2F', 'ab', '-', '0'), { maxLength: 8 }).map((a) => a.join('')),
    );
    await fc.assert(
      fc.asyncProperty(rawId, async (raw) => {
        let decoded: string | null;
        try {
          decoded = decodeURIComponent(raw);
        } catch {
          decoded = null;
        }
        fc.pre(decoded !== '.' && decoded !== '..' && raw !== '.' && raw !== '..'); // dot segments are resolved by the URL itself
        const res = await app.inject(`/conversations/${raw}`);
        if (decoded === null || !UUID.test(decoded)) return expectProblem(res, 400, ['INVALID_ID']);
        const exists = [1, 2, 3, 4, 5, 6, 7, 8, 9].some((n) => uuidN(n) === decoded.toLowerCase());
        if (exists) expect(res.statusCode).toBe(200);
        else expectProblem(res, 404, ['NOT_FOUND']);
      }),
      { numRuns: 250 },
    );
  });

  it('any Accept, Range, If-None-Match and format: 200/206/304, or 400/406/416 with the right code', async () => {
    const home = await smallHome();
    const app = await buildTestApp(home);
    const header = fc.oneof(fc.string({ maxLength: 40 }), fc.constant(undefined));
    const range = fc.oneof(
      header,
      fc.tuple(fc.integer({ min: -5, max: 3000 }), fc.integer({ min: -5, max: 3000 })).map(([a, b]) => `bytes=${a}-${b}`),
      fc.integer({ min: 0, max: 3000 }).map((n) => `bytes=-${n}`),
      fc.constantFrom('bytes=0-0,5-9', 'bytes=', 'bytes=-', 'items=0-5', 'bytes=99999999999999999999-'),
    );
    const accept = fc.oneof(
      header,
      fc.constantFrom('application/x-ndjson', 'application/json;q=0', '*/*;q=0.5, text/html', 'application/*', 'text/plain'),
    );
    const format = fc.oneof(fc.constant(undefined), fc.constantFrom('json', 'ndjson'), anyText);
    await fc.assert(
      fc.asyncProperty(accept, range, header, format, fc.integer({ min: 1, max: 9 }), async (accept, range, inm, fmt, n) => {
        const headers: Record<string, string> = {};
        if (accept !== undefined) headers.accept = accept;
        if (range !== undefined) headers.range = range;
        if (inm !== undefined) headers['if-none-match'] = inm;
        const res = await app.inject({ url: `/conversations/${uuidN(n)}${fmt === undefined ? '' : `?format=${enc(fmt)}`}`, headers });
        if (fmt !== undefined && fmt !== 'json' && fmt !== 'ndjson') return expectProblem(res, 400, ['INVALID_QUERY']);
        if ([200, 206, 304].includes(res.statusCode)) return;
        if (res.statusCode === 406) return expectProblem(res, 406, ['NOT_ACCEPTABLE']);
        expectProblem(res, 416, ['RANGE_NOT_SATISFIABLE']);
        expect(res.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
      }),
      { numRuns: 250 },
    );
  });
});

/** What a correct reader makes of a file: its records and invalid lines, independently of the service's code. */
function oracle(bytes: Buffer) {
  const records: unknown[] = [];
  const invalid: { line: number; reason: string }[] = [];
  const pieces: Buffer[] = [];
  let start = 0;
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    pieces.push(bytes.subarray(start, i));
    start = i + 1;
  }
  const last = start < bytes.length ? bytes.subarray(start) : null;
  const classify = (piece: Buffer) => {
    try {
      const value = JSON.parse(piece.toString('utf8'));
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? { value } : null;
    } catch {
      return null;
    }
  };
  pieces.forEach((piece, i) => {
    const parsed = classify(piece);
    if (parsed) records.push(parsed.value);
    else invalid.push({ line: i + 1, reason: '' });
  });
  if (last) {
    const parsed = classify(last);
    if (parsed) records.push(parsed.value); // a whole object that merely lacks its newline
  }
  return { records, invalid };
}

describe('properties: arbitrary JSONL content', () => {
  it('GET (JSON and NDJSON) and the list never fail, and return exactly the complete records', async () => {
    const home = await tempHome();
    const app = await buildTestApp(home);
    const stamp = '2025-09-09T09-09-09';
    const line = fc.oneof(
      { weight: 3, arbitrary: fc.json({ maxDepth: 2 }).map((j) => Buffer.from(j)) },
      {
        weight: 2,
        arbitrary: fc
          .dictionary(fc.string({ unit: codePoint, maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 })
          .map((o) => Buffer.from(JSON.stringify(o))),
      },
      { weight: 1, arbitrary: fc.string({ unit: codePoint, maxLength: 30 }).map((s) => Buffer.from(s)) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(
            '', ' ', '\r', '{', '}', '{}', '[]', 'null', '{"a":1}\r', '\u0000',
            '{"payload":{"type":"user_message","message":"hi"},"type":"event_msg"}',
          )
          .map((s) => Buffer.from(s)),
      },
    );
    let n = 100;
    let previous: string | null = null;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(line, { maxLength: 12 }), fc.boolean(), async (withMeta, lines, trailingNewline) => {
        n += 1;
        const id = uuidN(n);
        if (previous) await rm(join(home, previous));
        previous = rolloutRelPath(stamp, id);
        const meta = Buffer.from(JSON.stringify(envelopeLines({ stamp, id })[0]));
        const all = withMeta ? [meta, ...lines] : lines;
        const bytes = Buffer.concat(all.flatMap((l, i) => (i < all.length - 1 || trailingNewline ? [l, Buffer.from('\n')] : [l])));
        await mkdir(join(home, previous, '..'), { recursive: true });
        await writeFile(join(home, previous), bytes);
        const expected = oracle(bytes);

        const json = await app.inject(`/conversations/${id}`);
        expect(json.statusCode, json.body).toBe(200);
        const doc = JSON.parse(json.body); // the streamed document is always valid JSON
        expect(doc.records).toEqual(expected.records);
        expect(doc.invalidLines.map((l: { line: number }) => l.line)).toEqual(expected.invalid.map((l) => l.line));
        for (const l of doc.invalidLines) expect(['empty line', 'not valid JSON', 'not a JSON object']).toContain(l.reason);

        const ndjson = await app.inject(`/conversations/${id}?format=ndjson`);
        expect(ndjson.statusCode).toBe(200);
        expect(ndjson.rawPayload.equals(bytes)).toBe(true);

        const listed = await app.inject('/conversations?includeEmpty=true&head=3&tail=3');
        expect(listed.statusCode, listed.body).toBe(200);
        const items = listed.json().items;
        expect(items.length).toBeLessThanOrEqual(1);
        if (withMeta) expect(items.map((i: { id: string }) => i.id)).toEqual([id]);
        if (items.length === 1) {
          expect(items[0].head).toEqual(expected.records.slice(0, 3));
          expect(items[0].tail).toEqual(expected.records.slice(-3));
        }
      }),
      { numRuns: 120 },
    );
  });
});
