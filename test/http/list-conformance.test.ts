import { describe, expect, it } from 'vitest';
import { buildTestApp, list, tempHome, uuidN, writeSession } from '../helper.js';

const ids = (body: { items: { id: string }[] }) => body.items.map((i) => i.id);

describe('GET /conversations: reference conformance cases', () => {
  it('lists newest first across three days, with titles', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T12-00-00', id: uuidN(1), title: 'first' });
    await writeSession(home, { stamp: '2025-01-02T12-00-00', id: uuidN(2), title: 'second' });
    await writeSession(home, { stamp: '2025-01-03T12-00-00', id: uuidN(3), title: 'third' });
    const page = await list(await buildTestApp(home));
    expect(ids(page)).toEqual([uuidN(3), uuidN(2), uuidN(1)]);
    expect(page.items.map((i) => i.title)).toEqual(['third', 'second', 'first']);
    expect(page.items[0]?.path).toBe(`sessions/2025/01/03/rollout-2025-01-03T12-00-00-${uuidN(3)}.jsonl`);
    expect(page.nextCursor).toBeNull();
    expect(page.numScannedFiles).toBe(3);
    expect(page.reachedScanCap).toBe(false);
  });

  it('pages 5 sessions with limit 2: [5,4], [3,2], [1]; scanned 3, 5, 5', async () => {
    const home = await tempHome();
    for (let n = 1; n <= 5; n++) {
      await writeSession(home, { stamp: `2025-03-05T0${n}-00-00`, id: uuidN(n), title: `s${n}` });
    }
    const app = await buildTestApp(home);
    const p1 = await list(app, 'limit=2');
    expect(ids(p1)).toEqual([uuidN(5), uuidN(4)]);
    expect(p1.nextCursor).toBe(`2025-03-05T04-00-00|${uuidN(4)}`);
    expect(p1.numScannedFiles).toBe(3); // 5, 4, and the look-ahead 3

    const p2 = await list(app, `limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([uuidN(3), uuidN(2)]);
    expect(p2.nextCursor).toBe(`2025-03-05T02-00-00|${uuidN(2)}`);
    expect(p2.numScannedFiles).toBe(5); // 5, 4 (anchor), 3, 2, look-ahead 1

    const p3 = await list(app, `limit=2&cursor=${encodeURIComponent(p2.nextCursor!)}`);
    expect(ids(p3)).toEqual([uuidN(1)]);
    expect(p3.nextCursor).toBeNull();
    expect(p3.numScannedFiles).toBe(5);
  });

  it('does not list day directories wholly newer than the cursor (deep pages stay O(page))', async () => {
    const home = await tempHome();
    for (let n = 1; n <= 5; n++) {
      await writeSession(home, { stamp: `2025-03-0${n}T09-00-00`, id: uuidN(n), title: `s${n}` });
    }
    const app = await buildTestApp(home);
    const p1 = await list(app, 'limit=2');
    expect([ids(p1), p1.numScannedFiles]).toEqual([[uuidN(5), uuidN(4)], 3]);
    const p2 = await list(app, `limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    // Day 03-05 is not listed; day 03-04 holds the anchor: 4 (anchor), 3, 2, look-ahead 1.
    expect([ids(p2), p2.numScannedFiles]).toEqual([[uuidN(3), uuidN(2)], 4]);
    const p3 = await list(app, `limit=2&cursor=${encodeURIComponent(p2.nextCursor!)}`);
    expect([ids(p3), p3.numScannedFiles, p3.nextCursor]).toEqual([[uuidN(1)], 2, null]);
  });

  it('never skips or repeats sessions of the same second: [u3,u2], [u1]', async () => {
    const home = await tempHome();
    const stamp = '2025-07-01T00-00-00';
    for (const n of [1, 2, 3]) await writeSession(home, { stamp, id: uuidN(n), title: `t${n}` });
    const app = await buildTestApp(home);
    const p1 = await list(app, 'limit=2');
    expect(ids(p1)).toEqual([uuidN(3), uuidN(2)]);
    expect(p1.nextCursor).toBe(`${stamp}|${uuidN(2)}`);
    expect(p1.numScannedFiles).toBe(3);
    const p2 = await list(app, `limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([uuidN(1)]);
    expect(p2.nextCursor).toBeNull();
    expect(p2.numScannedFiles).toBe(3);
  });

  it('orders ascending with its own cursor form', async () => {
    const home = await tempHome();
    for (let n = 1; n <= 3; n++) await writeSession(home, { stamp: `2025-03-0${n}T09-00-00`, id: uuidN(n), title: `s${n}` });
    const app = await buildTestApp(home);
    const p1 = await list(app, 'order=asc&limit=2');
    expect(ids(p1)).toEqual([uuidN(1), uuidN(2)]);
    expect(p1.nextCursor).toBe(`asc|2025-03-02T09-00-00|${uuidN(2)}`);
    const p2 = await list(app, `order=asc&limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([uuidN(3)]);
    expect(p2.nextCursor).toBeNull();
  });

  it('keeps pages stable while new sessions are written between requests', async () => {
    const home = await tempHome();
    for (let n = 1; n <= 4; n++) await writeSession(home, { stamp: `2025-05-01T10-00-0${n}`, id: uuidN(n), title: `s${n}` });
    const app = await buildTestApp(home);
    const p1 = await list(app, 'limit=2');
    expect(ids(p1)).toEqual([uuidN(4), uuidN(3)]);
    // A newer session and one in the same second as the cursor, sorting before it.
    await writeSession(home, { stamp: '2025-05-02T00-00-00', id: uuidN(9), title: 'new' });
    await writeSession(home, { stamp: '2025-05-01T10-00-03', id: uuidN(0x3ff), title: 'same second, higher uuid' });
    const p2 = await list(app, `limit=2&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([uuidN(2), uuidN(1)]);
    const fresh = await list(app, 'limit=10');
    expect(ids(fresh)).toEqual([uuidN(9), uuidN(4), uuidN(0x3ff), uuidN(3), uuidN(2), uuidN(1)]);
  });

  it('limit=0 is an empty page whose cursor starts at the top', async () => {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-01-01T00-00-00', id: uuidN(1), title: 'only' });
    const app = await buildTestApp(home);
    const empty = await list(app, 'limit=0');
    expect(empty.items).toEqual([]);
    expect(empty.nextCursor).not.toBeNull();
    const next = await list(app, `cursor=${encodeURIComponent(empty.nextCursor!)}`);
    expect(ids(next)).toEqual([uuidN(1)]);
    const none = await list(await buildTestApp(await tempHome()), 'limit=0');
    expect(none).toEqual({ items: [], nextCursor: null, numScannedFiles: 0, reachedScanCap: false });
  });

  it('stops at the scan cap and continues from where it stopped', async () => {
    const home = await tempHome();
    for (let n = 1; n <= 5; n++) await writeSession(home, { stamp: `2025-03-05T0${n}-00-00`, id: uuidN(n), title: n % 2 ? null : `s${n}` });
    const app = await buildTestApp(home, { maxScanFiles: 2 });
    // 5 and 3 have no user message: with a cap of 2 examined files, only 4 makes it.
    const p1 = await list(app, 'limit=5');
    expect(ids(p1)).toEqual([uuidN(4)]);
    expect(p1.reachedScanCap).toBe(true);
    expect(p1.nextCursor).toBe(`2025-03-05T04-00-00|${uuidN(4)}`);
    const p2 = await list(app, `limit=5&cursor=${encodeURIComponent(p1.nextCursor!)}`);
    expect(ids(p2)).toEqual([uuidN(2)]);
    expect(p2.reachedScanCap).toBe(true);
    const p3 = await list(app, `limit=5&cursor=${encodeURIComponent(p2.nextCursor!)}`);
    expect(ids(p3)).toEqual([]);
    expect(p3.reachedScanCap).toBe(false);
    expect(p3.nextCursor).toBeNull();
  });

  it('returns an empty page when sessions/ does not exist', async () => {
    const page = await list(await buildTestApp(await tempHome()));
    expect(page).toEqual({ items: [], nextCursor: null, numScannedFiles: 0, reachedScanCap: false });
  });
});

describe('GET /conversations: archived, includeEmpty, head and tail', () => {
  async function home3() {
    const home = await tempHome();
    await writeSession(home, { stamp: '2025-02-01T00-00-00', id: uuidN(1), title: 'active old' });
    await writeSession(home, { stamp: '2025-02-02T00-00-00', id: uuidN(2), title: 'archived', archived: true });
    await writeSession(home, { stamp: '2025-02-03T00-00-00', id: uuidN(3), title: null });
    return home;
  }

  it('archived=false|true|all chooses the roots', async () => {
    const app = await buildTestApp(await home3());
    expect(ids(await list(app))).toEqual([uuidN(1)]);
    const archived = await list(app, 'archived=true');
    expect(ids(archived)).toEqual([uuidN(2)]);
    expect(archived.items[0]?.archived).toBe(true);
    expect(archived.items[0]?.path).toBe(`archived_sessions/rollout-2025-02-02T00-00-00-${uuidN(2)}.jsonl`);
    expect(ids(await list(app, 'archived=all'))).toEqual([uuidN(2), uuidN(1)]);
  });

  it('includeEmpty lists sessions without a user message, with a null title', async () => {
    const app = await buildTestApp(await home3());
    const page = await list(app, 'includeEmpty=true&archived=all');
    expect(ids(page)).toEqual([uuidN(3), uuidN(2), uuidN(1)]);
    expect(page.items[0]?.title).toBeNull();
  });

  it('head and tail return the first and last records in file order', async () => {
    const home = await tempHome();
    const extra = Array.from({ length: 30 }, (_, i) => ({ timestamp: 't', type: 'event_msg', payload: { type: 'n', n: i } }));
    await writeSession(home, { stamp: '2025-02-01T00-00-00', id: uuidN(1), title: 'hello', extra });
    const app = await buildTestApp(home);
    const page = await list(app, 'head=2&tail=3');
    const item = page.items[0]!;
    expect(item.head).toHaveLength(2);
    expect((item.head[0] as { type: string }).type).toBe('session_meta');
    expect(item.tail).toEqual(extra.slice(-3));
    const none = await list(app, 'head=0');
    expect(none.items[0]?.head).toEqual([]);
    expect(none.items[0]?.tail).toEqual([]);
  });
});
