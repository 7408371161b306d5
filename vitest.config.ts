import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { ProjectBlockSequencer } from './test/sequencer.js';
import { BUILT, E2E, NOT_UNIT, OWN_PROCESS, STRESS, STRESS_OWN_PROCESS, TEAM, UNIT } from './test/suites.js';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    setupFiles: ['test/fast-check-seed.ts', 'test/cleanups-setup.ts'],
    hookTimeout: 30_000,
    // The browser tests wait for the page to settle after each step; on a loaded CI machine a second is not enough.
    expect: { poll: { timeout: 10_000 } },
    // Files run in separate processes (forks: RSS measurements stay per file). vitest's default
    // on a 2-core machine is one worker, and many files mostly wait (on Chromium, timers,
    // sockets, a database): two workers at least. Three on two cores were no faster on a quiet
    // clean clone (272 s against 270-297 s) and made a Chromium test meet a dashboard race
    // (fixed) by loading the machine (docs/testing.md). `npx vitest run --maxWorkers=N` overrides it.
    maxWorkers: Math.max(2, availableParallelism()),
    sequence: { sequencer: ProjectBlockSequencer },
    // One project per suite (docs/testing.md); each global setup (Chromium's notice, the
    // PostgreSQL cluster) runs only when its tests are part of the run: starting a cluster takes seconds.
    projects: [
      // A unit file's worker process runs the next one too (isolate: false): node_modules
      // (Fastify, ajv, SQLite, pino...) are imported once per worker, not once per file; that
      // import was most of the suite's CPU. So are src/ and test/ (only setup files run again
      // for each file: a hook that every file needs goes there, test/cleanups-setup.ts). The
      // few files that look at process-wide state run in a process of their own.
      { extends: true, test: { name: 'unit', include: UNIT, exclude: [...NOT_UNIT, ...OWN_PROCESS], isolate: false } },
      { extends: true, test: { name: 'unit-own-process', include: OWN_PROCESS } },
      // Its files spawn the built CLI and look at nothing process-wide: several to a worker too.
      { extends: true, test: { name: 'built', include: BUILT, isolate: false } },
      // As unit, but for the stress files that measure their own process's RSS.
      { extends: true, test: { name: 'stress', include: STRESS, exclude: STRESS_OWN_PROCESS, isolate: false } },
      { extends: true, test: { name: 'stress-own-process', include: STRESS_OWN_PROCESS } },
      // Several files to a worker too (node_modules and playwright-core imported once per worker:
      // about 1 s of CPU per file); each file still launches its own Chromium and servers.
      { extends: true, test: { name: 'e2e', include: E2E, globalSetup: ['test/e2e/global-setup.ts'], isolate: false } },
      {
        extends: true,
        test: {
          name: 'team',
          include: TEAM,
          // As unit: node_modules (Fastify, pg...) imported once per worker, not per file (7 team
          // files: 30 s of CPU instead of 38). Each file still has its own database and servers.
          isolate: false,
          globalSetup: ['test/team/pg-setup.ts'],
          // The tests spawn the CLI and wait for a database: a loaded CI machine needs the room.
          testTimeout: 120_000,
          // initdb alone may take 15 s on a loaded 2-core machine.
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
