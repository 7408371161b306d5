import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MODES, appFor, envelopeLines, tempHome, uuidN, writeSession } from '../helper.js';
import { eventually, listen } from '../net.js';

interface Match {
  line: number;
  snippet: string;
  ranges: [number, number][];
}
interface SearchBody {
  items: { id: string; matchCount: number; matches: Match[] }[];
  nextCursor: string | null;
  reachedScanCap: boolean;
}

const ts = '2025-05-01T10:00:00.000Z';
const userSays = (text: string) => ({ timestamp: ts, type: 'event_msg', payload: { type: 'user_message', message: text, images: [] } });
const q = (text: string) => encodeURIComponent(text);

/** `count` sessions, each with `bytes` of text in a user message (never the letters "qz"), session `hit` with "qz" at its end. */
async function bulkyHome(count: number, bytes: number, hit = -1): Promise<string> {
  const home = await tempHome();
  const phrase = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';
  const words = phrase.repeat(Math.ceil(bytes / phrase.length)).slice(0, bytes);
  for (let i = 0; i < count; i++) {
    const two = (n: number) => String(n).padStart(2, '0');
    const spec = { stamp: `2025-05-01T10-${two(Math.floor(i / 60))}-${two(i % 60)}`, id: uuidN(i + 1), title: `s${i}` };
    await writeSession(home, spec, [...envelopeLines(spec), userSays(i === hit ? `${words} qz` : words)]);
  }
  return home;
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const res = await fetch(base + path);
  expect(res.status, `${path}: ${res.status}`).toBe(200);
  return (await res.json()) as T;
}

describe.each(MODES)('search bounds ($mode)', ({ index }) => {
  it('folds the Greek final sigma: ΠΡΟΣ finds ΠΡΟΣΟΧΗ, οδοσ finds ΟΔΟΣ (list q, search)', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'ΠΡΟΣΟΧΗ στην ΟΔΟΣ' };
    await writeSession(home, spec, envelopeLines(spec));
    const base = `http://127.0.0.1:${await listen(await appFor(home, index))}`;
    for (const needle of ['ΠΡΟΣ', 'προς', 'οδοσ', 'ΟΔΟς', 'ΟΧΗ ΣΤΗΝ']) {
      const found = await getJson<SearchBody>(base, `/search?q=${q(needle)}`);
      expect(found.items.map((i) => i.id), needle).toEqual([spec.id]);
      const [match] = found.items[0]!.matches;
      const [s, e] = match!.ranges[0]!;
      expect(match!.snippet.slice(s, e).length, needle).toBe(needle.length);
      const list = await getJson<{ items: { id: string }[] }>(base, `/conversations?q=${q(needle)}`);
      expect(list.items.map((i) => i.id), needle).toEqual([spec.id]);
    }
  });

  it('bounds snippets and ranges: touching hits over megabytes, a 60,000-dash rule (docs/search.md)', async () => {
    const home = await tempHome();
    const spec = { stamp: '2025-05-01T10-00-00', id: uuidN(1), title: 'bounds' };
    const run = 'a'.repeat(4 * 1024 * 1024);
    const rule = `# Rule\n\n${'-'.repeat(60_000)}\n\nafter`;
    await writeSession(home, spec, [...envelopeLines(spec), userSays(`start ${run} end`), userSays(rule)]);
    const base = `http://127.0.0.1:${await listen(await appFor(home, index))}`;
    for (const [needle, path] of [
      ['aaa', `/search?q=aaa`],
      ['---', `/search?q=---`],
      ['aaa', `/conversations/${spec.id}/search?q=aaa`],
      ['---', `/conversations/${spec.id}/search?q=---`],
    ] as const) {
      const res = await fetch(base + path);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(text.length, path).toBeLessThan(8 * 1024);
      const body = JSON.parse(text) as SearchBody & { matches?: Match[] };
      const matches = body.matches ?? body.items[0]!.matches;
      expect(matches.length, path).toBeGreaterThan(0);
      for (const m of matches) {
        expect(m.snippet.length).toBeLessThanOrEqual(1400);
        for (const [s, e] of m.ranges) expect(m.snippet.slice(s, e).startsWith(needle)).toBe(true);
      }
    }
  });

  it('a search whose client goes away stops its work (the scan and the index search alike)', async () => {
    // 120 sessions of 256 KiB of text; "qz" is nowhere, so a search reads all 30 MiB unless stopped.
    const home = await bulkyHome(120, 256 * 1024);
    const app = await appFor(home, index);
    const port = await listen(app);
    const meter = app.searchMeter;
    const before = meter.examined;
    const req = request({ host: '127.0.0.1', port, path: '/search?q=qz&limit=50', agent: false });
    req.on('error', () => {});
    req.end();
    await eventually(() => meter.examined - before, (n) => n > 0, 20_000);
    req.destroy();
    // Once the abandoned search has stopped, it has examined a small part of the text.
    await eventually(() => meter.active, (n) => n === 0, 60_000);
    expect(meter.active).toBe(0);
    expect(meter.examined - before).toBeLessThan(120 * 256 * 1024 * 0.5);
  }, 120_000); // indexing 30 MiB first: slow on a loaded machine, and no timing is asserted

  it('bounds the work of one request: a partial page with reachedScanCap and a cursor that goes on', async () => {
    const home = await bulkyHome(12, 64 * 1024, 2); // session 3 (uuidN(3)) holds "qz", near the end of the newest-first order
    const app = await appFor(home, index, { searchBudgetChars: 100_000 });
    const base = `http://127.0.0.1:${await listen(app)}`;
    const found: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SearchBody = await getJson<SearchBody>(base, `/search?q=qz&limit=20${cursor === null ? '' : `&cursor=${q(cursor)}`}`);
      found.push(...page.items.map((i) => i.id));
      if (page.nextCursor !== null) expect(page.reachedScanCap).toBe(true);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    expect(found).toEqual([uuidN(3)]);
    // Each page examined about the budget (64 KiB per session, 100,000 characters a page): several pages.
    expect(pages).toBeGreaterThan(3);

    // One session's records: a page stops after the budget, its cursor goes on from the last record examined.
    const one = await bulkyHome(1, 10);
    const spec = { stamp: '2025-05-02T10-00-00', id: uuidN(99), title: 'many' };
    const records = Array.from({ length: 10 }, (_, i) => userSays(`${'x'.repeat(30_000)} hit ${i}`));
    await writeSession(one, spec, [...envelopeLines(spec), ...records]);
    const base2 = `http://127.0.0.1:${await listen(await appFor(one, index, { searchBudgetChars: 100_000 }))}`;
    const hits: number[] = [];
    let sessionCursor: string | null = null;
    let sessionPages = 0;
    do {
      const page: { matches: Match[]; nextCursor: string | null } = await getJson(
        base2,
        `/conversations/${spec.id}/search?q=hit&limit=50${sessionCursor === null ? '' : `&cursor=${q(sessionCursor)}`}`,
      );
      hits.push(...page.matches.map((m) => m.line));
      sessionCursor = page.nextCursor;
      sessionPages += 1;
    } while (sessionCursor !== null && sessionPages < 50);
    expect(hits.length).toBe(10);
    expect(new Set(hits).size).toBe(10);
    expect(sessionPages).toBeGreaterThan(2);
  });
});
