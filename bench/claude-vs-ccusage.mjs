#!/usr/bin/env node
// Claude usage against ccusage (issue 20): `ccusage daily --json --offline --timezone UTC
// --breakdown --mode calculate` (npm `ccusage`, pinned, installed on first use into the bench
// cache) and our counter (bench/claude-count.mjs: the source's own modules, bundled with esbuild
// and run as a process of its own) over the same homes:
//
//   real       the real fixture home (test/fixtures/claude-home-real, Claude Code 2.1.197)
//   cases      bench/claude-cases.mjs: one constructed case per day, each a known difference
//   generated  bench/generate-claude.mjs's home of --sessions N (skipped with --sessions 0)
//
//   node bench/claude-vs-ccusage.mjs [--sessions 2000] [--seed 42] [--out FILE]
//
// Prints every (UTC day, model) row where the tokens or the cost differ, with the reason, and
// per home the totals and both wall times. Exit status 1 when a difference has no known reason
// (or a run broke), 0 otherwise.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { CCUSAGE_VERSION } from './ccusage.mjs';
import { CASES, writeCasesHome } from './claude-cases.mjs';
import { CLAUDE_TEMPLATE_HOME, ensureClaudeTree } from './generate-claude.mjs';
import { cacheRoot } from './generate-tree.mjs';
import { npmToolFile } from './npm-tool.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const { values: argv } = parseArgs({
  options: {
    sessions: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (argv.help) {
  process.stdout.write('usage: node bench/claude-vs-ccusage.mjs [--sessions 2000] [--seed 42] [--out FILE]\n');
  process.exit(0);
}
const say = (msg) => process.stderr.write(`[claude-vs-ccusage] ${msg}\n`);
const EPSILON = 1e-9;

function runNode(args, env, cwd) {
  const started = performance.now();
  return new Promise((res, rej) => {
    execFile(process.execPath, args, { env, cwd, maxBuffer: 256 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) return rej(new Error(`${args[0]}: ${err.message}\n${stderr}`));
      try {
        res({ ms: performance.now() - started, json: JSON.parse(stdout) });
      } catch (e) {
        rej(e);
      }
    });
  });
}

/** bench/claude-count.mjs bundled from src/ (dist/ is one bundle per entry point and exports none of it). */
async function bundleCounter() {
  const outfile = join(ROOT, 'node_modules', '.cache', 'bench-claude', 'claude-count.mjs');
  await build({
    entryPoints: [join(HERE, 'claude-count.mjs')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    logLevel: 'warning',
  });
  return outfile;
}

/** ccusage's rows, by day and model (a `-fast` model is a model of its own there and here: `<model>-fast`). */
function theirRows(report) {
  const rows = new Map();
  for (const day of report.daily ?? []) {
    for (const b of day.modelBreakdowns ?? []) {
      const model = b.modelName;
      const key = `${day.date}|${model}`;
      const row = rows.get(key) ?? { date: day.date, model, input: 0, cacheWrite: 0, cacheRead: 0, output: 0, cost: 0 };
      row.input += b.inputTokens;
      row.cacheWrite += b.cacheCreationTokens;
      row.cacheRead += b.cacheReadTokens;
      row.output += b.outputTokens;
      row.cost += b.cost;
      rows.set(key, row);
    }
  }
  return rows;
}

function ourRows(report) {
  const rows = new Map();
  for (const r of report.daily) {
    rows.set(`${r.date}|${r.model}`, {
      date: r.date,
      model: r.model,
      input: r.inputTokens,
      cacheWrite: r.cacheWrite5mTokens + r.cacheWrite1hTokens,
      cacheWrite1h: r.cacheWrite1hTokens,
      cacheRead: r.cacheReadTokens,
      output: r.outputTokens,
      cost: r.priced ? r.cost : null,
    });
  }
  return rows;
}

const TOKEN_FIELDS = ['input', 'cacheWrite', 'cacheRead', 'output'];
const ZERO = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0, cost: 0 };

/** Why a row differs, from the row alone; null when nothing here accounts for it. */
function reasonOf(home, ours, theirs) {
  if (home === 'cases' && CASES[ours?.date ?? theirs?.date]?.why) return CASES[ours?.date ?? theirs?.date].why;
  const sameTokens = ours !== undefined && theirs !== undefined && TOKEN_FIELDS.every((k) => ours[k] === theirs[k]);
  if (!sameTokens) return null;
  if (ours.cost === null && theirs.cost === 0) return 'no price in either table: ccusage counts $0, we leave the cost unknown';
  if (ours.cost !== null && ours.cost > 0 && theirs.cost === 0) {
    return `ccusage ${CCUSAGE_VERSION} has no price for ${ours.model}: it counts $0`;
  }
  if (ours.cacheWrite1h > 0) return '1-hour cache writes: ccusage prices them at the 5-minute rate';
  return null;
}

