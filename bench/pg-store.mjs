#!/usr/bin/env node
// The index stores side by side (issue 18): the SQLite store and the PostgreSQL store filled with
// the same generated sessions (metadata, two search documents and two counted responses each),
// then the p50 of a first list page, a search page and GET /usage?groupBy=day's aggregation,
// called on the stores directly (no HTTP, no file checks: the stores' own cost); and the usage as a
// team server answers it (PgMultiHome: the in-memory rollup, current by cs_index_version).
//
//   node bench/pg-store.mjs [--sessions 10000] [--runs 30] [--database-url URL] [--out FILE]
//
// Without --database-url a throwaway cluster is started in a temp directory (durable settings).
// The store modules are bundled from src/ with esbuild into a temp file first (no build needed).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { importFromSrc } from './src-bundle.mjs';

const run = promisify(execFile);
const { values: argv } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '30' },
    'database-url': { type: 'string' },
    out: { type: 'string' },
  },
});
const say = (msg) => process.stderr.write(`[pg-store] ${msg}\n`);
const N = Number(argv.sessions);
const RUNS = Number(argv.runs);

async function startCluster(dir) {
  const root = '/usr/lib/postgresql';
  const major = existsSync(root) ? readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => b - a)[0] : undefined;
  if (major === undefined) throw new Error('no PostgreSQL under /usr/lib/postgresql (apt-get install postgresql) and no --database-url');
  const bin = join(root, major, 'bin');
  const asRoot = userInfo().uid === 0;
  const as = (cmd, args) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args));
  if (asRoot) await chown(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), 0);
  await chmod(dir, 0o700);
  await as('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  const options = `-k ${dir} -p 5439 -c listen_addresses=''`;
  await as('pg_ctl', ['-D', join(dir, 'data'), '-o', options, '-l', join(dir, 'log'), '-w', '-t', '120', 'start']);
  return {
    url: `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}&port=5439`,
    stop: () => as('pg_ctl', ['-D', join(dir, 'data'), '-m', 'fast', '-w', 'stop']).catch(() => undefined),
  };
}

/** The stores, bundled from src/ (dist/ is one bundle per entry point and does not export them). */
const loadModules = () =>
  importFromSrc('bench-pg-store', {
      './src/rollout/index/sqlite/backend.ts': ['SqliteBackend'],
      './src/rollout/index/postgres/backend.ts': ['PgBackend'],
      './src/rollout/index/postgres/multi-home.ts': ['PgMultiHome'],
      './src/team/db/pool.ts': ['openPool'],
      './src/rollout/index/content-state.ts': ['initialContentState'],
      './src/rollout/search/match.ts': ['parseSearchQuery'],
      './src/rollout/usage/time-buckets.ts': ['offsetIntervals'],
    });

