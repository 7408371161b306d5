import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets its old generation grow past what survived its last full collection while a
 * full index pass runs: 1 + this / 100 times (V8's `--heap-growing-percent`). By default V8
 * picks the factor from its collector's speed against the program's, up to 4×; a pass reads
 * gigabytes, and what its reads keep across a few awaits (16 files at once, their pending
 * documents) is promoted and dies in the old generation, so the heap ran at ~3.5× its live
 * objects and set the build's peak RSS (docs/performance.md, "branch rssbuild32"). A tighter
 * factor collects that garbage sooner, for a few more full collections of a small heap: 50
 * cost the 100,000-session mixed build 10 % more CPU, 100 about 5 % (docs/index.md).
 */
export const PASS_HEAP_GROWING_PERCENT = 100;

/** An operator's own `--heap-growing-percent` (node's flags or NODE_OPTIONS) is theirs: left alone. */
const operatorSet = /--heap[-_]growing[-_]percent/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' '));

let holders = 0;
let percent = 0;

function setPercent(value: number): void {
  // Read by V8 at each full collection when it sets the next limit; 0 gives back its own rule.
  setFlagsFromString(`--heap-growing-percent=${value}`);
  percent = value;
}

/** The growing percent this module has set (0: V8's own rule). */
export function passHeapPercent(): number {
  return percent;
}

/**
 * Holds the pass's heap rule until the function returned is called (a second call does
 * nothing); passes may overlap (one index per source, a team's), the last one out ends it.
 * No flag for the user to set: set from here for the passes only, so that serving keeps V8's
 * own trade of memory for speed.
 */
export function holdPassHeap(): () => void {
  if (operatorSet) return () => {};
  if (holders++ === 0) setPercent(PASS_HEAP_GROWING_PERCENT);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders === 0) setPercent(0);
  };
}
