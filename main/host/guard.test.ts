// The last-resort guard in a real process: an exception nobody caught and a rejection nobody
// handled are logged, and the process keeps running.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const GUARD = path.join(import.meta.dirname, 'guard.ts');

describe('installCrashGuard', () => {
  it('logs what slips through and keeps the process alive', () => {
    const script = `
      const { installCrashGuard } = await import(${JSON.stringify(GUARD)});
      installCrashGuard((line) => console.error(line));
      setTimeout(() => { throw new TypeError('Invalid URL'); }, 0);
      setTimeout(() => void Promise.reject(new RangeError('Invalid string length')), 10);
      setTimeout(() => { console.log('still alive'); }, 50);
    `;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('still alive');
    expect(r.stderr).toMatch(/host bug: uncaught exception #1 .*TypeError: Invalid URL/);
    expect(r.stderr).toMatch(
      /host bug: unhandled rejection #2 .*RangeError: Invalid string length/,
    );
  });

  it('is needed: without it the same process dies on the first uncaught exception', () => {
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        "setTimeout(() => { throw new TypeError('Invalid URL'); }, 0); setTimeout(() => console.log('still alive'), 50);",
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('still alive');
  });
});
