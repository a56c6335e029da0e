/**
 * Tests for scripts/apps.mjs's layout and composition: slots from a board layout, padding
 * between TBFs so the kernel's walk reaches each app, and refusal of overlapping TBFs.
 */
import { describe, expect, it } from 'vitest';
import { APPS, FLASH_SLOT, RAM_SLOT, composeApps, loadFormats, slotOf } from './apps.mjs';

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
});
