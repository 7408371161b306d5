import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REAL_HOME, buildTestApp, list } from '../helper.js';

interface Expected {
  id: string;
  key: string;
  title: string;
  archived: boolean;
  rel: string;
}

/** The corpus, read independently of the service: ids, keys, and the user's typed request. */
async function corpus(): Promise<Expected[]> {
  const out: Expected[] = [];
  const dirs = [
    ['sessions/2026/11/24', false],
    ['archived_sessions', true],
  ] as const;
  for (const [dir, archived] of dirs) {
    for (const name of await readdir(join(REAL_HOME, dir))) {
      const m = /^rollout-(.{19})-(.{36})\.jsonl$/.exec(name)!;
      const lines = (await readFile(join(REAL_HOME, dir, name), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const userItem = lines.find(
        (l) => l.type === 'response_item' && l.payload.role === 'user' && !l.payload.content[0].text.startsWith('<'),
      );
      out.push({ id: m[2]!, key: `${m[1]}|${m[2]}`, title: userItem.payload.content[0].text, archived, rel: `${dir}/${name}` });
    }
  }
  return out.sort((a, b) => (a.key < b.key ? 1 : -1));
}

describe('the real Codex 0.169 fixture corpus', () => {
  it('lists every active session with the title the user typed', async () => {
    const expected = (await corpus()).filter((e) => !e.archived);
    const page = await list(await buildTestApp(REAL_HOME), 'limit=100&head=0');
    expect(page.items.map((i) => [i.id, i.title, i.path])).toEqual(expected.map((e) => [e.id, e.title, e.rel]));
    expect(page.items.every((i) => i.source === 'exec' && i.cliVersion === '0.169.0' && i.modelProvider === 'mock')).toBe(true);
    const fork = page.items.find((i) => i.forkedFromId !== null)!;
    expect(fork).toMatchObject({
      title: 'forked: try another approach',
      cwd: '/home/dev/proj-a',
      forkedFromId: '01a20b7d-592e-7732-bdbe-7d3162bb8c1f',
    });
    expect(page.items.some((i) => i.cwd === '/home/dev/données é')).toBe(true);
  });

  it('pages with limit 5 over everything exactly once, in (time desc, uuid desc) order', async () => {
    const expected = await corpus();
    const app = await buildTestApp(REAL_HOME);
    for (const archived of ['false', 'true', 'all'] as const) {
      const want = expected.filter((e) => archived === 'all' || e.archived === (archived === 'true')).map((e) => e.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page = await list(app, `limit=5&head=1&archived=${archived}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(seen).toEqual(want);
    }
  });

  it('serves each archived session by id, marked archived, only listed with archived=true|all', async () => {
    const archived = (await corpus()).filter((e) => e.archived);
    const app = await buildTestApp(REAL_HOME);
    const active = await list(app, 'limit=100&head=0');
    for (const e of archived) {
      expect(active.items.map((i) => i.id)).not.toContain(e.id);
      const res = await app.inject(`/conversations/${e.id}`);
      expect(res.json().conversation).toMatchObject({ id: e.id, archived: true, title: e.title, path: e.rel });
    }
  });

  it('returns every record of a real file and its exact bytes', async () => {
    const e = (await corpus())[0]!;
    const app = await buildTestApp(REAL_HOME);
    const text = await readFile(join(REAL_HOME, e.rel), 'utf8');
    const json = (await app.inject(`/conversations/${e.id}`)).json();
    expect(json.records).toEqual(text.trim().split('\n').map((l) => JSON.parse(l)));
    expect(json.invalidLines).toEqual([]);
    const raw = await app.inject(`/conversations/${e.id}?format=ndjson`);
    expect(raw.body).toBe(text);
  });
});
