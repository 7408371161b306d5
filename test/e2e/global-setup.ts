// Says loudly, once per `npm test`, when the dashboard's browser tests cannot run.
import { CHROMIUM_PATH, hasChromium } from './chromium.js';

function banner(): void {
  const line = '!'.repeat(78);
  process.stderr.write(
    `\n${line}\n!! SKIPPED: the dashboard's browser tests (test/e2e) need Chromium at ${CHROMIUM_PATH}.\n` +
      `!! Install it (Debian: apt-get install -y chromium-headless-shell, or chromium) or set CHROMIUM_PATH.\n` +
      `!! CI (.ci/run) installs it.\n${line}\n\n`,
  );
}

/** Before the run and again after it, so that the notice is not lost above a long test log. */
export default function setup(): (() => void) | undefined {
  if (hasChromium) return undefined;
  banner();
  return banner;
}
