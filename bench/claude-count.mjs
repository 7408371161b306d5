// Our Claude usage per UTC day and model, through the source's own modules (discovery, the
// one-pass reader, ClaudeUsageCounter, countClaudeResponses, the Anthropic price table): what
// the index will count, without the service. It imports the TypeScript sources, so it is not
// run as is: bench/claude-usage.mjs bundles it with esbuild and runs the bundle as a process of
// its own (`node <bundle> <claude home>`), timed like ccusage. Prints JSON on stdout.
import { discoverClaudeFiles } from '../src/rollout/sources/claude/discovery.js';
import { findClaudeHome } from '../src/rollout/sources/claude/home.js';
import { readClaudeContent } from '../src/rollout/sources/claude/conversation.js';
import { claudeCost, countClaudeResponses } from '../src/rollout/sources/claude/usage-counter.js';
import { MemoryBudget } from '../src/rollout/reading/byte-budget.js';
import { DEFAULT_READ_LIMITS } from '../src/rollout/reading/session-reader.js';
import { FILES_AT_ONCE } from '../src/rollout/tuning.js';

const quiet = { debug: () => {}, warn: () => {} };
const KINDS = ['inputTokens', 'cacheWrite5mTokens', 'cacheWrite1hTokens', 'cacheReadTokens', 'outputTokens'];

export async function countHome(dir) {
  const home = await findClaudeHome(dir);
  if (home === null) throw new Error(`${dir} is not a Claude home (no projects/)`);
  const env = { realRoot: home.realHome, limits: DEFAULT_READ_LIMITS, budget: new MemoryBudget(64 * 2 ** 20, 5_000) };
  const files = [];
  for await (const f of discoverClaudeFiles(home, quiet)) files.push(f);
  const perFile = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const content = await readClaudeContent(files[i], env);
      const { summary } = content.scanner.summary(files[i], { size: 0, mtimeMs: 0 });
      // Only what the cross-file rules need: the docs of a big home would not fit in memory.
      perFile[i] = { file: files[i].relPath, createdAt: summary.createdAt, responses: content.responses };
    }
  };
  await Promise.all(Array.from({ length: FILES_AT_ONCE }, worker));
  const rows = new Map();
  let responses = 0;
  for (const counted of countClaudeResponses(perFile).values()) {
    for (const r of counted) {
      responses += 1;
      const date = r.at === null ? 'unknown' : r.at.slice(0, 10);
      const key = `${date}|${r.model}`;
      let row = rows.get(key);
      if (row === undefined) {
        row = { date, model: r.model, responses: 0, ...Object.fromEntries(KINDS.map((k) => [k, 0])), cost: 0, priced: true };
        rows.set(key, row);
      }
      row.responses += 1;
      for (const k of KINDS) row[k] += r[k];
      const cost = claudeCost(r.model, r);
      if (cost === null) row.priced = false;
      else row.cost += cost;
    }
  }
  const daily = [...rows.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.model < b.model ? -1 : 1));
  return { files: files.length, responses, daily };
}

if (process.argv[2] !== undefined) {
  process.stdout.write(JSON.stringify(await countHome(process.argv[2])));
}
