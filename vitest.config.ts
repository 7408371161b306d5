import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The browser tests wait for the page to settle after each step; on a loaded CI machine a second is not enough.
    expect: { poll: { timeout: 10_000 } },
  },
});
