/**
 * The layering of docs/development.md, checked on the source itself. ESLint's no-cycle sees
 * value imports between modules; this also counts `import type` (a type cycle still ties two
 * modules together) and cycles between folders of src/rollout (index → listing → index), which
 * are what keep a folder from being replaced or moved.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative import and re-export of each module, type-only ones included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map((m) =>
      resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components of more than one node (Tarjan), each sorted. */
function cycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('layering', () => {
  const graph = importGraph();

  it('has no import cycle between modules, type imports included', () => {
    const named = cycles(graph).map((c) => c.map((f) => relative(SRC, f)));
    expect(named).toEqual([]);
  });

  it('has no cycle between the folders of src/rollout', () => {
    const ROLLOUT = join(SRC, 'rollout');
    // A module at the top of src/rollout (repository.ts, types.ts, errors.ts) is a node of its own.
    const folderOf = (f: string) => relative(ROLLOUT, f).split('/')[0]!;
    const folders = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      if (!file.startsWith(ROLLOUT + '/')) continue;
      const from = folderOf(file);
      const edges = folders.get(from) ?? [];
      for (const t of targets) if (t.startsWith(ROLLOUT + '/') && folderOf(t) !== from) edges.push(folderOf(t));
      folders.set(from, edges);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('keeps HTTP out of the repository layer', () => {
    const offenders = [...graph.keys()]
      .filter((f) => f.startsWith(join(SRC, 'rollout') + '/'))
      .filter((f) => /from\s+'(fastify|@fastify\/[^']+)'/.test(readFileSync(f, 'utf8')) || graph.get(f)!.some((t) => t.includes('/src/http/')));
    expect(offenders.map((f) => relative(SRC, f))).toEqual([]);
  });
});
