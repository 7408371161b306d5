// A team list page opens its files with one query (PushedOpens: each file's row and the first
// 128 KiB of its first chunk); reads past them go to cs_chunks. Pages whose heads lie past those
// bytes list as over one home. Listing reads are kept between pages (ListingCache) while the
// file's row says it is unchanged.
import { appendFile, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { buildTestApp, tempHome, writeSession } from '../helper.js';
import { v7At } from '../usage-lines.js';
import { describePg } from './pg.js';
import { pushOnce, pushedUpkeep } from './pushed-index-helper.js';
import { teamGet, withoutMachine } from './team-read-helper.js';
import { startTeam } from './team-helper.js';

const reply = (text: string) => ({
  timestamp: '2025-05-02T10:00:01.000Z',
  type: 'response_item',
  payload: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] },
});

describePg('team list pages: the files of a page opened at once', () => {
  it('a head past the first 128 KiB, and a file pushed in two parts (two chunks), list as over one home', async () => {
    const team = await startTeam();
    const home = await tempHome();
    const meta = { base_instructions: { text: 'be brief. '.repeat(20_000) } }; // ~200 KB: the session meta alone passes 128 KiB
    await writeSession(home, { stamp: '2025-05-01T10-00-00', id: v7At('2025-05-01T10:00:00Z', 1), title: 'a large meta', meta });
    const rel = await writeSession(home, { stamp: '2025-05-02T10-00-00', id: v7At('2025-05-02T10:00:00Z', 2), title: 'in two parts' });
    const push = await team.token('push', 'erin');
    await pushOnce(team, push, home);
    await appendFile(join(home, rel), [1, 2, 3, 4, 5, 6].map((i) => `${JSON.stringify(reply(`part two, ${i}`))}\n`).join(''));
    await pushOnce(team, push, home);
    const { upkeep } = pushedUpkeep(team);
    expect(await upkeep.run(true, true)).toBe(true);
    const { rows } = await team.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM cs_chunks c JOIN cs_files f ON f.id = c.file_id WHERE f.path = $1',
      [rel],
    );
    expect(rows[0]!.n).toBeGreaterThan(1);
    const single = await buildTestApp(home);
    const read = await team.token('read');
    for (const query of ['?head=10&tail=3', '?head=3', '?tail=8', '?limit=1&head=6']) {
      // Usage aside: the team's is the index's, the single machine's here is read from each file.
      const noUsage = (body: { items: object[] }) => body.items.map((i) => ({ ...i, usage: null }));
      const items = noUsage(withoutMachine((await teamGet(team, `/conversations${query}`, read)).json()));
      const expected = noUsage((await single.inject(`/conversations${query}`)).json());
      expect(items.length).toBeGreaterThan(0);
      expect(items).toEqual(expected);
    }
    await single.close();
  });

  it('a kept listing read is not used once the file was appended to, or replaced by other bytes of the same length', async () => {
    const team = await startTeam();
    const home = await tempHome();
    const mtime = new Date('2025-05-02T10:05:00Z');
    const spec = { stamp: '2025-05-02T10-00-00', id: v7At('2025-05-02T10:00:00Z', 3), title: 'title AAAA', mtime };
    const rel = await writeSession(home, spec);
    const path = join(home, rel);
    const push = await team.token('push', 'erin');
    const read = await team.token('read');
    const { upkeep } = pushedUpkeep(team);
    const single = await buildTestApp(home);
    const pushed = async () => {
      await pushOnce(team, push, home);
      expect(await upkeep.run(true, true)).toBe(true);
    };
    const same = async (what: string) => {
      await pushed();
      const items = withoutMachine((await teamGet(team, '/conversations?head=10&tail=2', read)).json()).items;
      const expected = (await single.inject('/conversations?head=10&tail=2')).json().items;
      const strip = (list: { usage: unknown }[]) => list.map((i) => ({ ...i, usage: null }));
      expect(strip(items), what).toEqual(strip(expected));
      return items as { title: string; head: unknown[] }[];
    };
    expect((await same('first read'))[0]!.title).toBe('title AAAA');
    await appendFile(path, `${JSON.stringify(reply('appended'))}\n`);
    await utimes(path, mtime, mtime);
    const grown = await same('appended to');
    expect(JSON.stringify(grown[0]!.head)).toContain('appended');
    const generation = 'SELECT generation FROM cs_files WHERE path = $1';
    const held = async () => (await team.db.query<{ generation: number }>(generation, [rel])).rows[0]!;
    const before = await held();
    // Other bytes of the same length, pushed as a replacement (a new generation).
    await writeFile(path, (await readFile(path, 'utf8')).replaceAll('title AAAA', 'title BBBB'));
    await utimes(path, new Date(mtime.getTime() + 60_000), new Date(mtime.getTime() + 60_000));
    expect((await same('replaced'))[0]!.title).toBe('title BBBB');
    expect((await held()).generation).toBe(before.generation + 1);
    await single.close();
  });
});