function compare(home, ours, theirs) {
  const keys = [...new Set([...ours.keys(), ...theirs.keys()])].sort();
  const diffs = [];
  let equal = 0;
  for (const key of keys) {
    const o = ours.get(key);
    const t = theirs.get(key);
    const a = o ?? ZERO;
    const b = t ?? ZERO;
    const tokensDiffer = TOKEN_FIELDS.some((k) => a[k] !== b[k]);
    const costDiffers = a.cost === null ? b.cost !== 0 || o !== undefined : Math.abs(a.cost - b.cost) > EPSILON;
    if (!tokensDiffer && !costDiffers) {
      equal += 1;
      continue;
    }
    const [date, model] = key.split('|');
    diffs.push({
      date,
      model,
      ours: o === undefined ? null : { ...Object.fromEntries(TOKEN_FIELDS.map((k) => [k, o[k]])), cost: o.cost },
      ccusage: t === undefined ? null : { ...Object.fromEntries(TOKEN_FIELDS.map((k) => [k, t[k]])), cost: t.cost },
      reason: reasonOf(home, o, t),
    });
  }
  return { equal, diffs };
}

function totals(rows) {
  const t = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0, cost: 0 };
  for (const r of rows.values()) {
    for (const k of TOKEN_FIELDS) t[k] += r[k];
    t.cost += r.cost ?? 0;
  }
  return t;
}

const fmtTokens = (r) => (r === null ? '—' : TOKEN_FIELDS.map((k) => r[k].toLocaleString('en-US')).join(' / '));
const fmtCost = (c) => (c === null ? 'null' : `$${c.toFixed(6)}`);

async function main() {
  const entry = npmToolFile(join(cacheRoot(), 'tools'), `ccusage@${CCUSAGE_VERSION}`, 'ccusage/dist/index.js');
  if (entry === null) throw new Error(`ccusage@${CCUSAGE_VERSION} could not be installed (no npm registry?)`);
  const counter = await bundleCounter();
  const scratch = await mkdtemp(join(tmpdir(), 'claude-vs-ccusage-'));
  try {
    const homes = [['real', CLAUDE_TEMPLATE_HOME], ['cases', await writeCasesHome(join(scratch, 'cases'))]];
    const sessions = Number(argv.sessions);
    if (sessions > 0) {
      const seed = Number.isNaN(Number(argv.seed)) ? argv.seed : Number(argv.seed);
      homes.push([`generated (${sessions})`, (await ensureClaudeTree({ sessions, seed })).dir]);
    }
    // ccusage reads a config file from its cwd and home: an empty directory for both.
    const empty = join(scratch, 'empty');
    await mkdir(empty);
    const results = [];
    let unexplained = 0;
    for (const [name, dir] of homes) {
      say(`${name}: ${dir}`);
      const env = { PATH: process.env.PATH, HOME: empty, CLAUDE_CONFIG_DIR: dir, LOG_LEVEL: '0', TZ: 'UTC' };
      const args = [entry, 'daily', '--json', '--offline', '--timezone', 'UTC', '--breakdown', '--mode', 'calculate'];
      const theirsRun = await runNode(args, env, empty);
      const oursRun = await runNode([counter, dir], { PATH: process.env.PATH, TZ: 'UTC' }, ROOT);
      const ours = ourRows(oursRun.json);
      const theirs = theirRows(theirsRun.json);
      const { equal, diffs } = compare(name.split(' ')[0], ours, theirs);
      unexplained += diffs.filter((d) => d.reason === null).length;
      results.push({ home: name, dir, files: oursRun.json.files, responses: oursRun.json.responses, equalRows: equal, diffs,
        totals: { ours: totals(ours), ccusage: totals(theirs) }, ms: { ours: oursRun.ms, ccusage: theirsRun.ms } });
    }
    for (const r of results) {
      const t = r.totals;
      process.stdout.write(`\n## ${r.home}: ${r.files} files, ${r.responses} responses counted by us; ` +
        `${r.equalRows} day/model rows equal, ${r.diffs.length} differ\n`);
      process.stdout.write(`totals (input / cache writes / cache reads / output, cost): ours ${fmtTokens(t.ours)}, ` +
        `${fmtCost(t.ours.cost)}; ccusage ${fmtTokens(t.ccusage)}, ${fmtCost(t.ccusage.cost)}\n`);
      process.stdout.write(`wall time: ours ${r.ms.ours.toFixed(0)} ms, ccusage ${r.ms.ccusage.toFixed(0)} ms\n`);
      for (const d of r.diffs) {
        process.stdout.write(`- ${d.date} ${d.model}: ours ${fmtTokens(d.ours)} ${fmtCost(d.ours?.cost ?? null)}; ` +
          `ccusage ${fmtTokens(d.ccusage)} ${fmtCost(d.ccusage?.cost ?? null)}\n    ${d.reason ?? 'UNEXPLAINED'}\n`);
      }
    }
    if (argv.out) {
      const report = { date: new Date().toISOString(), node: process.version, ccusage: CCUSAGE_VERSION, cases: CASES, results };
      await writeFile(resolve(argv.out), JSON.stringify(report, null, 1));
    }
    if (unexplained > 0) {
      say(`${unexplained} difference(s) without a known reason`);
      process.exitCode = 1;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  say(err.stack ?? String(err));
  process.exitCode = 1;
});
