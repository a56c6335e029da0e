import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseTbfHeader } from '../../emulator/formats/tbf';
import { type AppImage, type BoardImages, withApps } from './debug-images';

const dir = mkdtempSync(path.join(tmpdir(), 'debug-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function app(name: string, flash: number, size: number, fill: number): AppImage {
  const tbf = path.join(dir, `${name}.tbf`);
  writeFileSync(tbf, new Uint8Array(size).fill(fill));
  return { name, elf: null, flash, binary: null, ram: null, tbf, inImage: true };
}

const apps = [
  app('hello', 0x40000, 0x800, 1),
  app('a', 0x40800, 0x800, 2),
  app('b', 0x41000, 0x400, 3),
];
const images: BoardImages = {
  board: 'nrf52840dk',
  dir,
  kernelElf: 'kernel.elf',
  files: [
    { name: 'kernel.elf', bytes: new Uint8Array(4), format: 'elf' },
    { name: 'apps.bin', bytes: new Uint8Array(0x1400), address: 0x40000, format: 'bin' },
  ],
  apps,
  builtAt: 0,
  appsStart: 0x40000,
};

describe('withApps (New capsule Run: the apps the kernel loads)', () => {
  it('lays the chosen TBFs at their linked addresses, the gap a padding TBF the kernel walks past', () => {
    const r = withApps(images, ['hello', 'b']);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.apps.map((a) => a.name)).toEqual(['hello', 'b']);
    const bins = r.value.files.filter((f) => f.format === 'bin');
    expect(bins).toHaveLength(1);
    const bin = bins[0]!;
    expect(bin.address).toBe(0x40000);
    expect(bin.bytes.length).toBe(0x1400);
    expect(bin.bytes[0]).toBe(1);
    expect(bin.bytes[0x1000]).toBe(3);
    // a's place holds a padding TBF of exactly its size, so the walk reaches b.
    const pad = parseTbfHeader(bin.bytes.subarray(0x800));
    if (!pad.ok) throw new Error(pad.error.message);
    expect(pad.value.totalSize).toBe(0x800);
    expect(pad.value.main).toBeFalsy();
    expect(r.value.files[0]!.format).toBe('elf');
  });

  it('refuses an app the build did not make, and more than the kernel loads', () => {
    const missing = withApps(images, ['nope']);
    expect(missing.ok ? '' : missing.error).toMatch(
      /nope is not among the apps built.*hello, a, b/,
    );
    const many = withApps(
      images,
      Array.from({ length: 9 }, (_, i) => `x${i}`),
    );
    expect(many.ok ? '' : many.error).toMatch(/at most 8/);
  });
});
