#!/usr/bin/env node
// Builds a synthetic Codex home of N sessions from the real rollout files in
// ../shared/fixtures/codex-home-real/, deterministically from a seed, and caches it outside the
// repository. Importable (`ensureTree`, `generateTree`, `treeDir`) and a CLI:
//
//   node bench/generate-tree.mjs --sessions 100000 [--seed 42] [--big-mb 200] [--out DIR] [--force]
//                                [--claude M]
//
// With `--claude M`, a mixed home: the Codex tree of N sessions and a Claude Code home of M
// sessions beside it (bench/generate-claude.mjs); serve it with `--codex-home <first dir>
// --claude-home <second dir>`. `--sessions 50000 --claude 50000` is a 100,000-session mixed home.
//
// What a tree looks like:
// - ids: UUIDv7 (uuid's v7 with `msecs` = creation time and seeded random bytes); every occurrence
//   of the template's own id in the file text is replaced by the new id, the fork template's
//   `forked_from_id` points at the previously generated session.
// - creation times: uniform over the two years before END (fixed, so trees do not depend on the
//   day they were built). The writer's "local" time zone is taken to be UTC, so the file name time
//   and the `sessions/YYYY/MM/DD/` directory are the UTC wall-clock time of the UUID's millisecond.
//   Every ISO timestamp inside the file is shifted by the same amount (meta timestamps stay UTC).
// - sizes: most sessions are one template as is (~40 KB); others repeat the template's non-meta
//   lines r times (a resumed session: each repetition comes after a gap, ordinals continue), a few
//   "large" sessions of several MB, and exactly one "big" session of ~`bigMb` MB (200 by default).
// - mtime = time of the last line + a few seconds (set with utimes), so `sort=updated` differs from
//   creation order for resumed sessions.
// - ~5% of sessions are archived (flat `archived_sessions/`), ~3% are named in `session_index.jsonl`
//   (a tenth of those renamed once more later: newest wins).
// The tree is written into `<dir>.partial/` (a crashed build resumes there: files already complete
// are not rewritten), then `manifest.json` and finally the `.complete` marker are written and the
// directory is renamed into place.

import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, statfs, utimes, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { v7 as uuidv7 } from 'uuid';

const HERE = dirname(fileURLToPath(import.meta.url));
// A worktree outside /work has no ../shared: the repository's copy of the same files serves.
const SHARED_TEMPLATES = resolve(HERE, '../../shared/fixtures/codex-home-real');
export const TEMPLATE_HOME = existsSync(SHARED_TEMPLATES) ? SHARED_TEMPLATES : resolve(HERE, '../test/fixtures/codex-home-real');
/** Bump when the generated content changes: cached trees of another version are not reused. */
export const GENERATOR_VERSION = 1;
const DAY_MS = 86_400_000;
/** Newest creation time (exclusive); trees span the two years before it. */
const END_MS = Date.UTC(2026, 10, 1);
const SPAN_MS = 730 * DAY_MS;
const ARCHIVED_SHARE = 0.05;
const NAMED_SHARE = 0.03;
const WRITE_CONCURRENCY = 64;

export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'codex-sessions-bench', `v${GENERATOR_VERSION}`);
}

/** Where the tree for (seed, sessions, bigMb) lives. */
export function treeDir({ seed = 42, sessions, bigMb = 200, out } = {}) {
  if (out) return resolve(out);
  const suffix = bigMb === 200 ? '' : `-big${bigMb}mb`;
  return join(cacheRoot(), `${seed}-${sessions}${suffix}`);
}

// ---------------------------------------------------------------- deterministic randomness

/** sfc32 seeded by a string hash: small, fast, good enough, and the same on every machine. */
export function makeRandom(seedText) {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < seedText.length; i++) {
    const k = seedText.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  let a = h1 >>> 0, b = h2 >>> 0, c = h3 >>> 0, d = h4 >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  const rnd = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
      return out;
    },
    pick: (arr) => arr[Math.floor(next() * arr.length)],
  };
  return rnd;
}

// ---------------------------------------------------------------- templates

const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
const ROLLOUT_NAME = /^rollout-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-([0-9a-f-]{36})\.jsonl$/;

// Token kinds inside a compiled line.
const T_TS = 1; // ISO timestamp: value = ms offset from the template's creation time
const T_ID = 2; // the session's own id
const T_FORK = 3; // another template session's id (forked_from_id)
const T_ORD = 4; // "ordinal":n
const T_TITLE = 5; // "(#n)" title counter

