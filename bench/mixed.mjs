// `node bench/run.mjs --mixed`: the main rows on mixed homes (issue 20: "a 100,000-session mixed
// home keeps every bench target"). Each tree of the run is half Codex (bench/generate-tree.mjs)
// and half Claude Code (bench/generate-claude.mjs), and every service of the run serves both
// (`--claude-home`). run.mjs asks this module for its trees (`ensureMixedTree` in place of
// `ensureTree`) and for the extra arguments of a service (`claudeArgs`); the rows themselves are
// unchanged, so a mixed run reads the same as a Codex one.
//
// - N sessions = ceil(N/2) Codex sessions (with the tree's big session) + floor(N/2) Claude
//   sessions; Claude sub-agent files are sessions of the list too (`source: subagent`), so the
//   list holds a few more items than N (the manifest says how many files).
// - Lookups (row 4) alternate Codex and Claude ids: the Claude ids are every k-th session file
//   of the home in path order (deterministic), none of them a sub-agent.
// - The Claude index is the second file beside the configured one (`<name>.claude.sqlite`):
//   `indexFilesOf` names both, so the index size of the run is the sum.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureTree } from './generate-tree.mjs';
import { ensureClaudeTree } from './generate-claude.mjs';

/** Codex home → Claude home, for the trees this run made. */
const claudeHomes = new Map();

const SESSION_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/;

/** `n` Claude session ids spread over the home: every k-th session file in path order. */
async function claudeSampleIds(home, n) {
  const ids = [];
  const projects = (await readdir(join(home, 'projects'))).sort();
  for (const project of projects) {
    for (const name of (await readdir(join(home, 'projects', project))).sort()) {
      const m = SESSION_FILE.exec(name);
      if (m !== null) ids.push(m[1]);
    }
  }
  const step = Math.max(1, Math.floor(ids.length / n));
  return ids.filter((_, i) => i % step === 0).slice(0, n);
}

/** A mixed tree of `sessions` sessions, in the shape of ensureTree's answer (`dir` is the Codex home). */
export async function ensureMixedTree({ seed = 42, sessions, bigMb = 200 }) {
  const codexN = Math.ceil(sessions / 2);
  const claudeN = sessions - codexN;
  const codex = await ensureTree({ seed, sessions: codexN, bigMb });
  const claude = await ensureClaudeTree({ seed, sessions: claudeN });
  claudeHomes.set(codex.dir, claude.dir);
  const codexSamples = codex.manifest.samples;
  const claudeIds = await claudeSampleIds(claude.dir, codexSamples.length);
  const samples = [];
  for (let i = 0; i < codexSamples.length; i++) {
    samples.push(i % 2 === 0 || i / 2 >= claudeIds.length ? codexSamples[i] : { id: claudeIds[Math.floor(i / 2)], agent: 'claude' });
  }
  const manifest = {
    ...codex.manifest,
    sessions: codexN + claudeN,
    totalBytes: codex.manifest.totalBytes + claude.manifest.totalBytes,
    generationMs: codex.manifest.generationMs + claude.manifest.generationMs,
    samples,
    mixed: {
      codexSessions: codexN,
      claudeSessions: claudeN,
      claudeFiles: claude.manifest.files,
      claudeBytes: claude.manifest.totalBytes,
      claudeDir: claude.dir,
    },
  };
  return { dir: codex.dir, claudeDir: claude.dir, manifest, cached: codex.cached && claude.cached };
}

/** The arguments that make a service of `codexHome` serve its Claude half too (none for a Codex-only tree). */
export function claudeArgs(codexHome) {
  const claude = claudeHomes.get(codexHome);
  return claude === undefined ? [] : ['--claude-home', claude];
}

/** The index files of a service started with `--index-path path`: the Claude index is beside it. */
export function indexFilesOf(path, codexHome) {
  if (!claudeHomes.has(codexHome)) return [path];
  const dot = path.lastIndexOf('.');
  return [path, `${path.slice(0, dot)}.claude${path.slice(dot)}`];
}

