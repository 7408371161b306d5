import { describe, expect, it } from 'vitest';
import { MODES, appFor, envelopeLines, tempHome, writeSession } from '../helper.js';
import { listen } from '../net.js';
import { sessionMeta, turnContext, u, usageRecord, v7At } from '../usage-lines.js';

const PARENT = v7At('2025-10-02T09:00:00Z', 0x10); // its file is gone
const OLDER = v7At('2025-10-02T10:00:00Z', 0x11);
const NEWER = v7At('2025-10-02T11:00:00Z', 0x12);
const T = (h: number, m: number) => `2025-10-02T${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000Z`;

/** A fork: the parent's records it copied, then one response of its own. */
function fork(id: string, hour: number, copied: number, own: number) {
  const parentRecords = [
    usageRecord(T(9, 1), PARENT, 'resp_p1', u(500, 0, 50, 0)),
    usageRecord(T(9, 2), PARENT, 'resp_p2', u(700, 0, 100, 0)),
  ].slice(0, copied);
  return {
    stamp: `2025-10-02T${hour}-00-00`,
    id,
    title: `fork ${id.slice(-2)}`,
    meta: { forked_from_id: PARENT },
    extra: [
      sessionMeta(T(9, 0), PARENT),
      ...parentRecords,
      sessionMeta(T(hour, 0), id),
      turnContext(T(hour, 1), 'gpt-5', v7At(T(hour, 1), 0x30 + hour)),
      usageRecord(T(hour, 2), id, `resp_${hour}`, u(own, 0, 0, 0)),
    ],
  };
}

describe.each(MODES)("a fork whose parent's file is gone ($mode)", ({ index }) => {
  it('has one usage on its own page, in the list and in groupBy=session (SPEC §6 rule 6: the oldest carrier)', async () => {
    const home = await tempHome();
    // Both forks carry the parent's first response; only the newer one its second.
    for (const spec of [fork(OLDER, 10, 1, 300), fork(NEWER, 11, 2, 100)]) await writeSession(home, spec, envelopeLines(spec));
    const base = `http://127.0.0.1:${await listen(await appFor(home, index))}`;
    const get = async (path: string) => {
      const res = await fetch(base + path);
      expect(res.status, path).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    // OLDER: its own 300 + the parent's first (550); NEWER: its own 100 + the parent's second (800).
    const expected = { [OLDER]: 850, [NEWER]: 900 };
    const bySession = (await get('/usage?groupBy=session')) as { rows: { key: string; totalTokens: number }[] };
    expect(Object.fromEntries(bySession.rows.map((r) => [r.key, r.totalTokens]))).toEqual(expected);
    for (const id of [OLDER, NEWER]) {
      const own = (await get(`/conversations/${id}/usage`)) as { totals: { totalTokens: number }; turns: { totalTokens: number }[] };
      expect(own.totals.totalTokens, id).toBe(expected[id]);
      expect(own.turns.reduce((sum, t) => sum + t.totalTokens, 0), id).toBe(expected[id]);
    }
    if (index) {
      const list = (await get('/conversations')) as { items: { id: string; usage: { totalTokens: number } }[] };
      expect(Object.fromEntries(list.items.map((i) => [i.id, i.usage.totalTokens]))).toEqual(expected);
    }
  });
});
