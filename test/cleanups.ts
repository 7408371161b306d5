// What the tests registered to undo (temp homes, apps), run by test/cleanups-setup.ts after each
// test. A module of its own so that the hooks can live in a setup file: a hook registered when a
// module is first evaluated is registered for that test file only, and in a project with
// isolate: false the next files of the same worker reuse the evaluated module (test/helper.ts did
// that: every later file's temp homes were left in /tmp, hundreds per `npm test`).

/** Last registered, first run. */
export const pending: (() => Promise<unknown>)[] = [];

export async function runPending(): Promise<number> {
  let ran = 0;
  while (pending.length > 0) {
    ran += 1;
    await pending.pop()!();
  }
  return ran;
}