// ---------------------------------------------------------------- `node bench/mixed.mjs --sessions N`
//
// The mixed home's rows on their own, for a machine where the full `run.mjs --mixed` does not fit
// (docs/performance.md, "A 100,000-session mixed home"): one service over the mixed tree of N
// sessions with a fresh index and one over the small tree (`--small`, 1,000), then
//   1b. first pages of the large service while its index builds (one at a time, 60 s timeout
//       each, `--during` of them), against the small service's steady page, interleaved;
//   build: wall time until /readyz says complete, CPU seconds of the process (all threads, and
//       the main thread), peak RSS (VmHWM), the index's size;
//   then, index complete, sequential p50s (`--requests` each, interleaved with the small tree's
//   where the target is a ratio): first page, lookup by id (Codex and Claude ids alternating),
//   search (a rare and a common phrase), `sort=updated`, `cwd=`, `q=`, /usage?groupBy=day, and
//   the dashboard's first row in Chromium (bench/dashboard.mjs; skipped without it).
// `--index-dir DIR` keeps the large service's index in DIR (`<tree>.sqlite` and
// `<tree>.claude.sqlite`, run.mjs's names) and reuses it when it is there: a run over a complete
// one skips row 1b and the build rows (its start-up check of every file is waited for, not
// measured) and takes minutes, not the build's half hour.
// One request at a time, not run.mjs's loads: these are latencies on a shared machine, printed
// with the load average. Each line of output is JSON; each target's line as soon as it is
// measured, and all of them again at the end.

