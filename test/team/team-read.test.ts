// Team mode's read routes (src/team/read): list, one session (JSON, NDJSON, Range, ETag) and the
// choice among machines, over homes pushed by the real agent.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushedTeam, teamGet } from './team-read-helper.js';

const A = v7At('2025-03-01T10:00:00Z', 1);
const B = v7At('2025-03-02T10:00:00Z', 2);
const B_PATH = `archived_sessions/rollout-2025-03-02T10-00-00-${B}.jsonl`;

describePg('team mode: reading sessions', () => {
  it('lists every machine with machine on each item, filters by machine, pages with cursors, and chooses among machines', async () => {
    const { team, homes, read } = await pushedTeam();
    const all = await teamGet(team, '/conversations?limit=100&archived=all&total=true', read);
    expect(all.status, all.body.toString()).toBe(200);
    const items = all.json().items as { id: string; machine: string; name: string | null }[];
    expect(new Set(items.map((i) => i.machine))).toEqual(new Set(['alice', 'bob', 'carol']));
    // One session id on two machines: next to each other, the machine breaking the tie in the list's order (desc).
    const bs = items.filter((i) => i.id === B);
    expect(bs.map((i) => [i.machine, i.name])).toEqual([['carol', 'renamed'], ['bob', 'renamed']]);
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

    // An id on two machines: 409 naming them; ?machine= chooses.
    const ambiguous = await teamGet(team, `/conversations/${B}`, read);
    expect([ambiguous.status, ambiguous.json().code]).toEqual([409, 'AMBIGUOUS_ID']);
    expect(ambiguous.json().detail).toContain('bob, carol');
    const chosen = await teamGet(team, `/conversations/${B}?machine=carol`, read);
    expect(chosen.status).toBe(200);
    expect(chosen.json().conversation).toMatchObject({ id: B, machine: 'carol', name: 'renamed' });
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
});
