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

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
