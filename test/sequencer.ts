// Starts the files project by project, in PROJECT_ORDER (test/suites.ts says why), whatever
// vitest's cache holds.
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { PROJECT_ORDER } from './suites.js';

const rank = (spec: TestSpecification) => {
  const at = PROJECT_ORDER.indexOf(spec.project.name);
  return at === -1 ? PROJECT_ORDER.length : at;
};

export class ProjectBlockSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Within a project, vitest's own order: longest first once it has timed a run (on a fresh
    // checkout, with no timings, the largest files first).
    const sorted = await super.sort(files);
    return sorted
      .map((spec, i) => ({ spec, i }))
      .sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i)
      .map(({ spec }) => spec);
  }
}
