/**
 * Host tests of the userspace runtime (kernel/apps/runtime): the system-call return decoding
 * and error codes, run with the host's cargo as part of the kernel stage.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('capsule_rt host tests', () => {
  it('cargo test -p capsule_rt passes', () => {
    const appsDir = join(resolve(__dirname, '..', '..'), 'kernel', 'apps');
    const r = spawnSync('cargo', ['test', '--quiet', '-p', 'capsule_rt'], {
      cwd: appsDir,
      encoding: 'utf8',
      env: { ...process.env, CARGO_BUILD_JOBS: '2' },
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/test result: ok\. [1-9]\d* passed/);
  });
});
