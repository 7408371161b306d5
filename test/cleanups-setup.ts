// A setup file of every project, so evaluated again for each test file (also in a worker that
// runs several files: isolate: false), unlike a module such as test/helper.ts.
import { afterAll, afterEach } from 'vitest';
import { runPending } from './cleanups.js';

afterEach(async () => {
  await runPending();
});

// Runs after the file's own afterAll hooks (and sharedByTests' ones): anything still registered
// was made outside a test (while collecting, or in an afterAll) and no hook would remove it.
afterAll(async () => {
  const left = await runPending();
  if (left > 0) {
    throw new Error(
      `${left} cleanup(s) (temp homes, apps) were still registered after the file's last hook ` +
        '(a home made outside a test, or no afterEach ran): removed now; make them in a test or in sharedByTests',
    );
  }
});
