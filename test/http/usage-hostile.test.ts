import { describe, expect, it } from 'vitest';
import { envelopeLines, MODES, appFor, tempHome, uuidN, writeSession } from '../helper.js';
import { turnContext, u, usageRecord } from '../usage-lines.js';

/**
 * Usage lines a hostile or broken writer could put in a home (found by a red-team pass): each
 * must give the same 200 answer from the index and from a scan, never a 500 or a stalled server.
 */
async function hostileHome(lines: ReturnType<typeof usageRecord>[]): Promise<string> {
  const home = await tempHome();
  const id = uuidN(1);
  const extra = [turnContext('2026-11-25T00:00:00.000Z', 'gpt-5'), ...lines];
  const spec = { stamp: '2026-11-25T00-00-00', id, title: 'hostile usage' };
  await writeSession(home, spec, envelopeLines({ ...spec, extra }));
  return home;
}

const record = (timestamp: string, response: string, usage = u(1000, 0, 10, 0)) => usageRecord(timestamp, uuidN(1), response, usage);

describe.each(MODES)('GET /usage over hostile usage lines ($mode)', ({ index }) => {
  it('times outside 1970-2100 are not times (a response keeps the last real one): a zone with DST costs what UTC does', async () => {
    const home = await hostileHome([
      record('0000-01-01T00:00:00Z', 'r1'),
      record('9999-12-31T00:00:00Z', 'r2'),
      record('+275760-09-13T00:00:00Z', 'r3'),
      record('2026-11-25T10:00:00.000Z', 'r4'),
    ]);
    const app = await appFor(home, index);
    for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Kathmandu']) {
      const res = await app.inject(`/usage?groupBy=day&tz=${encodeURIComponent(tz)}`);
      expect(res.statusCode).toBe(200);
      const rows = res.json().rows as { key: string | null; totalTokens: number }[];
      expect(rows.map((r) => [r.key, r.totalTokens])).toEqual([['2026-11-25', 4040]]);
    }
  });

  it('a timestamp that is not ISO 8601 is not a time, whichever parser would have taken it', async () => {
    const home = await hostileHome([
      record('Fri, 27 Nov 2026 01:00:00 GMT', 'r1'),
      record('2026/11/27 23:50', 'r2'),
      record('November 27, 2026 00:10 UTC', 'r3'),
      record('2026-11-26T00:30:00+01:00', 'r4'), // ISO with an offset: a time (23:30 UTC the day before)
    ]);
    const app = await appFor(home, index);
    const res = await app.inject('/usage?groupBy=day');
    expect(res.statusCode).toBe(200);
    expect(res.json().rows.map((r: { key: string | null; totalTokens: number }) => [r.key, r.totalTokens])).toEqual([['2026-11-25', 4040]]);
    const bounded = await app.inject('/usage?groupBy=day&since=2026-11-26');
    expect(bounded.json().rows).toEqual([]);
  });

  it('counts too large to sum (9e18, 1e308) are capped at 2^40 a response: lists, lookups, search and usage answer 200', async () => {
    const home = await hostileHome([
      record('2026-11-25T10:00:00.000Z', 'r1', u(9e18, 0, 1e308, 0)),
      record('2026-11-25T10:01:00.000Z', 'r2', u(9e18, 0, 1e308, 0)),
    ]);
    const app = await appFor(home, index);
    const cap = 2 ** 40;
    for (const path of ['/conversations?limit=3', `/conversations/${uuidN(1)}`, '/search?q=hostile', `/conversations/${uuidN(1)}/usage`]) {
      expect((await app.inject(path)).statusCode, path).toBe(200);
    }
    const usage = (await app.inject('/usage?groupBy=model')).json();
    expect(usage.totals).toMatchObject({ inputTokens: 2 * cap, outputTokens: 2 * cap, totalTokens: 4 * cap });
    expect(usage.totals.costUSD).toBeGreaterThan(0);
    const item = (await app.inject('/conversations?limit=3&head=0')).json().items[0];
    if (index) expect(item.usage).toMatchObject({ inputTokens: 2 * cap, outputTokens: 2 * cap });
  });
});
