import { createWriteStream } from 'node:fs';
import { appendFile, open, readFile, truncate, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUTS } from '../../src/config.js';
import { buildTestApp, envelopeLines, tempHome, uuidN, writeSession } from '../helper.js';
import { httpGet, listen, type RawResponse } from '../net.js';

const STAMP = '2025-10-01T08-00-00';
const ID = uuidN(1);

function seqRecord(seq: number) {
  return {
    timestamp: '2025-10-01T08:00:01.000Z',
    type: 'event_msg',
    payload: { type: 'agent_message', seq, message: `line ${seq} ${'z'.repeat(seq % 200)}` },
  };
}

/**
 * A GET that reads the first chunk, then runs `between` while the response is paused, then
 * reads the rest. Over a keep-alive connection, like browsers and most clients: the server
 * must end a short body by closing, because the client waits for every promised byte.
 */
function pausedGet(port: number, path: string, between: () => Promise<void>): Promise<RawResponse> {
  const started = performance.now();
  const agent = new Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (d: Buffer) => {
        chunks.push(d);
        if (!first) return;
        first = false;
        res.pause();
        between().then(() => res.resume(), reject);
      });
      res.on('error', () => {});
      res.on('close', () => {
        agent.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
          ms: performance.now() - started,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A session of about `mb` MB: the envelope lines, then padding records. */
async function bigSession(home: string, mb: number): Promise<{ path: string; bytes: Buffer }> {
  const rel = await writeSession(home, { stamp: STAMP, id: ID, title: 'big and live' });
  const path = join(home, rel);
  const out = createWriteStream(path, { flags: 'a' });
  const line = (i: number) =>
    `${JSON.stringify({ timestamp: 't', type: 'event_msg', payload: { type: 'pad', i, pad: 'p'.repeat(1000) } })}\n`;
  for (let i = 0; i < mb * 1000; i++) if (!out.write(line(i))) await once(out, 'drain');
  out.end();
  await once(out, 'close');
  return { path, bytes: await readFile(path) };
}

describe('a live writer', () => {
  it('appends (half lines included) while clients list and stream: no errors, no half records, ETag and size move', async () => {
    const home = await tempHome();
    const rel = await writeSession(home, { stamp: STAMP, id: ID, title: 'being written' });
    const path = join(home, rel);
    const base = envelopeLines({ stamp: STAMP, id: ID, title: 'being written' });
    const app = await buildTestApp(home);
    const port = await listen(app);

    const first = await httpGet(port, `/conversations/${ID}?format=ndjson`);
    const firstList = JSON.parse((await httpGet(port, '/conversations?tail=1')).body.toString());
    const firstItem = firstList.items[0];

    const TOTAL = 300;
    let written = 0;
    let writing = true;
    const writer = (async () => {
      const handle = await open(path, 'a');
      try {
        for (let seq = 1; seq <= TOTAL; seq++) {
          const text = `${JSON.stringify(seqRecord(seq))}\n`;
          const cut = 1 + (seq * 7919) % (text.length - 1); // somewhere inside the line
          await handle.write(text.slice(0, cut));
          if (seq % 3 === 0) await sleep(2); // a half line sits on disk for a while
          await handle.write(text.slice(cut));
          written = seq;
        }
      } finally {
        await handle.close();
        writing = false;
      }
    })();

    /** The records of one response must be the base lines, then seq 1..k in order, each whole. */
    const checkRecords = (records: unknown[], minSeq: number) => {
      expect(records.slice(0, base.length)).toEqual(base);
      const rest = records.slice(base.length);
      expect(rest.length).toBeGreaterThanOrEqual(minSeq);
      rest.forEach((r, i) => expect(r).toEqual(seqRecord(i + 1)));
    };

    let reads = 0;
    let lastSize = firstItem.sizeBytes as number;
    const readers = Array.from({ length: 3 }, async (_, k) => {
      while (writing) {
        const before = written;
        if (k === 0) {
          const res = await httpGet(port, `/conversations/${ID}`);
          expect(res.status).toBe(200);
          const doc = JSON.parse(res.body.toString());
          checkRecords(doc.records, before);
          expect(doc.invalidLines).toEqual([]);
        } else if (k === 1) {
          const res = await httpGet(port, `/conversations/${ID}?format=ndjson`);
          expect(res.status).toBe(200);
          expect(res.complete).toBe(true);
          // Exactly the bytes on disk at that moment: a prefix of what the writer is producing.
          const text = res.body.toString();
          const lines = text.split('\n');
          const partial = lines.pop() as string;
          checkRecords(lines.map((l) => JSON.parse(l)), before);
          expect(`${JSON.stringify(seqRecord(lines.length - base.length + 1))}\n`.startsWith(partial)).toBe(true);
        } else {
          const res = await httpGet(port, '/conversations?head=0&tail=2');
          expect(res.status).toBe(200);
          const [item] = JSON.parse(res.body.toString()).items;
          expect(item.sizeBytes).toBeGreaterThanOrEqual(lastSize);
          lastSize = item.sizeBytes;
          for (const r of item.tail) {
            if (r.payload?.type === 'agent_message') expect(r).toEqual(seqRecord(r.payload.seq));
          }
        }
        reads += 1;
      }
    });
    await Promise.all([writer, ...readers]);
    expect(reads).toBeGreaterThan(10);

    const finalBytes = await readFile(path);
    const after = await httpGet(port, `/conversations/${ID}?format=ndjson`, { 'if-none-match': String(first.headers.etag) });
    expect(after.status).toBe(200); // not 304: the file grew
    expect(after.headers.etag).not.toBe(first.headers.etag);
    expect(after.body.equals(finalBytes)).toBe(true);
    const lastItem = JSON.parse((await httpGet(port, '/conversations?tail=1')).body.toString()).items[0];
    expect(lastItem.sizeBytes).toBe(finalBytes.length);
    expect(lastItem.sizeBytes).toBeGreaterThan(firstItem.sizeBytes);
    expect(Date.parse(lastItem.updatedAt)).toBeGreaterThan(Date.parse(firstItem.updatedAt));
    expect(lastItem.tail).toEqual([seqRecord(TOTAL)]);
    const doc = JSON.parse((await httpGet(port, `/conversations/${ID}`)).body.toString());
    checkRecords(doc.records, TOTAL);
  });

  it('a file deleted mid-stream: both forms finish from the open file; then 404, and the server is healthy', async () => {
    const home = await tempHome();
    const { path, bytes } = await bigSession(home, 40);
    const app = await buildTestApp(home);
    const port = await listen(app);
    const ndjson = await pausedGet(port, `/conversations/${ID}?format=ndjson`, () => unlink(path));
    expect([ndjson.status, ndjson.complete]).toEqual([200, true]);
    expect(ndjson.body.equals(bytes)).toBe(true);

    const { path: path2 } = await bigSession(home, 10);
    const json = await pausedGet(port, `/conversations/${ID}`, () => unlink(path2));
    expect([json.status, json.complete]).toEqual([200, true]);
    expect(JSON.parse(json.body.toString()).records).toHaveLength(10 * 1000 + 5);

    const gone = await httpGet(port, `/conversations/${ID}`);
    expect([gone.status, JSON.parse(gone.body.toString()).code]).toEqual([404, 'NOT_FOUND']);
    expect((await httpGet(port, '/healthz')).status).toBe(200);
  });

  it('a file truncated mid-stream: JSON ends as a valid document, NDJSON closes the connection at once', async () => {
    const home = await tempHome();
    const { path, bytes } = await bigSession(home, 40);
    // A long keep-alive timeout: a response that merely stopped short would hang the client this long.
    const app = await buildTestApp(home, { timeouts: { ...DEFAULT_TIMEOUTS, keepAliveMs: 30_000 } });
    const port = await listen(app);

    const ndjson = await pausedGet(port, `/conversations/${ID}?format=ndjson`, () => truncate(path, 1000));
    expect(ndjson.status).toBe(200);
    expect(ndjson.complete).toBe(false); // the client can tell the body is cut short...
    expect(ndjson.ms).toBeLessThan(5000); // ...at once, not after the keep-alive timeout
    expect(ndjson.body.equals(bytes.subarray(0, ndjson.body.length))).toBe(true);

    await appendFile(path, bytes.subarray(1000));
    const json = await pausedGet(port, `/conversations/${ID}`, () => truncate(path, 100_000));
    expect([json.status, json.complete]).toEqual([200, true]);
    const doc = JSON.parse(json.body.toString());
    const all = bytes.toString().split('\n').slice(0, -1).map((l) => JSON.parse(l));
    expect(doc.records.length).toBeGreaterThan(0);
    expect(doc.records.length).toBeLessThan(all.length);
    expect(doc.records).toEqual(all.slice(0, doc.records.length));

    expect((await httpGet(port, '/healthz')).status).toBe(200);
    const now = await httpGet(port, `/conversations/${ID}?format=ndjson`);
    expect([now.status, now.body.length]).toEqual([200, 100_000]);
  });
});
