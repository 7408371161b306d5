import { readFile } from 'node:fs/promises';

/** Peak and current resident set of a process, from /proc (Linux only; null elsewhere). */
export async function memoryOf(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return null;
  }
}

/**
 * Samples a process's RSS every 50 ms from now on; `stop()` ends the sampling and resolves with
 * the peak: the larger of the samples and the kernel's own high-water mark (VmHWM).
 */
export function sampleRss(pid) {
  let peak = 0;
  const timer = setInterval(async () => {
    const m = await memoryOf(pid);
    if (m) peak = Math.max(peak, m.rssMb);
  }, 50);
  return {
    async stop() {
      clearInterval(timer);
      const m = await memoryOf(pid);
      return m ? Math.max(m.hwmMb, peak) : null;
    },
  };
}
