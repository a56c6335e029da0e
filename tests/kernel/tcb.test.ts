/**
 * Trusted computing base report: `node scripts/kernel.mjs tcb` passes on the kernel and fails
 * on a capsule with unsafe code or an unsafe block without a SAFETY comment.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
const run = (project?: string) =>
  spawnSync('node', ['scripts/kernel.mjs', 'tcb', ...(project ? ['--project', project] : [])], {
    cwd: root,
    encoding: 'utf8',
  });

describe('kernel TCB report', () => {
  it('passes on the kernel and prints per-crate figures under 5% unsafe', () => {
    const r = run();
    console.log(r.stdout);
    expect(r.status, r.stdout).toBe(0);
    const total = /total\s+(\d+)\s+(\d+)\s+([\d.]+)/.exec(r.stdout);
    expect(total).not.toBeNull();
    expect(Number(total![3])).toBeLessThanOrEqual(5);
    expect(r.stdout).toMatch(/capsules\s+\d+\s+0\s/);
  });

  it('fails when a capsule contains unsafe or an unsafe block lacks SAFETY', () => {
    const copy = mkdtempSync(join(tmpdir(), 'tcb-'));
    cpSync(join(root, 'kernel'), copy, {
      recursive: true,
      filter: (s) => !s.includes('/target') && !s.endsWith('/apps'),
    });
    writeFileSync(
      join(copy, 'capsules', 'src', 'bad.rs'),
      'pub fn f(p: *const u8) -> u8 { unsafe { *p } }\n',
    );
    const r = run(copy);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/capsule crates may not contain unsafe/);
    expect(r.stdout).toMatch(/bad\.rs:1: unsafe without a \/\/ SAFETY/);
    const cells = join(copy, 'cells', 'src', 'lib.rs');
    writeFileSync(join(copy, 'capsules', 'src', 'bad.rs'), '');
    writeFileSync(
      cells,
      readFileSync(cells, 'utf8') + '\npub fn g(p: *const u8) -> u8 {\n    unsafe { *p }\n}\n',
    );
    const r2 = run(copy);
    expect(r2.status).toBe(1);
    expect(r2.stdout).toMatch(/cells\/src\/lib\.rs:\d+: unsafe without/);
  });
});
