#!/usr/bin/env node
// Builds a synthetic Claude Code home of N sessions from the real transcripts in
// test/fixtures/claude-home-real/ (Claude Code CLI 2.1.197), deterministically from a seed, and
// caches it beside the Codex trees. Importable (`ensureClaudeTree`, `generateClaudeTree`,
// `claudeTreeDir`) and a CLI:
//
//   node bench/generate-claude.mjs --sessions 50000 [--seed 42] [--out DIR] [--force]
//
// (`node bench/generate-tree.mjs --sessions N --claude M` builds both halves of a mixed home.)
//
// What a home looks like:
// - `projects/<encoded cwd>/<session id>.jsonl`, the cwd drawn from a pool of project paths
//   (some non-ASCII), encoded the way Claude Code does (every character that is not an ASCII
//   letter or digit becomes `-`); every occurrence of the template's cwd is replaced.
// - every template is a real session, so the files have what the real ones have: one line per
//   content block of a response (split assistant lines sharing `message.id` and `requestId`),
//   tool use and results, sub-agents (`<id>/subagents/agent-<id>.jsonl` and `.meta.json`, with the
//   opening usage in their split lines), an API error (529, `<synthetic>`), an interactive session.
// - ids: session ids are UUIDv4 from the seeded random; every other UUID of a template (uuid,
//   parentUuid, promptId, ...) keeps its first 24 characters and takes 12 hex digits of its own
//   per session and repetition, and so do `msg_`/`req_` ids: no two sessions share a response
//   key (`message.id`, `requestId`), so the usage of a home is the sum of its sessions.
// - sizes: 85 % one template, 12 % continued 2–4×, 3 % 5–20× (`--continue` appends the template
//   again to the same file after a gap of seconds to days, with a sub-agent of its own per
//   repetition); a third of the continued sessions are compacted before a repetition (a `system`
//   `compact_boundary` line and the `isCompactSummary` user line, as `/compact` writes them).
// - times: creation uniform over the two years before 2026-11-01 (UTC, as Claude Code writes);
//   every ISO timestamp shifted with it; mtime = last line + up to 5 s.
// The home is written into `<dir>.partial/`, then `manifest.json` and the `.complete` marker, then
// renamed into place.

import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { v4 as uuidv4 } from 'uuid';
import { cacheRoot, makeRandom } from './generate-tree.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CLAUDE_TEMPLATE_HOME = resolve(HERE, '../test/fixtures/claude-home-real');
/** Bump when the generated content changes: cached homes of another version are not reused. */
export const CLAUDE_GENERATOR_VERSION = 1;
const DAY_MS = 86_400_000;
const END_MS = Date.UTC(2026, 10, 1);
const SPAN_MS = 730 * DAY_MS;
const WRITE_CONCURRENCY = 64;
const COMPACTED_SHARE = 1 / 3;

export function claudeTreeDir({ seed = 42, sessions, out } = {}) {
  return out ? resolve(out) : join(cacheRoot(), `claude${CLAUDE_GENERATOR_VERSION}-${seed}-${sessions}`);
}

/** Claude Code's directory name for a cwd. */
export const encodeCwd = (cwd) => cwd.replace(/[^A-Za-z0-9]/g, '-');

// ---------------------------------------------------------------- templates

const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const UUID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const SESSION_NAME = new RegExp(`^(${UUID_RE})\\.jsonl$`);
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Token kinds inside a compiled line.
const T_TS = 1; // ISO timestamp: value = ms offset from the template's first timestamp
const T_ID = 2; // the session's own id
const T_UUID = 3; // another UUID: value = its first 24 characters
const T_API_ID = 4; // a msg_/req_ id: value = all but its last 12 characters
const T_CWD = 5; // the template's cwd (JSON-escaped form)
const T_AGENT = 6; // a sub-agent id: value = the template's

