// Modules of src/ for a bench script that drives them in-process (dist/ is one bundle per entry
// point and exports none of them): bundled with esbuild into node_modules/.cache/<name>/, inside
// the repository so that better-sqlite3 (native, left external) resolves from node_modules.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The named exports of `modules` ({ './src/…ts': ['Name', …] }), bundled under `name`. */
export async function importFromSrc(name, modules) {
  const entry = join(ROOT, 'node_modules', '.cache', name, 'bundle.mjs');
  const contents = Object.entries(modules)
    .map(([path, names]) => `export { ${names.join(', ')} } from '${path}';`)
    .join('\n');
  await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    external: ['better-sqlite3'],
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
    nodePaths: [join(ROOT, 'node_modules')],
  });
  return import(pathToFileURL(entry).href);
}
