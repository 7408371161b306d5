// Codex's own search, for the comparison rows of the benchmark: `codex app-server` (the
// @openai/codex npm package, installed on first use into the bench cache) speaks JSON-RPC on
// stdio; `thread/search` is one of its experimental methods.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { npmToolFile } from './npm-tool.mjs';

export const CODEX_VERSION = '0.169.0';
const PLATFORM_PACKAGES = {
  'linux-x64': ['@openai/codex-linux-x64', 'x86_64-unknown-linux-musl'],
  'linux-arm64': ['@openai/codex-linux-arm64', 'aarch64-unknown-linux-musl'],
};
/** Every ThreadSourceKind: Codex searches only interactive sessions unless told otherwise. */
const ALL_SOURCES = ['cli', 'vscode', 'exec', 'appServer', 'subAgent', 'subAgentReview', 'subAgentCompact',
  'subAgentThreadSpawn', 'subAgentOther', 'unknown'];

/** The Codex binary, installed into `toolsDir` when missing; null when it cannot be had (no registry). */
export function codexBinary(toolsDir) {
  if (process.env.CODEX_BIN) return process.env.CODEX_BIN;
  const [pkg, triple] = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`] ?? [];
  if (pkg === undefined) return null;
  return npmToolFile(toolsDir, `@openai/codex@${CODEX_VERSION}`, `${pkg}/vendor/${triple}/bin/codex`);
}

/** A running `codex app-server` over `codexHome` (which it writes its state into: give it a copy). */
export async function startCodex(bin, codexHome) {
  const home = mkdtempSync(join(tmpdir(), 'codex-bench-home-'));
  const child = spawn(bin, ['app-server'], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: codexHome, XDG_CONFIG_HOME: home, XDG_DATA_HOME: home },
  });
  const pending = new Map();
  let nextId = 1;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.id !== undefined && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${msg.error.code}: ${msg.error.message}`));
      else resolve(msg.result);
    } else if (msg.id !== undefined && msg.method) {
      child.stdin.write(`${JSON.stringify({ id: msg.id, error: { code: -32601, message: 'not handled' } })}\n`);
    }
  });
  const request = (method, params) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  await request('initialize', {
    clientInfo: { name: 'codex_sessions_bench', title: 'codex-sessions benchmark', version: '1' },
    capabilities: { experimentalApi: true },
  });
  child.stdin.write(`${JSON.stringify({ method: 'initialized' })}\n`);
  return {
    /** One page of thread/search; its wall time in ms. */
    async search(searchTerm, { limit = 20, cursor } = {}) {
      const t0 = performance.now();
      const params = { searchTerm, archived: false, sourceKinds: ALL_SOURCES, limit, ...(cursor ? { cursor } : {}) };
      const result = await request('thread/search', params);
      return { ms: performance.now() - t0, ids: result.data.map((d) => d.thread.id), nextCursor: result.nextCursor ?? null };
    },
    /** Every session thread/search returns for `searchTerm`, paging to the end (stops if a cursor repeats). */
    async allIds(searchTerm) {
      const ids = new Set();
      const seen = new Set();
      let cursor;
      do {
        const page = await this.search(searchTerm, { limit: 100, cursor });
        page.ids.forEach((id) => ids.add(id));
        cursor = page.nextCursor;
        if (cursor !== null && seen.has(cursor)) break;
        seen.add(cursor);
      } while (cursor);
      return ids;
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}
