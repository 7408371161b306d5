import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { appFor, envelopeLines, tempHome, uuidN, writeSession, type Line } from '../helper.js';
import { tokenCount, turnContext, u, usageRecord } from '../usage-lines.js';

/**
 * On random homes and random queries, GET /usage from the index (summed in SQL) equals GET
 * /usage from the files (counted and grouped in JavaScript): rules 1-7, time zones, filters.
 */

const IDS = [0x1, 0x2, 0x3, 0x4, 0x5].map(uuidN);
/** Hours from 2025-03-29 00:00 UTC: across a spring DST change in Europe and a midnight anywhere. */
const at = (hour: number, minute: number) => new Date(Date.UTC(2025, 2, 29) + hour * 3_600_000 + minute * 60_000).toISOString();

const usage = fc.tuple(fc.nat(5000), fc.nat(5000), fc.nat(500), fc.nat(500)).map(([a, b, c, d]) => u(a + b, b, c + d, d));
const usageLine = fc.oneof(
  fc.constantFrom('gpt-5', 'o3', 'gpt-5-2025-08-07', 'homebrew-model').map((model) => ({ kind: 'model' as const, model })),
  fc.record({ kind: fc.constant('total' as const), grow: usage, last: fc.option(usage), same: fc.boolean(), drop: fc.boolean() }),
  fc.constant({ kind: 'null' as const }),
  // A response shared across files: the same thread and response id in several sessions (rule 6).
  fc.record({ kind: fc.constant('record' as const), thread: fc.nat(IDS.length - 1), response: fc.nat(3), usage }),
);

const session = fc.record({
  id: fc.nat(IDS.length - 1),
  startHour: fc.nat(72),
  archived: fc.boolean(),
  source: fc.constantFrom('cli', 'exec', 'vscode'),
  provider: fc.constantFrom('openai', 'azure'),
  cwd: fc.constantFrom('/p/a', '/p/b', '/p/a/'),
  lines: fc.array(usageLine, { maxLength: 10 }),
});

type Spec = typeof session extends fc.Arbitrary<infer T> ? T : never;

function linesOf(s: Spec): Line[] {
  let total = u(0, 0, 0, 0);
  let minute = 0;
  const out: Line[] = [];
  for (const l of s.lines) {
    const when = at(s.startHour, (minute += 7));
    if (l.kind === 'model') out.push(turnContext(when, l.model));
    else if (l.kind === 'null') out.push(tokenCount(when, null, null));
    else if (l.kind === 'record') out.push(usageRecord(when, IDS[l.thread]!, `resp_${l.response}`, l.usage));
    else {
      if (l.drop) total = l.grow; // a total that decreases (or restarts)
      else if (!l.same) total = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v + (l.grow[k] ?? 0)]));
      out.push(tokenCount(when, total, l.last));
    }
  }
  return out;
}

const query = fc.record({
  groupBy: fc.constantFrom('day', 'week', 'month', 'model', 'cwd', 'source', 'provider', 'session'),
  tz: fc.constantFrom('UTC', 'Europe/Berlin', 'Asia/Kolkata', 'Pacific/Chatham', 'America/St_Johns'),
  archived: fc.constantFrom('all', 'false', 'true'),
  // Times on quarter hours are answered from the index's rollup, the others from its response rows.
  since: fc.option(fc.constantFrom('2025-03-30', '2025-03-30T12:00:00', '2025-03-31T00:30:00Z', '2025-03-30T12:07:30Z')),
  until: fc.option(fc.constantFrom('2025-03-30', '2025-04-01T06:00:00+05:30')),
  filter: fc.option(fc.constantFrom('cwd=/p/a', 'source=exec', 'provider=azure', 'source=interactive&cwd=/p/b')),
});

type Query = typeof query extends fc.Arbitrary<infer T> ? T : never;

function url(q: Query): string {
  const parts = [`groupBy=${q.groupBy}`, `tz=${encodeURIComponent(q.tz)}`, `archived=${q.archived}`];
  if (q.since !== null) parts.push(`since=${encodeURIComponent(q.since)}`);
  if (q.until !== null) parts.push(`until=${encodeURIComponent(q.until)}`);
  if (q.filter !== null) parts.push(q.filter);
  return `/usage?${parts.join('&')}`;
}

async function body(app: FastifyInstance, path: string) {
  const res = await app.inject(path);
  return { status: res.statusCode, body: res.json() as unknown };
}

const homes = fc.array(session, { minLength: 1, maxLength: 6 });
const queries = fc.array(query, { minLength: 4, maxLength: 8 });

describe('GET /usage: the index answers what reading the files answers', () => {
  it('on random homes and queries', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(homes, queries, async (specs, qs) => {
        const home = await tempHome();
        for (const [i, s] of specs.entries()) {
          const hour = String(s.startHour % 24).padStart(2, '0');
          const day = 29 + Math.floor(s.startHour / 24);
          // Distinct file names; ids may repeat (an archived copy, an ambiguous id): sessions are counted by id.
          const date = `2025-0${day > 31 ? 4 : 3}-${String(day > 31 ? day - 31 : day).padStart(2, '0')}`;
          const stamp = `${date}T${hour}-00-${String(i).padStart(2, '0')}`;
          const spec = { stamp, id: IDS[s.id]!, cwd: s.cwd, source: s.source, provider: s.provider, archived: s.archived };
          await writeSession(home, spec, [...envelopeLines(spec), ...linesOf(s)]);
        }
        const scan = await appFor(home, false);
        const index = await appFor(home, true);
        for (const q of qs) {
          const path = url(q);
          const fromFiles = await body(scan, path);
          expect([200, 400], path).toContain(fromFiles.status); // 400: since after until
          expect(await body(index, path), path).toEqual(fromFiles);
        }
      }),
      { numRuns: 15 },
    );
  });
});