function compileLine(text, ctx) {
  const alternatives = [ISO, ctx.id, UUID_RE, '(?:msg|req)_[A-Za-z0-9]{13,}', escapeRe(ctx.cwdJson), ...ctx.agentIds];
  const re = new RegExp(alternatives.map((s) => `(?:${s})`).join('|'), 'g');
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    const s = m[0];
    if (s === ctx.id) parts.push({ k: T_ID });
    else if (s === ctx.cwdJson) parts.push({ k: T_CWD });
    else if (ctx.agentIds.includes(s)) parts.push({ k: T_AGENT, v: s });
    else if (s.startsWith('msg_') || s.startsWith('req_')) parts.push({ k: T_API_ID, v: s.slice(0, -12) });
    else if (/^\d{4}-/.test(s)) parts.push({ k: T_TS, v: Date.parse(s) - ctx.t0 });
    else parts.push({ k: T_UUID, v: s.slice(0, 24) });
    last = m.index + s.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

const linesOf = (text) => text.split('\n').filter((l) => l !== '');

/** Each main session of the template home with its sub-agents, compiled; plus a compaction pair modelled on `/compact`. */
export async function loadClaudeTemplates(home = CLAUDE_TEMPLATE_HOME) {
  const templates = [];
  const projects = join(home, 'projects');
  for (const project of (await readdir(projects)).sort()) {
    for (const name of (await readdir(join(projects, project))).sort()) {
      const m = SESSION_NAME.exec(name);
      if (m === null) continue;
      const id = m[1];
      const lines = linesOf(await readFile(join(projects, project, name), 'utf8'));
      const records = lines.map((l) => JSON.parse(l));
      const cwd = records.find((r) => typeof r.cwd === 'string')?.cwd;
      const t0 = Date.parse(records.find((r) => typeof r.timestamp === 'string').timestamp);
      const agents = [];
      const subDir = join(projects, project, id, 'subagents');
      const subNames = await readdir(subDir).catch(() => []);
      const agentIds = subNames.map((n) => /^agent-(.+)\.jsonl$/.exec(n)?.[1]).filter(Boolean).sort();
      const ctx = { id, cwdJson: JSON.stringify(cwd).slice(1, -1), t0, agentIds };
      for (const agentId of agentIds) {
        const text = await readFile(join(subDir, `agent-${agentId}.jsonl`), 'utf8');
        const meta = await readFile(join(subDir, `agent-${agentId}.meta.json`), 'utf8').catch(() => null);
        const compiled = linesOf(text).map((l) => compileLine(l, ctx));
        agents.push({ agentId, lines: compiled, meta: meta === null ? null : compileLine(meta.trim(), ctx) });
      }
      let maxTs = 0;
      for (const s of lines.join('\n').matchAll(new RegExp(ISO, 'g'))) maxTs = Math.max(maxTs, Date.parse(s[0]) - t0);
      const context = records.find((r) => r.type === 'user' && typeof r.cwd === 'string');
      templates.push({ id, lines: lines.map((l) => compileLine(l, ctx)), agents, maxTs, compaction: compactionOf(context, ctx) });
    }
  }
  if (templates.length === 0) throw new Error(`no Claude transcripts under ${projects}`);
  return templates;
}

/** The two lines `/compact` writes, with the template's session context (the real files have no compaction). */
function compactionOf(context, ctx) {
  const base = {
    parentUuid: null,
    isSidechain: false,
    userType: context.userType,
    cwd: context.cwd,
    sessionId: context.sessionId,
    version: context.version,
    gitBranch: context.gitBranch,
  };
  const at = new Date(ctx.t0).toISOString();
  const boundary = {
    ...base,
    type: 'system',
    subtype: 'compact_boundary',
    content: 'Conversation compacted',
    isMeta: false,
    timestamp: at,
    uuid: '00000000-0000-4000-8000-00000000c0de',
    level: 'info',
    compactMetadata: { trigger: 'manual', preTokens: 41234 },
  };
  const summary = {
    ...base,
    parentUuid: boundary.uuid,
    type: 'user',
    message: {
      role: 'user',
      content: 'This session is being continued from a previous conversation that ran out of context. ' +
        'The summary below covers the earlier portion of the conversation.\n\nSummary: the work so far.',
    },
    isVisibleInTranscriptOnly: true,
    isCompactSummary: true,
    uuid: '00000000-0000-4000-8000-00000000c0df',
    timestamp: at,
  };
  return [JSON.stringify(boundary), JSON.stringify(summary)].map((l) => compileLine(l, ctx));
}

// ---------------------------------------------------------------- rendering

function render(parts, s, rep, shiftMs) {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.k === T_TS) out += new Date(s.createdMs + p.v + shiftMs).toISOString();
    else if (p.k === T_ID) out += s.id;
    else if (p.k === T_UUID || p.k === T_API_ID) out += p.v + s.salts[rep];
    else if (p.k === T_CWD) out += s.cwdJson;
    else if (p.k === T_AGENT) out += agentIdOf(p.v, rep);
  }
  return out;
}

