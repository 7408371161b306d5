import { existsSync } from 'node:fs';

/**
 * Debian's `chromium-headless-shell` when installed: the same build as `chromium` without the
 * full browser, what Playwright itself runs headless; the e2e files take about half the time
 * with it on a 2-core machine (docs/testing.md, branch testspeed11). Else Debian's `chromium`.
 * .ci/run installs both (the bench's dashboard row runs the full browser).
 */
export const HEADLESS_SHELL = '/usr/bin/chromium-headless-shell';
export const FULL_CHROMIUM = '/usr/bin/chromium';

/** CHROMIUM_PATH when set, else the first of the two that exists (the full browser's path when neither does). */
export function chromiumPath(override: string | undefined, exists: (path: string) => boolean = existsSync): string {
  if (override) return override;
  return exists(HEADLESS_SHELL) ? HEADLESS_SHELL : FULL_CHROMIUM;
}

export const CHROMIUM_PATH = chromiumPath(process.env.CHROMIUM_PATH);
export const hasChromium = existsSync(CHROMIUM_PATH);
