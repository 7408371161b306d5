// Says loudly, once per `npm test`, when the dashboard's browser tests cannot run.
import { CHROMIUM_PATH, hasChromium } from './chromium.js';

export default function setup(): void {
  if (hasChromium) return;
  const line = '!'.repeat(78);
  process.stderr.write(
    `\n${line}\n!! SKIPPED: the dashboard's browser tests (test/e2e) need Chromium at ${CHROMIUM_PATH}.\n` +
      `!! Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH. CI (.ci/run) installs it.\n${line}\n\n`,
  );
}