/** A sub-agent of repetition `rep` (a later `--continue` spawns agents of its own). */
const agentIdOf = (agentId, rep) => (rep === 0 ? agentId : agentId.slice(0, -4) + rep.toString(16).padStart(4, '0'));

const shiftOf = (s, rep) => rep * (s.tpl.maxTs + s.gapMs);

/** The main file's text, and each sub-agent file's. */
function renderSession(s) {
  let main = '';
  const agents = [];
  for (let rep = 0; rep < s.reps; rep++) {
    const shift = shiftOf(s, rep);
    if (rep > 0 && s.compacted) for (const parts of s.tpl.compaction) main += render(parts, s, rep, shift - 1_000) + '\n';
    for (const parts of s.tpl.lines) main += render(parts, s, rep, shift) + '\n';
    for (const a of s.tpl.agents) {
      agents.push({
        name: `agent-${agentIdOf(a.agentId, rep)}`,
        text: a.lines.map((parts) => render(parts, s, rep, shift) + '\n').join(''),
        meta: a.meta === null ? null : render(a.meta, s, rep, shift) + '\n',
      });
    }
  }
  return { main, agents };
}

// ---------------------------------------------------------------- planning

const WORDS = ['api', 'web', 'cli', 'infra', 'docs', 'billing', 'auth', 'search', 'mobile', 'data', 'ml', 'ops',
  'gateway', 'worker', 'site', 'sdk', 'tools', 'admin', 'etl', 'chat'];
const NON_ASCII = ['données café', 'проект', '项目', 'naïve résumé', 'Ünïcödé dir'];

