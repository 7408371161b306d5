// The suites of `npm test`, as vitest projects. One list, read by vitest.config.ts (which files
// belong where) and by test/sequencer.ts (which start first), so that the two cannot disagree.
// docs/testing.md says what each suite covers and how long it takes.

/** Large trees, long lines, load and randomised corpora: minutes of CPU between them. */
export const STRESS = [
  'test/http/hostile-files.test.ts',
  'test/http/index-equivalence.test.ts',
  'test/http/memory-budget.test.ts',
  'test/http/search-properties.test.ts',
  'test/http/usage-properties.test.ts',
  'test/http/usage-memory.test.ts',
  'test/http/follow.test.ts',
  'test/load.test.ts',
  'test/http/redteam-concurrency.test.ts',
];

/**
 * Stress files that measure their own process (its RSS, or its descriptors and inotify watches:
 * the service runs in the test's process), so they cannot share a worker with other files (the
 * `stress` project runs its others several to a process; usage-memory measures a child process).
 */
export const STRESS_OWN_PROCESS = [
  'test/http/hostile-files.test.ts',
  'test/http/memory-budget.test.ts',
  'test/load.test.ts',
  'test/http/redteam-concurrency.test.ts',
];

/** What `npm run build` makes: the CLI in dist/ and the dashboard in dist/web. */
export const BUILT = ['test/cli.test.ts', 'test/http/dashboard.test.ts', 'test/mcp/mcp.test.ts'];

/** The dashboard in Debian's Chromium (skipped, loudly, without it). */
export const E2E = ['test/e2e/**/*.test.ts'];

/** Team mode against a real PostgreSQL cluster (test/team/pg-setup.ts starts one for the run). */
export const TEAM = ['test/team/**/*.test.ts'];

/**
 * Unit files that look at what the process has loaded (Node's module cache) or at its heap (what a
 * collection frees), so they cannot share a worker with other files (the `unit` project runs its
 * files several to a process, and another file's leftovers were freed in listing-memory's measure).
 */
export const OWN_PROCESS = ['test/http/docs-on-demand.test.ts', 'test/rollout/sources/claude/listing-memory.test.ts'];

/** Everything else: no Chromium, no large trees, no build, no database. */
export const UNIT = ['test/**/*.test.ts'];
export const NOT_UNIT = [...STRESS, ...BUILT, ...E2E, ...TEAM];

/**
 * The order in which projects' files start, a project's files one after another: vitest hands a
 * finished worker of a shared-process project (isolate: false) the next file only when the next
 * file queued is of the same project, else it ends the process, so projects taking turns a file
 * each would start a process (and import node_modules) for every file. The projects of long files
 * first, the many short unit files last, so that the two workers end together.
 */
export const PROJECT_ORDER = ['team', 'stress', 'stress-own-process', 'e2e', 'built', 'unit-own-process', 'unit'];
