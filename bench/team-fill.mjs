#!/usr/bin/env node
// Fills a team database's index of one machine's pushed home from the tree on disk, for
// bench/team-read.mjs at 100,000 sessions (docs/team.md "Bench"): the server's catch-up reads the
// pushed bytes back from PostgreSQL at a few files a second on the shared machine (hours for
// 100,000), while the single-machine indexer reads the same bytes from the files.
//
//   node bench/team-fill.mjs --database-url URL --tree DIR [--machine bench] [--fixup-only]
//
// What it writes is what the catch-up writes for those bytes: the same indexer (file-update, the
// Codex readers, the PostgreSQL store) over the same relative paths, into home `pushed:<machine>`.
// Only the identity differs (the disk's device, inode and times where a pushed file has its
// generation, cs_files id, the pusher's mtime and ctime 0), so the last step copies those from
// cs_files (run it, or `--fixup-only`, once the push has ended): the catch-up then finds every
// row current and reads nothing. The store modules are bundled from src/ (no build needed).
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { importFromSrc } from './src-bundle.mjs';

const { values: argv } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    tree: { type: 'string' },
    machine: { type: 'string', default: 'bench' },
    'fixup-only': { type: 'boolean', default: false },
  },
});
const say = (msg) => process.stderr.write(`[team-fill] ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

const loadModules = () =>
  importFromSrc('bench-team-fill', {
      './src/rollout/index/postgres/backend.ts': ['PgBackend'],
      './src/rollout/index/store-index.ts': ['StoreIndex'],
      './src/rollout/repository.ts': ['RolloutRepository'],
      './src/team/db/pool.ts': ['openPool'],
    });

/**
 * The pushed identity of every row whose file the push holds (see above), a few thousand rows per
 * statement (a server may be indexing the home meanwhile: a deadlock is tried again).
 */
async function fixup(pool, machine) {
  let total = 0;
  for (;;) {
    const result = await pool
      .query(
        `UPDATE cs_index_files s SET dev = f.generation, ino = f.id, mtime_exact = coalesce(f.mtime_ms, 0), ctime_exact = 0,
                mtime_ms = coalesce(f.mtime_ms, 0)
           FROM cs_files f
          WHERE (s.home, s.rel_path) IN (
                  SELECT i.home, i.rel_path FROM cs_index_files i JOIN cs_files g ON i.home = 'pushed:' || g.machine AND i.rel_path = g.path
                   WHERE g.machine = $1 AND (i.ino <> g.id OR i.dev <> g.generation OR i.ctime_exact <> 0
                         OR i.mtime_exact <> coalesce(g.mtime_ms, 0))
                   ORDER BY i.rel_path LIMIT 2000)
            AND f.machine = $1 AND s.home = 'pushed:' || f.machine AND s.rel_path = f.path`,
        [machine],
      )
      .catch((err) => (err.code === '40P01' ? null : Promise.reject(err)));
    if (result === null) continue;
    total += result.rowCount;
    if (result.rowCount === 0) return total;
  }
}

if (!argv['database-url'] || (!argv.tree && !argv['fixup-only'])) throw new Error('--database-url and --tree are required');
const m = await loadModules();
const { default: pino } = await import('pino');
const pool = m.openPool(argv['database-url'], { max: 4 });
const home = `pushed:${argv.machine}`;
try {
  if (!argv['fixup-only']) {
    const backend = new m.PgBackend(pool);
    // Never fresh: the server may be indexing the same home meanwhile (its rows are kept, and replaced where they differ).
    const into = { where: backend.where, classify: (err) => backend.classify(err), open: (_h, _fresh) => backend.open(home, false) };
    const log = pino({ level: 'warn' });
    const repo = new m.RolloutRepository({
      codexHome: resolve(argv.tree),
      maxScanFiles: 1000,
      log,
      index: (deps) => new m.StoreIndex(into, {}, deps),
    });
    const t0 = performance.now();
    repo.start();
    await repo.indexIdle();
    await repo.close();
    say(`indexed ${argv.tree} into ${home} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  say(`identity of ${await fixup(pool, argv.machine)} rows taken from cs_files`);
} finally {
  await pool.end();
}