async function findTemplateFiles(home) {
  const files = [];
  async function walk(dir) {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (ROLLOUT_NAME.test(e.name)) files.push(p);
    }
  }
  await walk(home);
  return files.sort();
}

function compileLine(text, ownId, otherIds, t0) {
  // One pass over the line: every token kind found by one combined regex.
  const re = new RegExp(
    [ISO.source, ownId, ...otherIds, '"ordinal":\\d+', '\\(#\\d+\\)'].map((s) => `(?:${s})`).join('|'),
    'g',
  );
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const s = m[0];
    if (s === ownId) parts.push({ k: T_ID });
    else if (otherIds.includes(s)) parts.push({ k: T_FORK });
    else if (s.startsWith('"ordinal"')) parts.push({ k: T_ORD });
    else if (s.startsWith('(#')) parts.push({ k: T_TITLE });
    else parts.push({ k: T_TS, v: Date.parse(s) - t0 });
    last = m.index + s.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** Each template: its header (the first, session_meta line), its body, and timing facts. */
export async function loadTemplates(home = TEMPLATE_HOME) {
  const paths = await findTemplateFiles(home);
  if (paths.length === 0) throw new Error(`no rollout templates under ${home}`);
  const ids = paths.map((p) => ROLLOUT_NAME.exec(p.slice(p.lastIndexOf('/') + 1))[1]);
  const templates = [];
  for (const [i, path] of paths.entries()) {
    const id = ids[i];
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const first = JSON.parse(lines[0]);
    if (first.type !== 'session_meta') throw new Error(`${path}: first line is not a session_meta`);
    const t0 = Date.parse(first.payload.timestamp);
    const otherIds = ids.filter((x) => x !== id && text.includes(x));
    const compiled = lines.map((l) => compileLine(l, id, otherIds, t0));
    const isMeta = lines.map((l) => JSON.parse(l).type === 'session_meta');
    const firstOrdinal = typeof first.ordinal === 'number' ? first.ordinal : 0;
    let maxTs = 0;
    for (const m of text.matchAll(ISO)) maxTs = Math.max(maxTs, Date.parse(m[0]) - t0);
    const body = compiled.filter((_, j) => j > 0 && !isMeta[j]);
    const bodyBytes = lines.filter((_, j) => j > 0 && !isMeta[j]).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    const firstBodyTs = body.flat().find((p) => typeof p === 'object' && p.k === T_TS)?.v ?? 0;
    templates.push({
      path,
      id,
      lines: compiled,
      header: compiled[0],
      body,
      firstOrdinal,
      bytes: Buffer.byteLength(text),
      bodyBytes,
      headerBytes: Buffer.byteLength(lines[0]) + 1,
      spanMs: maxTs - firstBodyTs,
      maxTs,
    });
  }
  return templates;
}

// ---------------------------------------------------------------- rendering

function renderLine(parts, ctx, ordinal, shiftMs) {
  let s = '';
  for (const p of parts) {
    if (typeof p === 'string') s += p;
    else if (p.k === T_TS) s += new Date(ctx.createdMs + p.v + shiftMs).toISOString();
    else if (p.k === T_ID) s += ctx.id;
    else if (p.k === T_FORK) s += ctx.forkId;
    else if (p.k === T_ORD) s += `"ordinal":${ordinal}`;
    else if (p.k === T_TITLE) s += `(#${ctx.index + 1})`;
  }
  return s + '\n';
}

/** The text of repetition `rep` (0 = the whole template as is; later ones = its body again). */
function renderRep(tpl, ctx, rep) {
  if (rep === 0) {
    let s = '';
    tpl.lines.forEach((parts, j) => (s += renderLine(parts, ctx, tpl.firstOrdinal + j, 0)));
    return s;
  }
  const shift = rep * (tpl.spanMs + ctx.gapMs);
  const ord0 = tpl.firstOrdinal + tpl.lines.length + (rep - 1) * tpl.body.length;
  let s = '';
  tpl.body.forEach((parts, j) => (s += renderLine(parts, ctx, ord0 + j, shift)));
  return s;
}

function lastLineMs(tpl, ctx) {
  return ctx.createdMs + tpl.maxTs + (ctx.reps - 1) * (tpl.spanMs + ctx.gapMs);
}

// ---------------------------------------------------------------- planning

function pad(n, w = 2) {
  return String(n).padStart(w, '0');
}

/** `YYYY-MM-DDThh-mm-ss` of `ms`, with UTC standing in for the writer's local zone. */
function stampOf(ms) {
  const d = new Date(ms);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return `${date}T${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}

const NAME_WORDS = ['refactor', 'auth', 'flaky', 'tests', 'migration', 'parser', 'release', 'docs', 'cache', 'perf',
  'bugfix', 'api', 'schema', 'deploy', 'cleanup', 'spike', 'review', 'logging', 'ui', 'build'];

/** Every session's id, time, template, size, place and mtime: all random draws happen here, in order. */
export function planTree({ seed = 42, sessions, bigMb = 200, templates }) {
  const rnd = makeRandom(`codex-sessions-bench:${seed}:${sessions}:${bigMb}`);
  const n = sessions;
  const bigBytes = Math.round(bigMb * 1024 * 1024);
  const times = Array.from({ length: n }, () => END_MS - SPAN_MS + Math.floor(rnd.next() * SPAN_MS)).sort((a, b) => a - b);
  const bigIndex = Math.floor(n * (0.2 + 0.6 * rnd.next()));
  const largeCount = Math.max(2, Math.round(n / 20_000));
  const large = new Set();
  while (large.size < Math.min(largeCount, n - 1)) {
    const i = rnd.int(0, n - 1);
    if (i !== bigIndex) large.add(i);
  }
  const plan = [];
  let prevId = null;
  for (let i = 0; i < n; i++) {
    const tpl = rnd.pick(templates);
    const createdMs = times[i];
    const id = uuidv7({ msecs: createdMs, random: rnd.bytes(16) });
    const u = rnd.next();
    let reps;
    let gapMs;
    let kind = 'normal';
    if (i === bigIndex) {
      kind = 'big';
      reps = Math.max(1, Math.round((bigBytes - tpl.headerBytes) / tpl.bodyBytes));
      gapMs = 2_000;
    } else if (large.has(i)) {
      kind = 'large';
      const target = bigBytes * (0.05 + 0.15 * rnd.next());
      reps = Math.max(2, Math.round((target - tpl.headerBytes) / tpl.bodyBytes));
      gapMs = 2_000;
    } else {
      reps = u < 0.85 ? 1 : u < 0.97 ? rnd.int(2, 4) : u < 0.995 ? rnd.int(5, 20) : rnd.int(20, 100);
      if (reps > 1) kind = 'resumed';
      // Resumed sessions come back after seconds to days.
      gapMs = rnd.next() < 0.5 ? rnd.int(5_000, 60_000) : rnd.int(3_600_000, 3 * DAY_MS);
    }
    const archived = kind !== 'big' && rnd.next() < ARCHIVED_SHARE;
    const named = rnd.next() < NAMED_SHARE;
    const stamp = stampOf(createdMs);
    const name = `rollout-${stamp}-${id}.jsonl`;
    const relPath = archived
      ? `archived_sessions/${name}`
      : `sessions/${stamp.slice(0, 4)}/${stamp.slice(5, 7)}/${stamp.slice(8, 10)}/${name}`;
    const ctx = { index: i, id, createdMs, forkId: prevId ?? id, reps, gapMs };
    const mtimeMs = lastLineMs(tpl, ctx) + rnd.int(50, 5_000);
    const entry = {
      ctx,
      tpl,
      kind,
      archived,
      relPath,
      mtimeMs,
      estBytes: tpl.bytes + (reps - 1) * tpl.bodyBytes,
    };
    if (named) {
      const words = `${rnd.pick(NAME_WORDS)} ${rnd.pick(NAME_WORDS)} ${i + 1}`;
      entry.names = [{ name: words, at: mtimeMs + rnd.int(1_000, 7 * DAY_MS) }];
      if (rnd.next() < 0.1) entry.names.push({ name: `${words} (renamed)`, at: entry.names[0].at + rnd.int(1_000, 30 * DAY_MS) });
    }
    plan.push(entry);
    prevId = id;
  }
  return plan;
}

// ---------------------------------------------------------------- writing

async function writeSmall(absPath, entry) {
  const { tpl, ctx } = entry;
  let text = '';
  for (let rep = 0; rep < ctx.reps; rep++) text += renderRep(tpl, ctx, rep);
  const size = Buffer.byteLength(text);
  let done = false;
  try {
    done = (await stat(absPath)).size === size; // resuming a crashed build
  } catch {
    // not written yet
  }
  if (!done) await writeFile(absPath, text);
  const mt = entry.mtimeMs / 1000;
  await utimes(absPath, mt, mt);
  return size;
}

async function writeStreamed(absPath, entry) {
  const { tpl, ctx } = entry;
  // Big files are always rewritten (cheap next to the rest); stream in ~1 MiB writes.
  const out = createWriteStream(absPath);
  let size = 0;
  let buf = '';
  for (let rep = 0; rep < ctx.reps; rep++) {
    buf += renderRep(tpl, ctx, rep);
    if (buf.length >= 1 << 20 || rep === ctx.reps - 1) {
      size += Buffer.byteLength(buf);
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end();
  await once(out, 'finish');
  const mt = entry.mtimeMs / 1000;
  await utimes(absPath, mt, mt);
  return size;
}

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`[generate-tree] ${msg}\n`);
}

/** Builds the tree into `dir` (replacing any complete one); returns its manifest. */
export async function generateTree({ seed = 42, sessions, bigMb = 200, out, quiet = false } = {}) {
  if (!Number.isInteger(sessions) || sessions < 1) throw new Error('sessions must be a positive integer');
  const dir = treeDir({ seed, sessions, bigMb, out });
  const partial = `${dir}.partial`;
  const started = Date.now();
  const templates = await loadTemplates();
  const plan = planTree({ seed, sessions, bigMb, templates });
  const estBytes = plan.reduce((n, e) => n + e.estBytes, 0);

  await mkdir(partial, { recursive: true });
  const fsInfo = await statfs(partial);
  const free = fsInfo.bavail * fsInfo.bsize;
  let already = 0;
  try {
    already = Number((await readFile(join(partial, '.progress'), 'utf8')).trim()) || 0; // bytes written by a crashed run
  } catch {
    // no earlier run to resume
  }
  const need = estBytes * 1.05 + sessions * 4096 /* inodes, block slack */ + 512 * 1024 * 1024;
  if (free + already < need) {
    throw new Error(
      `not enough disk space for ${sessions} sessions in ${partial}: need ~${(need / 2 ** 30).toFixed(1)} GiB, ` +
        `${(free / 2 ** 30).toFixed(1)} GiB free (set XDG_CACHE_HOME or --out to another disk)`,
    );
  }
  log(quiet, `${sessions} sessions (~${(estBytes / 2 ** 30).toFixed(2)} GiB) -> ${dir}`);

  await rm(dir, { recursive: true, force: true });
  const dirs = new Set(plan.map((e) => dirname(join(partial, e.relPath))));
  dirs.add(join(partial, 'sessions'));
  dirs.add(join(partial, 'archived_sessions'));
  for (const d of dirs) await mkdir(d, { recursive: true });

  const sizes = new Array(plan.length);
  let next = 0;
  let written = 0;
  let lastReport = Date.now();
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      const entry = plan[i];
      if (entry.kind === 'big' || entry.kind === 'large') continue; // streamed separately, below
      sizes[i] = await writeSmall(join(partial, entry.relPath), entry);
      written += 1;
      if (!quiet && Date.now() - lastReport > 5_000) {
        lastReport = Date.now();
        log(quiet, `${written}/${plan.length} files, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        await writeFile(join(partial, '.progress'), String(sizes.reduce((a, b) => a + (b ?? 0), 0)));
      }
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker));
  for (const [i, entry] of plan.entries()) {
    if (entry.kind === 'big' || entry.kind === 'large') sizes[i] = await writeStreamed(join(partial, entry.relPath), entry);
  }
  const totalBytes = sizes.reduce((a, b) => a + b, 0);

  // session_index.jsonl: append-only in time order, newest entry for an id wins.
  const nameLines = plan
    .flatMap((e) => (e.names ?? []).map((nm) => ({ id: e.ctx.id, thread_name: nm.name, at: nm.at })))
    .sort((a, b) => a.at - b.at)
    .map((x) => JSON.stringify({ id: x.id, thread_name: x.thread_name, updated_at: new Date(x.at).toISOString() }))
    .join('\n');
  const indexPath = join(partial, 'session_index.jsonl');
  await writeFile(indexPath, nameLines === '' ? '' : `${nameLines}\n`);
  const lastNamedAt = Math.max(END_MS, ...plan.flatMap((e) => (e.names ?? []).map((nm) => nm.at))) / 1000;
  await utimes(indexPath, lastNamedAt, lastNamedAt);

  const sorted = [...sizes].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const big = plan.findIndex((e) => e.kind === 'big');
  // Ids of normal-sized sessions for lookups: evenly spread over the tree, active and archived.
  const normal = plan.map((e, i) => [e, i]).filter(([e]) => e.kind === 'normal');
  const step = Math.max(1, Math.floor(normal.length / 200));
  const samples = normal
    .filter((_, j) => j % step === 0)
    .slice(0, 200)
    .map(([e, i]) => ({ id: e.ctx.id, sizeBytes: sizes[i], archived: e.archived }));
  const manifest = {
    generatorVersion: GENERATOR_VERSION,
    seed,
    sessions,
    bigMb,
    localTimeZone: 'UTC (file-name times are written as if the writer ran in UTC)',
    createdRange: [new Date(plan[0].ctx.createdMs).toISOString(), new Date(plan[plan.length - 1].ctx.createdMs).toISOString()],
    counts: {
      active: plan.filter((e) => !e.archived).length,
      archived: plan.filter((e) => e.archived).length,
      named: plan.filter((e) => e.names).length,
      resumed: plan.filter((e) => e.kind === 'resumed').length,
      large: plan.filter((e) => e.kind === 'large').length,
      dayDirs: new Set(plan.filter((e) => !e.archived).map((e) => dirname(e.relPath))).size,
    },
    totalBytes,
    sizeBytes: { min: sorted[0], p50: q(0.5), p90: q(0.9), p99: q(0.99), max: sorted[sorted.length - 1] },
    bigSession: { id: plan[big].ctx.id, relPath: plan[big].relPath, sizeBytes: sizes[big] },
    largeSessions: plan.map((e, i) => [e, i]).filter(([e]) => e.kind === 'large').map(([e, i]) => ({ id: e.ctx.id, sizeBytes: sizes[i] })),
    newestActive: plan.filter((e) => !e.archived).slice(-25).map((e) => e.ctx.id).reverse(),
    samples,
    generationMs: Date.now() - started,
  };
  await writeFile(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 1));
  await rm(join(partial, '.progress'), { force: true });
  await writeFile(
    join(partial, '.complete'),
    JSON.stringify({ generatedAt: new Date().toISOString(), generationMs: manifest.generationMs }),
  );
  await rename(partial, dir);
  const gib = (totalBytes / 2 ** 30).toFixed(2);
  log(quiet, `done: ${sessions} sessions, ${gib} GiB in ${(manifest.generationMs / 1000).toFixed(1)} s`);
  return { dir, manifest, cached: false };
}

