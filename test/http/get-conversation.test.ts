import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTestApp, envelopeLines, tempHome, uuidN, writeLines, writeSession, rolloutRelPath } from '../helper.js';

const V7 = '01a20b7c-dbe8-70c2-9828-678afb8f6bf7'; // created 2026-11-24T02:57:41.928Z

async function oneSession(extra: (Record<string, unknown> | string)[] = []) {
  const home = await tempHome();
  const rel = await writeSession(home, { stamp: '2025-09-01T10-00-00', id: uuidN(1), title: 'hello', extra });
  return { home, rel, app: await buildTestApp(home) };
}

describe('GET /conversations/:id (JSON)', () => {
  it('streams the summary, every record and the invalid lines', async () => {
    const { home, rel, app } = await oneSession(['{broken', { timestamp: 't', type: 'world_state', payload: { full: true } }]);
    await writeFile(join(home, rel), '{"timestamp":"t","type":"event_ms', { flag: 'a' }); // writer mid-line
    const res = await app.inject(`/conversations/${uuidN(1)}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json();
    const expected = envelopeLines({ stamp: '2025-09-01T10-00-00', id: uuidN(1), title: 'hello' });
    expect(body.records).toEqual([...expected, { timestamp: 't', type: 'world_state', payload: { full: true } }]);
    expect(body.invalidLines).toEqual([{ line: expected.length + 1, reason: 'not valid JSON' }]);
    expect(body.conversation).toMatchObject({ id: uuidN(1), title: 'hello', path: rel, archived: false });
    expect(body.conversation).not.toHaveProperty('head');
  });

  it('accepts any case of the id and finds archived sessions', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-09-01T10-00-00', id: uuidN(0xabc), title: 'archived one', archived: true });
    const app = await buildTestApp(home);
    const res = await app.inject(`/conversations/${uuidN(0xabc).toUpperCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().conversation).toMatchObject({ archived: true, title: 'archived one' });
  });

  it('finds a UUIDv7 session in the day its id names, and one filed under the neighbouring day', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2026-11-24T02-57-41', id: V7, title: 'v7 today' });
    const late = '01a20b7c-dbe8-70c2-9828-000000000001';
    await writeSession(home, { stamp: '2026-11-23T21-57-41', id: late, title: 'v7 written at UTC-5' });
    const app = await buildTestApp(home);
    expect((await app.inject(`/conversations/${V7}`)).json().conversation.title).toBe('v7 today');
    expect((await app.inject(`/conversations/${late}`)).json().conversation.title).toBe('v7 written at UTC-5');
  });

  it('falls back to a full search for a UUIDv7 filed far from its day', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: V7, title: 'misfiled' });
    const res = await (await buildTestApp(home)).inject(`/conversations/${V7}`);
    expect(res.json().conversation.title).toBe('misfiled');
  });

  it('serves a file whose meta is not written yet with a summary from its name', async () => {
    const home = await tempHome();
    const rel = rolloutRelPath('2025-09-01T10-00-00', uuidN(1));
    await writeLines(join(home, rel), []);
    const res = await (await buildTestApp(home)).inject(`/conversations/${uuidN(1)}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      conversation: { id: uuidN(1), createdAt: '2025-09-01T10:00:00.000Z', title: null, sizeBytes: 0 },
      records: [],
      invalidLines: [],
    });
  });
});

describe('GET /conversations/:id (NDJSON)', () => {
  it('returns the file byte for byte, by query or by Accept', async () => {
    const { home, rel, app } = await oneSession(['{"unicode":"données 🚀"}']);
    await writeFile(join(home, rel), '{"half', { flag: 'a' });
    const bytes = await readFile(join(home, rel));
    for (const req of [
      { url: `/conversations/${uuidN(1)}?format=ndjson` },
      { url: `/conversations/${uuidN(1)}`, headers: { accept: 'application/x-ndjson' } },
      { url: `/conversations/${uuidN(1)}`, headers: { accept: 'application/json;q=0.5, application/x-ndjson' } },
    ]) {
      const res = await app.inject(req);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/x-ndjson');
      expect(res.headers['accept-ranges']).toBe('bytes');
      expect(res.headers['content-length']).toBe(String(bytes.length));
      expect(res.rawPayload.equals(bytes)).toBe(true);
    }
  });

  it('serves byte ranges, and 416 RANGE_NOT_SATISFIABLE past the end', async () => {
    const { home, rel, app } = await oneSession();
    const bytes = await readFile(join(home, rel));
    const url = `/conversations/${uuidN(1)}?format=ndjson`;
    const part = await app.inject({ url, headers: { range: 'bytes=10-99' } });
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 10-99/${bytes.length}`);
    expect(part.rawPayload.equals(bytes.subarray(10, 100))).toBe(true);
    const suffix = await app.inject({ url, headers: { range: 'bytes=-5' } });
    expect(suffix.rawPayload.equals(bytes.subarray(bytes.length - 5))).toBe(true);
    const bad = await app.inject({ url, headers: { range: `bytes=${bytes.length + 10}-` } });
    expect(bad.statusCode).toBe(416);
    expect(bad.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(bad.headers['content-range']).toBe(`bytes */${bytes.length}`);
    expect(bad.json().code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('answers If-None-Match with 304 until the file grows', async () => {
    const { home, rel, app } = await oneSession();
    const url = `/conversations/${uuidN(1)}?format=ndjson`;
    const first = await app.inject(url);
    const etag = first.headers.etag as string;
    expect(etag).toBeTruthy();
    expect(first.headers['last-modified']).toBeTruthy();
    const again = await app.inject({ url, headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    await writeFile(join(home, rel), '{"more":true}\n', { flag: 'a' });
    const grown = await app.inject({ url, headers: { 'if-none-match': etag } });
    expect(grown.statusCode).toBe(200);
    expect(grown.headers.etag).not.toBe(etag);
  });
});

describe('GET /conversations/:id errors', () => {
  it.each([
    ['not-a-uuid', 400, 'INVALID_ID'],
    ['..%2F..%2Fetc%2Fpasswd', 400, 'INVALID_ID'],
    ['00000000-0000-4000-8000-00000000000g', 400, 'INVALID_ID'],
    [`${uuidN(1)}x`, 400, 'INVALID_ID'],
    [uuidN(2), 404, 'NOT_FOUND'],
  ])('%s → %i %s', async (id, status, code) => {
    const { app } = await oneSession();
    const res = await app.inject(`/conversations/${id}`);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
  });

  it('a raw ../ path is no route, not a file', async () => {
    const { app } = await oneSession();
    const res = await app.inject('/conversations/../../etc/passwd');
    expect([res.statusCode, res.json().code]).toEqual([404, 'NOT_FOUND']);
    expect(res.body).not.toContain('root:');
  });

  it('two files claiming one id → 409 AMBIGUOUS_ID naming both paths', async () => {
    const home = await tempHome();
    const a = await writeSession(home, { stamp: '2025-09-01T10-00-00', id: uuidN(1), title: 'a' });
    const b = await writeSession(home, { stamp: '2025-09-02T10-00-00', id: uuidN(1), title: 'b', archived: true });
    const res = await (await buildTestApp(home)).inject(`/conversations/${uuidN(1)}`);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('AMBIGUOUS_ID');
    expect(res.json().detail).toContain(a);
    expect(res.json().detail).toContain(b);
  });

  it('an unsupported Accept → 406 NOT_ACCEPTABLE; an unknown format → 400 INVALID_QUERY', async () => {
    const { app } = await oneSession();
    const res = await app.inject({ url: `/conversations/${uuidN(1)}`, headers: { accept: 'text/html' } });
    expect([res.statusCode, res.json().code]).toEqual([406, 'NOT_ACCEPTABLE']);
    const zero = await app.inject({ url: `/conversations/${uuidN(1)}`, headers: { accept: 'application/json;q=0' } });
    expect([zero.statusCode, zero.json().code]).toEqual([406, 'NOT_ACCEPTABLE']);
    const fmt = await app.inject(`/conversations/${uuidN(1)}?format=xml`);
    expect([fmt.statusCode, fmt.json().code]).toEqual([400, 'INVALID_QUERY']);
    const wild = await app.inject({ url: `/conversations/${uuidN(1)}`, headers: { accept: 'text/html, */*;q=0.1' } });
    expect([wild.statusCode, wild.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
  });
});