/** The project paths sessions are drawn from: ~1 per 200 sessions (at least 5), a tenth non-ASCII. */
function projectPool(rnd, sessions) {
  const n = Math.max(5, Math.round(sessions / 200));
  return Array.from({ length: n }, (_, i) => {
    const leaf = i % 10 === 4 ? `${rnd.pick(NON_ASCII)} ${i}` : `${rnd.pick(WORDS)}-${rnd.pick(WORDS)}-${i}`;
    return `/home/dev/${leaf}`;
  });
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

/** Every session's id, time, template, cwd, repetitions and mtime: all random draws happen here, in order. */
export function planClaudeTree({ seed = 42, sessions, templates }) {
  const rnd = makeRandom(`claude-sessions-bench:${seed}:${sessions}`);
  const cwds = projectPool(rnd, sessions);
  const times = Array.from({ length: sessions }, () => END_MS - SPAN_MS + Math.floor(rnd.next() * SPAN_MS)).sort((a, b) => a - b);
  const plan = [];
  for (let i = 0; i < sessions; i++) {
    const tpl = templates[rnd.int(0, templates.length - 1)];
    const cwd = rnd.pick(cwds);
    const id = uuidv4({ random: rnd.bytes(16) });
    const u = rnd.next();
    const reps = u < 0.85 ? 1 : u < 0.97 ? rnd.int(2, 4) : rnd.int(5, 20);
    const gapMs = rnd.next() < 0.5 ? rnd.int(5_000, 60_000) : rnd.int(3_600_000, 3 * DAY_MS);
    const compacted = reps > 1 && rnd.next() < COMPACTED_SHARE;
    const salts = Array.from({ length: reps }, () => hex(rnd.bytes(6)));
    const s = { index: i, tpl, id, cwd, cwdJson: JSON.stringify(cwd).slice(1, -1), createdMs: times[i], reps, gapMs, compacted, salts };
    s.relDir = `projects/${encodeCwd(cwd)}`;
    s.mtimeMs = s.createdMs + shiftOf(s, reps - 1) + tpl.maxTs + rnd.int(50, 5_000);
    plan.push(s);
  }
  return plan;
}

// ---------------------------------------------------------------- writing

async function writeSession(root, s) {
  const { main, agents } = renderSession(s);
  const dir = join(root, s.relDir);
  const mt = s.mtimeMs / 1000;
  const path = join(dir, `${s.id}.jsonl`);
  await writeFile(path, main);
  await utimes(path, mt, mt);
  let bytes = Buffer.byteLength(main);
  if (agents.length > 0) {
    const sub = join(dir, s.id, 'subagents');
    await mkdir(sub, { recursive: true });
    for (const a of agents) {
      await writeFile(join(sub, `${a.name}.jsonl`), a.text);
      if (a.meta !== null) await writeFile(join(sub, `${a.name}.meta.json`), a.meta);
      await utimes(join(sub, `${a.name}.jsonl`), mt, mt);
      bytes += Buffer.byteLength(a.text);
    }
  }
  return { bytes, files: 1 + agents.length };
}

function log(quiet, msg) {
  if (!quiet) process.stderr.write(`[generate-claude] ${msg}\n`);
}

/** Builds the home into `dir` (replacing any complete one); returns its manifest. */
export async function generateClaudeTree({ seed = 42, sessions, out, quiet = false } = {}) {
  if (!Number.isInteger(sessions) || sessions < 1) throw new Error('sessions must be a positive integer');
  const dir = claudeTreeDir({ seed, sessions, out });
  const partial = `${dir}.partial`;
  const started = Date.now();
  const templates = await loadClaudeTemplates();
  const plan = planClaudeTree({ seed, sessions, templates });
  log(quiet, `${sessions} Claude sessions -> ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await rm(partial, { recursive: true, force: true });
  for (const d of new Set(plan.map((s) => s.relDir))) await mkdir(join(partial, d), { recursive: true });
  let next = 0;
  let bytes = 0;
  let files = 0;
  const worker = async () => {
    while (next < plan.length) {
      const w = await writeSession(partial, plan[next++]);
      bytes += w.bytes;
      files += w.files;
    }
  };
  await Promise.all(Array.from({ length: WRITE_CONCURRENCY }, worker));
  const manifest = {
    generatorVersion: CLAUDE_GENERATOR_VERSION,
    seed,
    sessions,
    files,
    totalBytes: bytes,
    projects: new Set(plan.map((s) => s.relDir)).size,
    createdRange: [new Date(plan[0].createdMs).toISOString(), new Date(plan.at(-1).createdMs).toISOString()],
    counts: {
      continued: plan.filter((s) => s.reps > 1).length,
      compacted: plan.filter((s) => s.compacted).length,
      withSubagents: plan.filter((s) => s.tpl.agents.length > 0).length,
      byTemplate: Object.fromEntries(templates.map((t) => [t.id, plan.filter((s) => s.tpl === t).length])),
    },
    newest: plan.slice(-25).map((s) => s.id).reverse(),
    generationMs: Date.now() - started,
  };
  await writeFile(join(partial, 'manifest.json'), JSON.stringify(manifest, null, 1));
  await writeFile(join(partial, '.complete'), JSON.stringify({ generationMs: manifest.generationMs }));
  await rename(partial, dir);
  const mib = (bytes / 2 ** 20).toFixed(1);
  log(quiet, `done: ${sessions} sessions, ${files} files, ${mib} MiB in ${(manifest.generationMs / 1000).toFixed(1)} s`);
  return { dir, manifest, cached: false };
}

/** The cached home when complete, else a freshly generated one. */
export async function ensureClaudeTree(opts) {
  const dir = claudeTreeDir(opts);
  try {
    await stat(join(dir, '.complete'));
    return { dir, manifest: JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')), cached: true };
  } catch {
    return generateClaudeTree(opts);
  }
}

export function describeClaudeTree(result) {
  const m = result.manifest;
  return `${result.dir}\n${result.cached ? 'cached' : 'generated'}: ${m.sessions} Claude sessions, ${m.files} files, ` +
    `${(m.totalBytes / 2 ** 20).toFixed(1)} MiB, ${m.projects} projects, ${m.counts.continued} continued ` +
    `(${m.counts.compacted} compacted), ${m.counts.withSubagents} with sub-agents\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', short: 'n' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.sessions) {
    process.stdout.write('usage: node bench/generate-claude.mjs --sessions N [--seed 42] [--out DIR] [--force]\n');
    process.exit(values.help ? 0 : 2);
  }
  const seed = Number.isNaN(Number(values.seed)) ? values.seed : Number(values.seed);
  const opts = { sessions: Number(values.sessions), seed, out: values.out };
  process.stdout.write(describeClaudeTree(values.force ? await generateClaudeTree(opts) : await ensureClaudeTree(opts)));
}
