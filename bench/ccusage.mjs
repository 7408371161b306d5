// ccusage's Codex reporter, for the usage comparison row of the benchmark: `ccusage-codex daily
// --json --offline` (the @ccusage/codex npm package, pinned, installed on first use into the
// bench cache) re-reads every rollout file under CODEX_HOME/sessions on each run.
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { npmToolFile } from './npm-tool.mjs';

export const CCUSAGE_VERSION = '18.0.11';

/** The reporter's entry point, installed into `toolsDir` when missing; null when it cannot be had (no registry). */
export function ccusageEntry(toolsDir) {
  return npmToolFile(toolsDir, `@ccusage/codex@${CCUSAGE_VERSION}`, '@ccusage/codex/dist/index.js');
}

/** One `daily --json --offline --timezone UTC` run over `codexHome`: its wall time and its totals. */
export function ccusageDaily(entry, codexHome) {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [entry, 'daily', '--json', '--offline', '--timezone', 'UTC'],
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, CODEX_HOME: codexHome, LOG_LEVEL: '0' }, maxBuffer: 256 * 2 ** 20 },
      (err, stdout) => {
        const ms = performance.now() - started;
        if (err) return reject(err);
        try {
          resolve({ ms, totals: JSON.parse(stdout).totals ?? null });
        } catch (parseError) {
          reject(parseError);
        }
      },
    );
  });
}