/** A small deterministic generator (mulberry32): both stores get the same sessions. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('parser index fix bug refactor test build deploy release query cursor search usage model token cache stream ' +
  'session archive migrate schema report chart layout widget network socket retry timeout config logging').split(' ');
const START = Date.parse('2025-01-01T00:00:00Z');
const DAY = 86_400_000;

function* batches(m, size = 500) {
  const rnd = random(42);
  const pick = (a) => a[Math.floor(rnd() * a.length)];
  const phrase = (k) => Array.from({ length: k }, () => pick(WORDS)).join(' ');
  let ops = [];
  for (let i = 0; i < N; i++) {
    const createdMs = START + Math.floor((i / N) * 365 * DAY) + Math.floor(rnd() * 3_600_000);
    const iso = new Date(createdMs).toISOString();
    const stamp = iso.slice(0, 19).replaceAll(':', '-');
    const id = `0190${i.toString(16).padStart(4, '0').slice(-4)}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
    const relPath = `sessions/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/rollout-${stamp}-${id}.jsonl`;
    const mtimeMs = createdMs + Math.floor(rnd() * 5 * DAY);
    const title = i % 5000 === 7 ? `needle zyxwv ${phrase(4)}` : phrase(6);
    const summary = {
      id, path: relPath, createdAt: iso, updatedAt: new Date(mtimeMs).toISOString(), sizeBytes: 4000, title, name: null,
      cwd: `/home/dev/project-${i % 40}`, source: pick(['cli', 'vscode', 'exec']), originator: null, cliVersion: null,
      modelProvider: 'openai', git: null, forkedFromId: null, archived: false, usage: null,
    };
    const file = { key: `${stamp}|${id}`, stamp, id, absPath: `/home/dev/.codex/${relPath}`, relPath, archived: false };
    const fstamp = { dev: 1, ino: 10_000 + i, size: 4000, mtimeMs, ctimeMs: mtimeMs };
    const start = { offset: 0, lineNo: 1, state: m.initialContentState() };
    ops.push({ kind: 'entry', entry: { file, stamp: fstamp, session: { summary, hasUserMessage: true } }, resetContent: start });
    const doc = (line, role, text) => ({ line, role, kind: 'message', timestamp: iso, text });
    const response = (line, at) => ({
      responseKey: `#L${line}`, threadId: id, lineNo: line, at: new Date(at).toISOString(), model: pick(['gpt-5', 'gpt-5-codex', 'o3']),
      turnId: null, source: 'token_count', inputTokens: 1000 + line, cachedInputTokens: 100, outputTokens: 200, reasoningOutputTokens: 50,
      totalTokens: 1200 + line,
    });
    ops.push({
      kind: 'content', relPath, from: 0, hasRecords: false, fingerprint: '4000:x', doneAtSize: 4000,
      docs: [doc(3, 'user', `${title}. ${phrase(30)}`), doc(5, 'tool', phrase(60))],
      responses: [response(6, createdMs + 60_000), response(9, createdMs + 3_600_000)],
      at: { offset: 4000, lineNo: 12, state: m.initialContentState() },
    });
    if (ops.length >= size) {
      yield ops;
      ops = [];
    }
  }
  if (ops.length > 0) yield ops;
}

async function fill(m, store) {
  const t0 = performance.now();
  for (const ops of batches(m)) await store.write(ops);
  await store.write([{ kind: 'complete' }]);
  await store.afterPass();
  return (performance.now() - t0) / 1000;
}

async function p50(fn) {
  await fn(); // warm: statements prepared, pages cached
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)] * 100) / 100;
}

async function measure(m, store) {
  const page = { sort: 'created', order: 'desc', archived: 'false', includeEmpty: false, filter: {}, nameMatchIds: [], limit: 50 };
  const span = await store.usageTimeRange();
  const offsets = m.offsetIntervals('UTC', span.minMs, span.maxMs);
  const rare = m.parseSearchQuery('needle zyxwv', 'phrase', 'all');
  const common = m.parseSearchQuery('parser', 'phrase', 'all');
  const searchPage = async (query) => {
    const filter = await store.searchFilter(query, 20);
    const rows = await store.query({ ...page, limit: 20 }, filter);
    for (const row of rows) await store.documents(row.relPath, query, 0);
    return rows;
  };
  return {
    firstPageMs: await p50(() => store.query(page)),
    firstPageUpdatedMs: await p50(() => store.query({ ...page, sort: 'updated' })),
    searchRareMs: await p50(() => searchPage(rare)),
    searchCommonMs: await p50(() => searchPage(common)),
    usageByDayMs: await p50(() => store.aggregateUsage({ groupBy: 'day', offsets, archived: 'false', filter: {} })),
  };
}

const dir = await mkdtemp(join(tmpdir(), 'codex-sessions-bench-pgstore-'));
let cluster = null;
try {
  const m = await loadModules();
  let url = argv['database-url'];
  if (url === undefined) {
    // Its own temp directory: the cluster's user must reach it (the other one is private).
    const pgDir = await mkdtemp(join(tmpdir(), 'codex-sessions-bench-pg-'));
    cluster = await startCluster(pgDir);
    const stop = cluster.stop;
    cluster.stop = async () => {
      await stop();
      await rm(pgDir, { recursive: true, force: true });
    };
    url = cluster.url;
  }
  const home = 'bench-host:/home/dev/.codex';
  const sqliteStore = await new m.SqliteBackend(join(dir, 'index.sqlite'), '/home/dev/.codex').open(home, true);
  const pool = m.openPool(url, { max: 4 });
  const pgStore = await new m.PgBackend(pool).open(home, true);
  const result = { sessions: N, runs: RUNS, sqlite: {}, postgres: {} };
  say(`filling SQLite with ${N} sessions`);
  result.sqlite.fillS = Math.round(await fill(m, sqliteStore));
  say(`filling PostgreSQL with ${N} sessions`);
  result.postgres.fillS = Math.round(await fill(m, pgStore));
  say('measuring SQLite');
  Object.assign(result.sqlite, await measure(m, sqliteStore));
  say('measuring PostgreSQL');
  Object.assign(result.postgres, await measure(m, pgStore));
  // What a team server answers /usage with: the in-memory copy of the rollup, after reading the change counter.
  const multi = new m.PgMultiHome(pool);
  const span = await pgStore.usageTimeRange();
  const byDay = { groupBy: 'day', offsets: m.offsetIntervals('UTC', span.minMs, span.maxMs), archived: 'false', filter: {} };
  const t0 = performance.now();
  while ((await multi.mirror.current()) === null) await new Promise((r) => setTimeout(r, 50));
  result.postgres.usageMirrorLoadS = Math.round((performance.now() - t0) / 10) / 100;
  result.postgres.usageByDayInMemoryMs = await p50(() => multi.aggregateUsage([home], byDay));
  const { rows } = await pool.query('SELECT pg_database_size(current_database())::float8 AS bytes');
  result.postgres.databaseMiB = Math.round(rows[0].bytes / 1048576);
  await sqliteStore.close();
  await pool.end();
  const text = JSON.stringify(result, null, 2);
  process.stdout.write(`${text}\n`);
  if (argv.out) await writeFile(argv.out, text);
} finally {
  await cluster?.stop();
  await rm(dir, { recursive: true, force: true });
}
