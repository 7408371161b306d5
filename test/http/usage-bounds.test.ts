import { describe, expect, it } from 'vitest';
import { MODES, appFor, envelopeLines, tempHome, uuidN, writeSession } from '../helper.js';
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
