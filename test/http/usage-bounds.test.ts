import { describe, expect, it } from 'vitest';
import { MODES, appFor, buildTestApp, envelopeLines, tempHome, uuidN, writeSession } from '../helper.js';
import { listen } from '../net.js';
import { tokenCount, turnContext, u, usageRecord } from '../usage-lines.js';

const T = (s: number) => new Date(Date.UTC(2025, 9, 1, 10) + s * 1000).toISOString();

describe.each(MODES)('GET /conversations/:id/usage bounds ($mode)', ({ index }) => {
  it('lists the first 1,000 turns, counts the others in turnsOmitted and keeps every token in the totals', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-01T10-00-00', id: uuidN(1), title: 'many responses' };
    // 5,000 responses outside any turn: each is a turn of its own.
    const records = Array.from({ length: 5000 }, (_, i) => usageRecord(T(i), spec.id, `resp_${i}`, u(10, 0, 1, 0)));
    await writeSession(home, spec, [...envelopeLines(spec), turnContext(T(0), 'gpt-5'), ...records]);
    const base = `http://127.0.0.1:${await listen(await appFor(home, index))}`;
    const res = await fetch(`${base}/conversations/${spec.id}/usage`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { totals: { totalTokens: number }; turns: { totalTokens: number }[]; turnsOmitted: number };
    expect(body.turns.length).toBe(1000);
    expect(body.turnsOmitted).toBe(4000);
    expect(body.totals.totalTokens).toBe(5000 * 11);
    expect(body.turns.reduce((n, t) => n + t.totalTokens, 0)).toBe(1000 * 11);
  });

  it('drops a rate-limit snapshot of more than 16 KiB (a 2 MB one was held and sent whole)', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-01T10-00-00', id: uuidN(2), title: 'huge rate limits' };
    const huge = { primary: { used_percent: 1, window_minutes: 300 }, junk: 'x'.repeat(2 * 1024 * 1024) };
    const small = { primary: { used_percent: 2, window_minutes: 300 }, secondary: null };
    await writeSession(home, spec, [
      ...envelopeLines(spec),
      turnContext(T(0), 'gpt-5'),
      tokenCount(T(1), u(100, 0, 10, 0), u(100, 0, 10, 0), { rateLimits: small }),
      tokenCount(T(2), u(200, 0, 20, 0), u(100, 0, 10, 0), { rateLimits: huge }),
    ]);
    const base = `http://127.0.0.1:${await listen(await appFor(home, index))}`;
    const res = await fetch(`${base}/conversations/${spec.id}/usage`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeLessThan(16 * 1024);
    const body = JSON.parse(text) as { rateLimits: unknown; totals: { totalTokens: number } };
    expect(body.rateLimits).toBeNull();
    expect(body.totals.totalTokens).toBe(220);
  });
});

describe('GET /conversations/:id/usage and the memory budget', () => {
  // Issue 17 item 7. Before: the count took 0.7 B per byte of the file from the request's lease up
  // front, capped at the client's share; holding the read's share already, it waited for its own
  // bytes and was answered 503 after the wait (a 112 MB file of 300,000 records at the default budget).
  it('answers a file whose count holds more than a client share: the lease grows with the responses, alone at worst', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-10-01T10-00-00', id: uuidN(3), title: 'many records' };
    // 30,000 distinct responses (8 MB): with the read, the count holds more than this budget's client share of 1 MiB.
    const records = Array.from({ length: 30_000 }, (_, i) => usageRecord(T(i), spec.id, `resp_${i}`, u(10, 0, 1, 0), { turnId: 't1' }));
    await writeSession(home, spec, [...envelopeLines(spec), turnContext(T(0), 'gpt-5'), ...records]);
    const app = await buildTestApp(home, { memoryBudgetBytes: 4 * 1024 * 1024, memoryWaitMs: 2_000 });
    const res = await app.inject(`/conversations/${spec.id}/usage`);
    expect(res.statusCode).toBe(200);
    expect(res.json().totals.totalTokens).toBe(30_000 * 11);
    expect(app.memoryBudget.requests.inUse).toBe(0);
  });
});
