#!/usr/bin/env node
// npm run build: bundles the service into dist/ with esbuild. One file per entry point instead of
// hundreds of modules: Node's loader reading them was most of the start-up time. Native and
// asset-carrying packages stay external and load from node_modules as usual.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWeb } from './build-web.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
await rm(resolve(root, 'dist'), { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts', 'src/openapi.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: true,
  // better-sqlite3 is a native addon; swagger-ui serves files from its own package directory.
  external: ['better-sqlite3', '@fastify/swagger-ui'],
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  metafile: true,
  minifyWhitespace: process.env.NO_MINIFY !== '1',
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js')).length;
process.stdout.write(`built dist/ (${files} files, ${(bytes / 1024).toFixed(0)} KiB)\n`);
const web = await buildWeb(root);
const kib = (web.raw / 1024).toFixed(0);
process.stdout.write(`built dist/web (${web.files} files, ${kib} KiB, ${(web.gzipped / 1000).toFixed(1)} KB gzipped)\n`);
