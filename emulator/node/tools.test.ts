/** Tests for host tool lookup: found on PATH, or a message naming the Debian package. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchQemuGdb } from './qemu-gdb';
import { findTool, missingToolMessage } from './tools';

const dir = mkdtempSync(join(tmpdir(), 'capsule-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('host tools', () => {
  it('finds an executable on PATH and only an executable', () => {
    const tool = join(dir, 'gdb-multiarch');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o644);
    expect(findTool('gdb-multiarch', { PATH: dir }).ok).toBe(false);
    chmodSync(tool, 0o755);
    expect(findTool('gdb-multiarch', { PATH: `/nonexistent:${dir}` })).toEqual({
      ok: true,
      value: tool,
    });
  });

  it('names the Debian package of a missing tool', () => {
    expect(findTool('gdb-multiarch', { PATH: '/nonexistent' })).toEqual({
      ok: false,
      error:
        "gdb-multiarch is not installed (not found on PATH): install the Debian package 'gdb-multiarch' (apt-get install gdb-multiarch)",
    });
    expect(missingToolMessage('arm-none-eabi-as')).toMatch(/'binutils-arm-none-eabi'/);
    expect(missingToolMessage('llvm-dwarfdump-14')).toMatch(/'llvm-14'/);
  });

  it('refuses to launch QEMU that is not installed, naming qemu-system-arm', async () => {
    const r = await launchQemuGdb({ kernel: 'kernel.elf', env: { PATH: '/nonexistent' } });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(
      /qemu-system-arm is not installed .*install the Debian package 'qemu-system-arm'/,
    );
  });
});
