// Which Chromium the browser tests (test/e2e, the team dashboard files) launch.
import { describe, expect, it } from 'vitest';
import { chromiumPath, FULL_CHROMIUM, HEADLESS_SHELL } from './e2e/chromium.js';

const installed = (...paths: string[]) => (path: string) => paths.includes(path);

describe('chromiumPath', () => {
  it("prefers Debian's headless shell when both are installed", () => {
    expect(chromiumPath(undefined, installed(HEADLESS_SHELL, FULL_CHROMIUM))).toBe(HEADLESS_SHELL);
  });

  it("falls back to Debian's chromium without the headless shell", () => {
    expect(chromiumPath(undefined, installed(FULL_CHROMIUM))).toBe(FULL_CHROMIUM);
  });

  it('names the full browser when neither is installed (the skip notice says where it looked)', () => {
    expect(chromiumPath(undefined, installed())).toBe(FULL_CHROMIUM);
  });

  it('CHROMIUM_PATH overrides both, also with a path that does not exist (the tests are then skipped, loudly); empty is unset', () => {
    expect(chromiumPath('/opt/chrome/chrome', installed(HEADLESS_SHELL, FULL_CHROMIUM))).toBe('/opt/chrome/chrome');
    expect(chromiumPath('', installed(HEADLESS_SHELL))).toBe(HEADLESS_SHELL);
  });
});
