// The dashboard bundle (SPEC §8): web/src → dist/web. Hashed file names under assets/ (served
// with immutable caching), index.html written last with their names (served no-cache), every
// asset precompressed (.br, .gz) so that the server never compresses on the fly. The whole
// bundle must stay under 250 KB gzipped: the build fails beyond that.
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 250 * 1000;

/** Builds web/ into `<root>/dist/web`; returns the sizes it reports. */
export async function buildWeb(root) {
  const outdir = resolve(root, 'dist/web/assets');
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: ['web/src/main.tsx', 'web/src/styles.css'],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entry = (name) => outputs.find(([, o]) => o.entryPoint === name);
  const [script, scriptMeta] = entry('web/src/main.tsx');
  const [style] = entry('web/src/styles.css');
  // Chunks the entry imports statically: preloaded so that they load in parallel with it.
  const preload = scriptMeta.imports.filter((i) => i.kind === 'import-statement').map((i) => i.path);
  const tag = {
    style: `<link rel="stylesheet" href="./assets/${basename(style)}">`,
    preload: preload.map((p) => `<link rel="modulepreload" href="./assets/${basename(p)}">`).join('\n    '),
    script: `<script type="module" src="./assets/${basename(script)}"></script>`,
  };
  const template = await readFile(resolve(root, 'web/index.html'), 'utf8');
  const html = template.replace(/<!--(style|preload|script)-->/g, (_m, key) => tag[key]);
  let raw = 0;
  let gzipped = 0;
  for (const [path, output] of outputs) {
    const bytes = await readFile(resolve(root, path));
    const gz = gzipSync(bytes, { level: 9 });
    await writeFile(resolve(root, `${path}.gz`), gz);
    await writeFile(resolve(root, `${path}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
    raw += output.bytes;
    gzipped += gz.length;
  }
  await writeFile(resolve(root, 'dist/web/index.html'), html);
  gzipped += gzipSync(html).length;
  if (gzipped > BUDGET_GZIP_BYTES) throw new Error(`dashboard bundle is ${gzipped} bytes gzipped, over the ${BUDGET_GZIP_BYTES} budget`);
  return { files: outputs.length + 1, raw, gzipped };
}
