// Red team (docs/red-team.md, "redteam27"): the documented way to build a mixed home,
// `node bench/generate-tree.mjs --sessions N --claude M`, exited 13 (a top-level await that never
// settled: generate-claude.mjs imports generate-tree.mjs while its evaluation awaited) and built
// no Claude half.
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { tempHome } from './helper.js';

it('bench/generate-tree.mjs --claude builds both halves of a mixed home and exits 0', async () => {
  const out = join(await tempHome(), 'mixed');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['bench/generate-tree.mjs', '--sessions', '2', '--big-mb', '1', '--claude', '2', '--out', out],
    { env: { ...process.env, NODE_OPTIONS: '' } },
  );
  expect(stdout).toContain('2 Claude sessions');
  expect((await readdir(join(`${out}-claude`, 'projects'))).length).toBeGreaterThan(0);
  expect(await readdir(join(out, 'sessions'))).not.toEqual([]);
}, 60_000);
