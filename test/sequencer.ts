// Starts the long files first, whatever vitest's cache holds (a fresh checkout has none, and
// vitest would then start the largest files, which are not the slowest).
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { PROJECT_RANK } from './suites.js';

const rank = (spec: TestSpecification) => PROJECT_RANK[spec.project.name] ?? Number.MAX_SAFE_INTEGER;

export class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Within a project, vitest's own order: longest first once it has timed a run.
    const sorted = await super.sort(files);
    const byRank = new Map<number, TestSpecification[][]>();
    for (const spec of sorted) {
      const lists = byRank.get(rank(spec)) ?? [];
      let list = lists.find((l) => l[0]?.project.name === spec.project.name);
      if (list === undefined) lists.push((list = []));
      list.push(spec);
      byRank.set(rank(spec), lists);
    }
    // Projects of one rank take turns, one file each.
    const out: TestSpecification[] = [];
    for (const r of [...byRank.keys()].sort((a, b) => a - b)) {
      const lists = byRank.get(r) ?? [];
      for (let i = 0; lists.some((l) => i < l.length); i += 1) for (const l of lists) if (i < l.length) out.push(l[i] as TestSpecification);
    }
    return out;
  }
}
