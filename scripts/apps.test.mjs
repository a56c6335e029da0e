/**
 * Tests for scripts/apps.mjs's layout and composition: slots from a board layout, padding
 * between TBFs so the kernel's walk reaches each app, and refusal of overlapping TBFs; the
 * app linker script packed for an app with no read-only data (GNU ld, as the apps build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APPS,
  FLASH_SLOT,
  RAM_SLOT,
  composeApps,
  linkerScript,
  loadFormats,
  packApp,
  slotOf,
} from './apps.mjs';

const layout = {
  board: 'test',
  flash: { kernel: [0, 0x40000], apps: [0x40000, 0xc0000] },
  ram: { kernel: [0x20000000, 0x8000], apps: [0x20008000, 0x18000] },
};

describe('apps.mjs', () => {
  it('gives every app its own flash and RAM slot inside the board regions', () => {
    const slots = APPS.map((a) => slotOf(layout, a));
    expect(slots.every((s) => !s.problem)).toBe(true);
    expect(new Set(slots.map((s) => s.tbfAddress)).size).toBe(APPS.length);
    expect(slots[0]).toEqual({ tbfAddress: 0x40000, ram: 0x20008000 });
    for (const s of slots) {
      expect(s.tbfAddress % FLASH_SLOT).toBe(0);
      expect(s.ram % RAM_SLOT).toBe(0);
    }
    const small = { ...layout, ram: { ...layout.ram, apps: [0x20008000, 0x4000] } };
    expect(slotOf(small, APPS[2]).problem).toMatch(/RAM slot 2 is past the app RAM/);
  });

  it('composes TBFs at their addresses with padding TBFs in the gaps', async () => {
    const { tbf } = await loadFormats();
    const app = (size) => {
      const bytes = new Uint8Array(size);
      bytes.set(
        tbf.buildTbfHeader({
          totalSize: size,
          main: { initFnOffset: 0x40, protectedTrailerSize: 0, minimumRamSize: 1024 },
          packageName: 'a',
        }),
      );
      return bytes;
    };
    const bin = await composeApps(0x40000, [
      { address: 0x48000, bytes: app(0x1000) },
      { address: 0x40000, bytes: app(0x2000) },
    ]);
    expect(bin.length).toBe(0x9000);
    const walk = tbf.walkTbfs(bin);
    expect(walk.apps.map((a) => [a.offset, a.header.isPadding])).toEqual([
      [0, false],
      [0x2000, true],
      [0x8000, false],
    ]);
  });

  it('refuses TBFs that overlap', async () => {
    await expect(
      composeApps(0x40000, [
        { address: 0x40000, bytes: new Uint8Array(0x2000) },
        { address: 0x41000, bytes: new Uint8Array(0x1000) },
      ]),
    ).rejects.toThrow(/overlaps the one before it/);
  });

  it('packs an app with no read-only data with its RAM slot (no writable section in flash)', async () => {
    // Code, a word of .bss and nothing read-only: the linker script's .rodata has no input.
    // Before the fix, its ALIGN made GNU ld emit an empty .rodata as a 2-byte writable NOBITS
    // section in flash, and the packer took the app's RAM start from there (a RAM request
    // of half a gigabyte).
    const app = APPS[0];
    const slot = slotOf(layout, app);
    const dir = mkdtempSync(join(tmpdir(), 'apps-norodata-'));
    try {
      writeFileSync(
        join(dir, 'a.s'),
        [
          '.syntax unified',
          '.thumb',
          '.section .start,"ax"',
          '.global _start',
          '.thumb_func',
          '_start: b _start',
          '.section .text',
          '.thumb_func',
          'f: bx lr',
          '.section .bss',
          '.word 0',
          '',
        ].join('\n'),
      );
      writeFileSync(join(dir, 'app.ld'), linkerScript(app, slot.tbfAddress, slot.ram));
      const run = (cmd, args) => {
        const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8' });
        expect(r.status, `${cmd}: ${r.stderr}`).toBe(0);
      };
      run('arm-none-eabi-as', ['-mthumb', '-mcpu=cortex-m4', 'a.s', '-o', 'a.o']);
      run('arm-none-eabi-ld', ['-T', 'app.ld', 'a.o', '-o', 'app.elf']);
      const r = await packApp(app, join(dir, 'app.elf'), layout);
      expect(r.ok, r.ok ? '' : r.error).toBe(true);
      expect(r.value.ramStart).toBe(slot.ram);
      expect(r.value.minimumRamSize).toBeLessThanOrEqual(RAM_SLOT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