/** The cached tree when complete, else a freshly generated one. */
export async function ensureTree(opts) {
  const dir = treeDir(opts);
  try {
    await stat(join(dir, '.complete'));
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    return { dir, manifest, cached: true };
  } catch {
    return generateTree(opts);
  }
}

// ---------------------------------------------------------------- CLI

// A function, not top-level await: generate-claude.mjs imports this module, and importing it
// while this module's evaluation awaits would be a cycle that never settles (exit code 13).
async function main() {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', short: 'n' },
      seed: { type: 'string', default: '42' },
      'big-mb': { type: 'string', default: '200' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      claude: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.sessions) {
    process.stdout.write(
      'usage: node bench/generate-tree.mjs --sessions N [--seed 42] [--big-mb 200] [--out DIR] [--force] [--claude M]\n',
    );
    process.exit(values.help ? 0 : 2);
  }
  const opts = {
    sessions: Number(values.sessions),
    seed: Number.isNaN(Number(values.seed)) ? values.seed : Number(values.seed),
    bigMb: Number(values['big-mb']),
    out: values.out,
  };
  const result = values.force ? await generateTree(opts) : await ensureTree(opts);
  const m = result.manifest;
  process.stdout.write(
    `${result.dir}\n${result.cached ? 'cached' : 'generated'}: ${m.sessions} sessions, ` +
      `${(m.totalBytes / 2 ** 30).toFixed(2)} GiB, ${m.counts.archived} archived, ${m.counts.named} named, ` +
      `big session ${m.bigSession.id} (${(m.bigSession.sizeBytes / 2 ** 20).toFixed(0)} MiB), ` +
      `generated in ${(m.generationMs / 1000).toFixed(1)} s\n`,
  );
  if (values.claude !== undefined) {
    const { describeClaudeTree, ensureClaudeTree, generateClaudeTree } = await import('./generate-claude.mjs');
    const claudeOut = values.out === undefined ? undefined : `${values.out}-claude`;
    const claudeOpts = { sessions: Number(values.claude), seed: opts.seed, out: claudeOut };
    process.stdout.write(describeClaudeTree(values.force ? await generateClaudeTree(claudeOpts) : await ensureClaudeTree(claudeOpts)));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  });
}