async function main() {
  const { dashboardFirstRow } = await import('./dashboard.mjs');
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '100000' },
      small: { type: 'string', default: '1000' },
      cli: { type: 'string', default: 'dist/cli.js' },
      during: { type: 'string', default: '10' },
      requests: { type: 'string', default: '15' },
      'no-dashboard': { type: 'boolean', default: false },
      'index-dir': { type: 'string' },
    },
  });
  const REQUESTS = Number(values.requests);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const load = () => +os.loadavg()[0].toFixed(1);
  const say = (obj) => process.stdout.write(`${JSON.stringify({ ...obj, load: load() })}\n`);
  const children = [];

  async function start(tree, label, indexDir) {
    const dir = indexDir ?? (await mkdtemp(join(os.tmpdir(), 'mixed-bench-')));
    const port = 39_000 + Math.floor(Math.random() * 20_000);
    const name = indexDir === undefined ? 'index' : basename(tree.dir);
    const args = [resolve(values.cli), '--codex-home', tree.dir, ...claudeArgs(tree.dir),
      '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn',
      '--index-path', join(dir, `${name}.sqlite`), '--response-cache-mb', '0'];
    const started = performance.now();
    const env = { ...process.env, NODE_ENV: 'production' };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    children.push(child);
    const svc = { label, port, dir, child, started, url: `http://127.0.0.1:${port}` };
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${label} exited`);
      if ((await request(svc, '/readyz', 2_000)).status !== undefined) break;
      await sleep(50);
    }
    return svc;
  }

  async function request(svc, path, timeoutMs = 60_000) {
    const t0 = performance.now();
    try {
      const res = await fetch(`${svc.url}${path}`, { signal: globalThis.AbortSignal.timeout(timeoutMs) });
      const body = await res.text();
      return { ms: performance.now() - t0, status: res.status, body };
    } catch (err) {
      return { ms: performance.now() - t0, error: err.name };
    }
  }

  const cpuOf = async (pid) => {
    const ticks = (text) => {
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const main = ticks(await readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
    return { all: ticks(await readFile(`/proc/${pid}/stat`, 'utf8')), main };
  };
  /** `checked`: also the pass over every file a reused index makes at start-up is done. */
  const complete = async (svc, checked = false) => {
    const r = await request(svc, '/readyz', 10_000);
    const index = r.status === 200 ? JSON.parse(r.body).index : undefined;
    return index?.complete === true && (!checked || index.lastPassMs != null);
  };
  const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const round = (x) => (x === undefined ? null : +x.toFixed(1));

  /** p50 of `paths` (cycled) on each service, one request at a time, the services alternating. */
  async function interleavedP50(pairs) {
    const times = pairs.map(() => []);
    for (let i = 0; i < REQUESTS; i++) {
      for (const [j, [svc, paths]] of pairs.entries()) {
        const r = await request(svc, paths[i % paths.length]);
        if (r.status !== 200) throw new Error(`${svc.label} ${paths[i % paths.length]}: ${r.status ?? r.error}`);
        times[j].push(r.ms);
      }
    }
    return times.map((t) => round(p50(t)));
  }

  const targets = [];
  const target = (row, measured, limit, detail) => {
    const result = measured === null || limit === null ? '' : measured <= limit ? 'pass' : 'miss';
    targets.push({ row, measured, limit, result, detail, load: load() });
    say({ target: row, measured, limit, result, detail }); // at once: a run stopped part way keeps its rows
  };

  /** Row 1b (first pages while the large index builds) and the build's rows. */
  async function buildRows(svcLarge, svcSmall) {
    const during = [];
    const steady = [];
    for (let i = 0; i < Number(values.during); i++) {
      const r = await request(svcLarge, FIRST);
      const body = r.status === 200 ? JSON.parse(r.body) : null;
      const agents = body?.items.map((item) => item.agent) ?? [];
      during.push(r.error ? 60_000 : r.ms);
      steady.push((await request(svcSmall, FIRST)).ms);
      const count = (agent) => agents.filter((a) => a === agent).length;
      const at = +((performance.now() - svcLarge.started) / 1000).toFixed(1);
      const indexing = body?.indexing === true;
      say({ row: '1b', at, ms: round(r.ms), status: r.status ?? r.error, indexing, codex: count('codex'), claude: count('claude') });
      if (await complete(svcLarge)) break;
      await sleep(1_000);
  }
  const [d50, s50] = [p50(during), p50(steady)];
  const detail = `${round(d50)} / ${round(s50)} ms, ${during.length} requests`;
  target('1b. first page during the build / steady small', round(d50 / s50), 3, detail);
  while (!(await complete(svcLarge))) await sleep(500);
  const wallS = (performance.now() - svcLarge.started) / 1000;
  const cpu = await cpuOf(svcLarge.child.pid);
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${svcLarge.child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
  let indexBytes = 0;
  for (const name of await readdir(svcLarge.dir)) indexBytes += (await stat(join(svcLarge.dir, name))).size;
  target('index build (s, wall)', round(wallS), 300, `CPU ${round(cpu.all)} s (main thread ${round(cpu.main)} s)`);
  const sizes = `index ${round(indexBytes / 2 ** 20)} MiB for ${round(large.manifest.totalBytes / 2 ** 20)} MiB`;
  target('index build peak RSS (MB)', round(hwm / 1e6), 300, sizes);
  }

  const n = Number(values.sessions);
  const large = await ensureMixedTree({ sessions: n });
  const small = await ensureMixedTree({ sessions: Number(values.small) });
  const { claudeFiles, codexSessions } = large.manifest.mixed;
  const gib = +(large.manifest.totalBytes / 2 ** 30).toFixed(2);
  say({ tree: large.dir, claude: large.claudeDir, sessions: n, files: claudeFiles + codexSessions, gib });
  const FIRST = '/conversations?limit=25&head=10';
  try {
    const svcSmall = await start(small, `small(${values.small})`);
    while (!(await complete(svcSmall))) await sleep(250);
    const indexDir = values['index-dir'] === undefined ? undefined : resolve(values['index-dir']);
    if (indexDir !== undefined) await mkdir(indexDir, { recursive: true });
    const svcLarge = await start(large, `large(${n})`, indexDir);
    if (indexDir !== undefined && (await complete(svcLarge))) {
      while (!(await complete(svcLarge, true))) await sleep(500);
      const checkS = round((performance.now() - svcLarge.started) / 1000);
      say({ reused: indexDir, note: `index complete at start; rows 1b and build skipped; start-up check ${checkS} s` });
    } else {
      await buildRows(svcLarge, svcSmall);
    }
    const [fl, fs] = await interleavedP50([[svcLarge, [FIRST]], [svcSmall, [FIRST]]]);
    target('1. first page, large / small', round(fl / fs), 1.3, `${fl} / ${fs} ms`);
    const lookups = (t) => t.manifest.samples.slice(0, 20).map((s) => `/conversations/${s.id}`);
    const [ll, ls] = await interleavedP50([[svcLarge, lookups(large)], [svcSmall, lookups(small)]]);
    target('4. lookup by id, large / small (Codex and Claude ids)', round(ll / ls), 2, `${ll} / ${ls} ms`);
    for (const [row, path, limit] of [
      ['5s. search, rare phrase (ms)', '/search?q=%28%234242', 30],
      ['5s. search, common phrase (ms)', '/search?q=Mock%20reply', 100],
      ['5. sort=updated (ms)', `${FIRST}&sort=updated`, 50],
      ['5. cwd= (ms)', `${FIRST}&cwd=${encodeURIComponent('/home/dev/notes')}`, 50],
      ['5. q=linter (ms)', `${FIRST}&q=linter`, 50],
      ['U2. /usage?groupBy=day (ms)', '/usage?groupBy=day', 100],
    ]) {
      const [ms] = await interleavedP50([[svcLarge, [path]]]);
      target(row, ms, limit, `${REQUESTS} requests`);
    }
    if (!values['no-dashboard']) {
      const dash = await dashboardFirstRow(`${svcLarge.url}/`);
      target('7. dashboard first visible row (ms)', dash.medianMs ?? null, 1000, dash.skipped ?? JSON.stringify(dash.runs));
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
  }
  for (const t of targets) say(t);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
