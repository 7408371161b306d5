import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The browser tests wait for the page to settle after each step; on a loaded CI machine a second is not enough.
    expect: { poll: { timeout: 10_000 } },
    // Two projects so that each global setup (Chromium's notice, the PostgreSQL cluster) runs only
    // when its tests are part of the run: starting a cluster takes seconds.
    projects: [
      {
        extends: true,
        test: { name: 'service', include: ['test/**/*.test.ts'], exclude: ['test/team/**'], globalSetup: ['test/e2e/global-setup.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'team',
          include: ['test/team/**/*.test.ts'],
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
