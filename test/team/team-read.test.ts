// Team mode's read routes (src/team/read): list, one session (JSON, NDJSON, Range, ETag) and the
// choice among machines, over homes pushed by the real agent.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { defaultConfig } from '../../src/config.js';
import { envelopeLines, sharedByTests, tempHome, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushOnce, pushedUpkeep } from './pushed-index-helper.js';
import { pushedTeam, teamGet } from './team-read-helper.js';
import { startTeam } from './team-helper.js';

const A = v7At('2025-03-01T10:00:00Z', 1);
const B = v7At('2025-03-02T10:00:00Z', 2);
const B_PATH = `archived_sessions/rollout-2025-03-02T10-00-00-${B}.jsonl`;

describePg('team mode: reading sessions', () => {
  // The first two tests only read: one pushed team for both (each push is a CLI run and a database).
  const pushed = sharedByTests(pushedTeam, 120_000);

  it('lists every machine with machine on each item, filters by machine, pages with cursors, and chooses among machines', async () => {
    const { team, homes, read } = pushed();
    const all = await teamGet(team, '/conversations?limit=100&archived=all&total=true', read);
    expect(all.status, all.body.toString()).toBe(200);
    const items = all.json().items as { id: string; machine: string; name: string | null }[];
    expect(new Set(items.map((i) => i.machine))).toEqual(new Set(['alice', 'bob', 'carol']));
    // One session id on two machines: next to each other, the machine breaking the tie in the list's order (desc).
    const bs = items.filter((i) => i.id === B);
    expect(bs.map((i) => [i.machine, i.name])).toEqual([['carol', 'renamed on carol'], ['bob', 'renamed']]);
    expect(items.indexOf(bs[1]!)).toBe(items.indexOf(bs[0]!) + 1);
    expect(all.json().total).toBe(items.length);

    const bob = await teamGet(team, '/conversations?limit=100&archived=all&machine=bob', read);
    expect((bob.json().items as { machine: string }[]).every((i) => i.machine === 'bob')).toBe(true);
    const two = await teamGet(team, '/conversations?limit=100&archived=all&machine=bob&machine=carol', read);
    expect(two.json().items).toHaveLength(2 * bob.json().items.length);

    // Pages of 1 across every machine give the same items, in the same order, as one page.
    const paged: unknown[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: unknown[]; nextCursor: string | null } = (
        await teamGet(team, `/conversations?limit=1&archived=all${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, read)
      ).json();
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(paged).toEqual(items);

    // A second instance on the same database: the same pages and ETags; a client alternates between them page by page.
    const other = await buildApp({ ...defaultConfig(''), port: 0, logLevel: 'silent', databaseUrl: team.url });
    try {
      const base = await other.listen({ host: '127.0.0.1', port: 0 });
      const instances = [team, { ...team, base }];
      const first = await teamGet(instances[1]!, '/conversations?limit=100&archived=all&total=true', read);
      expect([first.body.equals(all.body), first.headers.get('etag')]).toEqual([true, all.headers.get('etag')]);
      const alternated: unknown[] = [];
      let at: string | null = null;
      for (let i = 0; at !== null || i === 0; i++) {
        const query = `/conversations?limit=3&archived=all${at ? `&cursor=${encodeURIComponent(at)}` : ''}`;
        const page: { items: unknown[]; nextCursor: string | null } = (await teamGet(instances[i % 2]!, query, read)).json();
        alternated.push(...page.items);
        at = page.nextCursor;
      }
      expect(alternated).toEqual(items);
      const usageHere = await teamGet(team, '/usage?groupBy=machine', read);
      const usageThere = await teamGet(instances[1]!, '/usage?groupBy=machine', read, { 'if-none-match': usageHere.headers.get('etag')! });
      expect(usageThere.status).toBe(304);
    } finally {
      await other.close();
    }

    // An id on two machines: 409 naming them; ?machine= chooses.
    const ambiguous = await teamGet(team, `/conversations/${B}`, read);
    expect([ambiguous.status, ambiguous.json().code]).toEqual([409, 'AMBIGUOUS_ID']);
    expect(ambiguous.json().detail).toContain('bob, carol');
    const chosen = await teamGet(team, `/conversations/${B}?machine=carol`, read);
    expect(chosen.status).toBe(200);
    expect(chosen.json().conversation).toMatchObject({ id: B, machine: 'carol', name: 'renamed on carol' });
    const unknown = await teamGet(team, `/conversations/${B}?machine=nobody`, read);
    expect([unknown.status, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    const bad = await teamGet(team, '/conversations?machine=..', read);
    expect([bad.status, bad.json().code]).toEqual([400, 'INVALID_QUERY']);
    const badCursor = await teamGet(team, '/conversations?cursor=abc', read);
    expect([badCursor.status, badCursor.json().code]).toEqual([400, 'INVALID_CURSOR']);
    // A resumed session (two files of one id on one machine) is ambiguous as over one home.
    expect((await teamGet(team, `/conversations/${A}?machine=bob`, read)).json().code).toBe('AMBIGUOUS_ID');

    // NDJSON: the bytes as pushed, Range, ETag and If-None-Match.
    const bytes = await readFile(join(homes.bob!, B_PATH));
    const ndjson = await teamGet(team, `/conversations/${B}?machine=bob&format=ndjson`, read);
    expect(ndjson.status).toBe(200);
    expect(ndjson.body.equals(bytes)).toBe(true);
    const etag = ndjson.headers.get('etag')!;
    const range = await teamGet(team, `/conversations/${B}?machine=bob&format=ndjson`, read, { range: 'bytes=10-99' });
    expect([range.status, range.headers.get('content-range')]).toEqual([206, `bytes 10-99/${bytes.length}`]);
    expect(range.body.equals(bytes.subarray(10, 100))).toBe(true);
    const cached = await teamGet(team, `/conversations/${B}?machine=bob&format=ndjson`, read, { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    const beyond = await teamGet(team, `/conversations/${B}?machine=bob&format=ndjson`, read, { range: `bytes=${bytes.length}-` });
    expect([beyond.status, beyond.json().code]).toEqual([416, 'RANGE_NOT_SATISFIABLE']);
  });

  it('roles: read reads all; usage only /usage aggregates (no ids, titles or text); push reads nothing: 403 WRONG_ROLE', async () => {
    const { team, read, usage, push } = pushed();
    const byMachine = await teamGet(team, '/usage?groupBy=machine', read);
    expect(byMachine.status, byMachine.body.toString()).toBe(200);
    const rows = byMachine.json().rows as { key: string; totalTokens: number; sessions: number }[];
    expect(rows.map((r) => r.key).sort()).toEqual(['alice', 'bob', 'carol']);
    // bob and carol pushed the same home: the same figures.
    const of = (m: string) => rows.find((r) => r.key === m)!;
    expect([of('carol').totalTokens, of('carol').sessions]).toEqual([of('bob').totalTokens, of('bob').sessions]);
    expect(byMachine.json().totals.totalTokens).toBe(rows.reduce((n, r) => n + r.totalTokens, 0));
    const onlyBob = await teamGet(team, '/usage?groupBy=model&machine=bob', read);
    const bobDay = await teamGet(team, '/usage?groupBy=day&machine=bob', read);
    expect(onlyBob.json().totals).toEqual(bobDay.json().totals);
    expect(onlyBob.json().totals.totalTokens).toBe(of('bob').totalTokens);
    // Each item's name is its own machine's.
    const named = (await teamGet(team, '/search?q=second&archived=all&machine=bob&machine=carol', read)).json();
    expect(named.items.map((i: { machine: string; name: string }) => [i.machine, i.name])).toEqual([
      ['carol', 'renamed on carol'],
      ['bob', 'renamed'],
    ]);
    const search = await teamGet(team, '/search?q=test&machine=bob&machine=carol&limit=50', read);
    expect(new Set((search.json().items as { machine: string }[]).map((i) => i.machine))).toEqual(new Set(['bob', 'carol']));

    // A usage token: the aggregates, the same as a read token's, and nothing that names a session.
    const asUsage = await teamGet(team, '/usage?groupBy=machine', usage);
    expect([asUsage.status, asUsage.json().rows]).toEqual([200, rows]);
    for (const groupBy of ['day', 'week', 'month', 'model', 'cwd', 'source', 'provider', 'machine']) {
      const got = await teamGet(team, `/usage?groupBy=${groupBy}`, usage);
      expect(got.status).toBe(200);
      // No session id (UUIDs) and no title or text of the homes in any answer.
      expect(got.body.toString()).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
      expect(got.body.toString()).not.toMatch(/renamed|error test|fix the failing/);
    }
    const listed = (await teamGet(team, '/conversations?limit=1&machine=bob', read)).json().items[0] as { id: string };
    const id = listed.id;
    const refused = [
      '/usage?groupBy=session',
      '/conversations',
      '/conversations?machine=bob',
      `/conversations/${id}?machine=bob`,
      `/conversations/${id}?machine=bob&format=ndjson`,
      `/conversations/${id}/usage?machine=bob`,
      `/conversations/${id}/search?q=the&machine=bob`,
      `/conversations/${id}/export?machine=bob`,
      '/search?q=the',
      // A malformed query is refused for the role first: a wrong role learns nothing from a 400.
      '/conversations?limit=banana',
    ];
    for (const path of refused) {
      for (const [role, token] of [['usage', usage], ['push', push]] as const) {
        if (role === 'push' || path !== '/usage?groupBy=session') {
          const got = await teamGet(team, path, token);
          expect([path, role, got.status, got.json().code]).toEqual([path, role, 403, 'WRONG_ROLE']);
          expect(got.headers.get('content-type')).toContain('application/problem+json');
        }
      }
      const anonymous = await teamGet(team, path, null);
      expect([path, anonymous.status, anonymous.json().code]).toEqual([path, 401, 'UNAUTHORIZED']);
    }
    const bySession = await teamGet(team, '/usage?groupBy=session', usage);
    expect([bySession.status, bySession.json().code]).toEqual([403, 'WRONG_ROLE']);
    expect((await teamGet(team, '/usage', push)).json().code).toBe('WRONG_ROLE');
    expect((await teamGet(team, '/usage', 'cst_' + 'A'.repeat(43))).json().code).toBe('UNAUTHORIZED');
    // A read token may group by session (the ids are its to see).
    expect((await teamGet(team, '/usage?groupBy=session', read)).status).toBe(200);
  });

  it('streams a session of several chunks: NDJSON byte for byte, a Range across a chunk boundary, the JSON form', async () => {
    const team = await startTeam();
    const home = await tempHome();
    const id = v7At('2025-04-01T10:00:00Z', 9);
    const spec = { stamp: '2025-04-01T10-00-00', id, title: 'a long one' };
    // Records that are no search document: what is measured is the streaming, not the trigram index of 10 MB of text.
    const said = (n: number) => ({ timestamp: '2025-04-01T10:00:01Z', type: 'padding', payload: { n, blob: 'x'.repeat(2000) } });
    const path = await writeSession(home, spec, [...envelopeLines(spec), ...Array.from({ length: 4200 }, (_, n) => said(n))]);
    const bytes = await readFile(join(home, path));
    expect(bytes.length).toBeGreaterThan(8 * 2 ** 20); // past two chunks of at most 4 MiB: three at least
    await pushOnce(team, await team.token('push', 'dave'), home);
    await pushedUpkeep(team).upkeep.run(true, true);
    const read = await team.token('read');
    const chunks = await team.db.query('SELECT count(*)::int AS n FROM cs_chunks');
    expect(chunks.rows[0].n).toBeGreaterThanOrEqual(3);
    const whole = await teamGet(team, `/conversations/${id}?format=ndjson`, read);
    expect([whole.status, whole.body.equals(bytes)]).toEqual([200, true]);
    const at = 4 * 2 ** 20;
    const range = await teamGet(team, `/conversations/${id}?format=ndjson`, read, { range: `bytes=${at - 100}-${at + 99}` });
    expect([range.status, range.body.equals(bytes.subarray(at - 100, at + 100))]).toEqual([206, true]);
    const doc = await teamGet(team, `/conversations/${id}`, read);
    expect(doc.status).toBe(200);
    expect(doc.json().records).toHaveLength(bytes.toString().trimEnd().split('\n').length);
    expect(doc.json().conversation).toMatchObject({ id, machine: 'dave', title: 'a long one', sizeBytes: bytes.length });
  });
});
