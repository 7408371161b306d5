// A month of plausible Codex use, ending at a fixed moment (DEMO_NOW): several projects, a few
// models (one without a price), sessions with names and branches. For the screenshots of the
// Sessions and Usage views, which should look like a real user's; generated from a fixed seed at
// fixed dates, so each run draws the same month whatever day it runs (the browser's clock is set
// to DEMO_NOW, see useBrowser's `now`).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempHome, uuidN, writeSession, type SessionSpec } from '../helper.js';
import { spendingLines, type Spend } from './fixtures.js';

/** Models by weight; qwen3-coder (a local model) has no price, so its tokens cost "no price", not $0. */
const MODELS: [string, number][] = [
  ['gpt-5-codex', 55],
  ['gpt-5.1-codex', 25],
  ['o3', 10],
  ['gpt-5', 6],
  ['qwen3-coder', 4],
];
/** What people ask Codex, in which project, on which branch; and the name they may give the session. */
const TASKS: [title: string, project: string, branch: string, name: string][] = [
  ['The login test is flaky on CI: find out why', 'web-app', 'fix/login-race', 'flaky login'],
  ['Add a dark mode to the settings page', 'web-app', 'feat/dark-mode', 'dark mode'],
  ['Fix the off-by-one in the CSV export', 'web-app', 'main', 'csv off-by-one'],
  ['Add retries with back-off to the uploader', 'uploader', 'feat/retry-uploads', 'uploader retries'],
  ['Uploads of files over 2 GB fail with EPIPE', 'uploader', 'fix/large-files', '2 GB uploads'],
  ['Why is the nightly build red?', 'api-server', 'main', 'nightly red'],
  ['Write the migration for the new index', 'api-server', 'feat/search-index', 'index migration'],
  ['Make the search endpoint paginate with a cursor', 'api-server', 'feat/search-index', 'search paging'],
  ['Profile the slow /reports endpoint', 'api-server', 'perf/reports', 'slow reports'],
  ['Refactor the auth middleware into its own module', 'api-server', 'refactor/auth', 'auth refactor'],
  ['Update the README for the new CLI flags', 'docs-site', 'docs/cli-flags', 'readme flags'],
  ['Bump the dependencies and fix what breaks', 'docs-site', 'chore/deps', 'deps bump'],
  ['Set up the Terraform state bucket', 'infra', 'main', 'tf state'],
  ['Move the staging database to the new VPC', 'infra', 'ops/staging-vpc', 'staging vpc'],
];
/** How many recent sessions have a name the user gave them (codex: /rename), kept in session_index.jsonl. */
const NAMED = 3;

/** A small deterministic generator (mulberry32): the same month every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function weighted(rand: () => number): string {
  let r = rand() * MODELS.reduce((sum, [, w]) => sum + w, 0);
  for (const [model, w] of MODELS) if ((r -= w) < 0) return model;
  return MODELS[0]?.[0] as string;
}

const stampOf = (ms: number) => new Date(ms).toISOString().slice(0, 19).replaceAll(':', '-');

/** The demo's "now": a Wednesday afternoon (15:00 in Tokyo, 07:00 in Berlin). */
export const DEMO_NOW = Date.parse('2026-03-18T06:00:00Z');

/**
 * `days` days of sessions ending at `now` (times in UTC, between 08:00 and 20:00; each file's
 * mtime is its last response); the home's path.
 */
export async function demoHome(now = DEMO_NOW, days = 30): Promise<string> {
  const home = await tempHome();
  const rand = random(42);
  const today = new Date(now);
  today.setUTCHours(0, 0, 0, 0);
  let n = 0;
  const names: { id: string; thread_name: string; updated_at: string }[] = [];
  for (let d = days - 1; d >= 0; d -= 1) {
    const weekend = [0, 6].includes(new Date(today.getTime() - d * 86_400_000).getUTCDay());
    const count = weekend ? Math.floor(rand() * 2) : 1 + Math.floor(rand() * 4);
    for (let s = 0; s < count; s += 1) {
      n += 1;
      let startMs = today.getTime() - d * 86_400_000 + (8 + rand() * 12) * 3_600_000;
      if (startMs > now - 600_000) startMs = now - 600_000 - rand() * 3_600_000;
      const [title, project, branch, name] = pick(rand, TASKS);
      const spec: SessionSpec = {
        stamp: stampOf(startMs),
        id: uuidN(1000 + n),
        title,
        cwd: `/home/dev/${project}`,
        source: rand() < 0.75 ? 'cli' : 'vscode',
      };
      const model = weighted(rand);
      const spends: Spend[] = [];
      const responses = 2 + Math.floor(rand() * 10);
      for (let r = 0; r < responses; r += 1) {
        const input = Math.round(8_000 + rand() * 60_000);
        spends.push({
          at: new Date(startMs + (r + 1) * 45_000).toISOString(),
          model,
          input,
          cached: Math.round(input * (0.4 + rand() * 0.5)),
          output: Math.round(300 + rand() * 4_000),
          reasoning: Math.round(rand() * 900),
        });
      }
      spec.mtime = new Date(Date.parse((spends.at(-1) as Spend).at));
      const lines = spendingLines(spec, spends);
      const meta = lines[0] as { payload: Record<string, unknown> };
      meta.payload.git = { branch, commit_hash: 'abc1234', repository_url: null };
      await writeSession(home, spec, lines);
      if (d % 3 === 1 && s === 0 && d < 9 && names.length < NAMED) {
        names.push({ id: spec.id, thread_name: name, updated_at: new Date(now).toISOString() });
      }
    }
  }
  await writeFile(join(home, 'session_index.jsonl'), names.map((x) => `${JSON.stringify(x)}\n`).join(''));
  return home;
}
