import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  buildTestApp,
  indexReady,
  envelopeLines,
  legacyLines,
  recordTypeLines,
  rolloutRelPath,
  tempHome,
  withoutUsage,
  type Line,
  type ListBody,
} from '../helper.js';

/**
 * Enough for every case the comparison needs (several sessions in one second, equal mtimes, every
 * format, archived and named sessions, pages of 100 over more than ten pages) without making the
 * scan's O(tree) pages quadratic in the run time: a sort=updated page stats the whole tree.
 */
const SESSIONS = 1200;

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Over a thousand sessions of every format, archived and named ones, duplicate seconds and mtimes. */
async function generatedHome(): Promise<string> {
  const home = await tempHome();
  const rnd = random(7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const cwds = ['/home/u/a', '/home/u/a/', '/home/u/b', '/srv/x/../y', '/home/u/données'];
  const sources: unknown[] = ['cli', 'vscode', 'exec', 'mcp', { subagent: 'review' }, { custom: 'atlas' }, undefined];
  const providers = ['openai', 'azure', null];
  const words = ['parser', 'docs', 'Tests', 'deploy', 'refactor', 'bug'];
  const names: Line[] = [];
  const base = Date.parse('2025-01-01T00:00:00Z');
  const dirs = new Map<string, Promise<unknown>>();
  const writes: Promise<void>[] = [];
  for (let n = 0; n < SESSIONS; n++) {
    // Several sessions per second now and then, across ~200 days.
    const createdMs = base + Math.floor(rnd() * 200) * 86_400_000 + Math.floor(rnd() * 40) * 1000;
    const stamp = new Date(createdMs).toISOString().slice(0, 19).replaceAll(':', '-');
    const id = `0000${n.toString(16).padStart(4, '0')}-0000-4000-8000-${Math.floor(rnd() * 1e12).toString(16).padStart(12, '0')}`;
    const title = rnd() < 0.08 ? null : `${pick(words)} ${n}`;
    const archived = rnd() < 0.06;
    const spec = { stamp, id, title, cwd: pick(cwds), source: pick(sources), provider: pick(providers), archived };
    const format = rnd();
    const lines =
      format < 0.7
        ? envelopeLines(spec)
        : format < 0.85
          ? recordTypeLines({ ...spec, title: title ?? '' })
          : legacyLines({ ...spec, title: title ?? '' });
    if (rnd() < 0.03) lines.push('{"truncated": ');
    if (rnd() < 0.04) names.push({ id, thread_name: `Named ${pick(words)}`, updated_at: '2025-09-01T00:00:00Z' });
    const rel = rolloutRelPath(stamp, id, archived);
    const path = join(home, rel);
    // Coarse mtimes so that sort=updated has ties to break.
    const mtime = new Date(createdMs + Math.floor(rnd() * 5) * 60_000);
    writes.push(
      (async () => {
        const dir = path.slice(0, path.lastIndexOf('/'));
        if (!dirs.has(dir)) dirs.set(dir, mkdir(dir, { recursive: true }));
        await dirs.get(dir);
        await writeFile(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
        await utimes(path, mtime, mtime);
      })(),
    );
    if (writes.length >= 200) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  await writeFile(join(home, 'session_index.jsonl'), names.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return home;
}

async function allPages(app: FastifyInstance, query: string, maxPages = 1000): Promise<{ items: unknown[]; nextCursor: string | null }[]> {
  const pages = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const res = await app.inject(`/conversations?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode).toBe(200);
    const body = res.json() as ListBody;
    pages.push({ items: body.items, nextCursor: body.nextCursor });
    cursor = body.nextCursor;
    if (cursor === null) break;
  }
  return pages;
}

describe('index mode and scan mode agree', () => {
  it(`on ${SESSIONS} generated sessions: identical pages, cursors included`, async () => {
    const home = await generatedHome();
    const scan = await buildTestApp(home, { maxScanFiles: 100_000 });
    const indexed = await buildTestApp(home, { indexPath: join(await tempHome(), 'index.sqlite') });
    await indexReady(indexed, 60_000);
    const queries = [
      'limit=100&head=1&tail=1',
      'limit=100&head=0&order=asc&archived=all',
      'limit=100&head=0&sort=updated',
      'limit=100&head=0&sort=updated&order=asc&archived=all&includeEmpty=true',
      'limit=50&head=0&cwd=/home/u/a',
      'limit=50&head=0&cwd=/srv/y&source=interactive',
      'limit=50&head=0&provider=openai&source=exec&source=unknown&archived=true',
      'limit=50&head=0&q=PARSER&archived=all',
      'limit=50&head=0&q=named',
      'limit=50&head=0&since=2025-03-01&until=2025-04-15T12:00:00Z',
      'limit=50&head=0&sort=updated&since=2025-05-01&cwd=/home/u/données&includeEmpty=true',
      'limit=7&head=2&sort=updated&order=asc&q=docs',
    ];
    for (const query of queries) {
      const fromScan = await allPages(scan, query);
      const fromIndex = await allPages(indexed, query);
      // Pages agree but for the usage figures, which only the index has.
      expect(withoutUsage(fromIndex), query).toEqual(withoutUsage(fromScan));
      expect(fromScan.flatMap((p) => p.items).length, query).toBeGreaterThan(0);
    }
    // The index really answered: a filtered page reads only its own files plus one look-ahead.
    const probe = await indexed.inject('/conversations?limit=5&head=0&q=named&sort=updated');
    expect(probe.json().numScannedFiles).toBeLessThanOrEqual(6);
    const scanned = await scan.inject('/conversations?limit=5&head=0&q=named&sort=updated');
    // The scan stats every active file (all but ~6% archived) to order them.
    expect(scanned.json().numScannedFiles).toBeGreaterThan(SESSIONS * 0.8);
    // Lookups agree too.
    const some = (await allPages(scan, 'limit=100&head=0&archived=all', 1))[0]!.items as { id: string }[];
    for (const { id } of some.slice(0, 20)) {
      const a = await scan.inject(`/conversations/${id}`);
      const b = await indexed.inject(`/conversations/${id}`);
      expect([b.statusCode, withoutUsage(b.json())]).toEqual([a.statusCode, withoutUsage(a.json())]);
    }
  }, 240_000);
});
