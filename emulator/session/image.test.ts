/**
 * Image files as a flasher sees them: format detection, raw binaries at an address, later files
 * overwriting earlier ones (with a notice), overlap inside one file refused, and placement
 * against a machine's memories, each error naming the problem.
 */
import { describe, expect, it } from 'vitest';
import { writeIntelHex } from '../formats/ihex';
import { checkPlacement, combineImages, detectFormat, parseImage } from './image';

const bin = (n: number, fill = 0xaa): Uint8Array => new Uint8Array(n).fill(fill);
const FLASH = [
  { name: 'flash', base: 0, size: 0x100000 },
  { name: 'RAM', base: 0x20000000, size: 0x40000 },
];

describe('firmware images', () => {
  it('detects ELF, Intel HEX and raw binaries', () => {
    expect(detectFormat(Uint8Array.from([0x7f, 0x45, 0x4c, 0x46, 1]))).toBe('elf');
    expect(detectFormat(new TextEncoder().encode('\n:00000001FF\n'))).toBe('ihex');
    expect(detectFormat(bin(8))).toBe('bin');
  });

  it('reads Intel HEX records into segments at their addresses', () => {
    const text = writeIntelHex([
      { address: 0x0, data: bin(40, 1) },
      { address: 0x40000, data: bin(20, 2) },
    ]);
    const r = parseImage(new TextEncoder().encode(text), { name: 'image.hex' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.segments.map((s) => [s.address, s.data.length])).toEqual([
      [0, 40],
      [0x40000, 20],
    ]);
  });

  it('names the line of a corrupt HEX file', () => {
    const r = parseImage(new TextEncoder().encode(':0400000001020304F0\n:00000001FF\n'), {
      name: 'bad.hex',
    });
    expect(r).toEqual({ ok: false, error: 'bad.hex: line 1: checksum mismatch' });
  });

  // Issue 12: a HEX file whose only data record is empty was taken as an image.
  it('refuses a HEX file whose only data record is empty', () => {
    const r = parseImage(new TextEncoder().encode(':0000000000\n:00000001FF\n'), {
      name: 'empty.hex',
    });
    expect(r).toEqual({ ok: false, error: 'empty.hex: HEX file has no data' });
  });

  it('prints segment ends past 4 GiB as they are, never wrapped', () => {
    const a = parseImage(bin(0x20), { name: 'top.bin', address: 0xfffffff0 });
    expect(a.ok).toBe(false);
    if (!a.ok)
      expect(a.error).toBe(
        'top.bin: 32 bytes at 0xfffffff0 end at 0x100000010, past the 32-bit address space',
      );
    // Two segments of one file overlapping (an error), the first one running past 4 GiB.
    const seg = (address: number, memSize: number, origin: string) => ({
      address,
      data: new Uint8Array(0),
      memSize,
      origin,
    });
    const r = combineImages([
      {
        format: 'elf',
        segments: [
          seg(0xfffff000, 0x2000, 'a.elf segment 0'),
          seg(0xfffff800, 4, 'a.elf segment 1'),
        ],
      },
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toBe(
        'overlapping segments: a.elf segment 0 (0xfffff000-0x100000fff) and a.elf segment 1 (0xfffff800-0xfffff803)',
      );
  });

  it('needs an address for a raw binary and refuses one for self-addressed formats', () => {
    const r = parseImage(bin(16), { name: 'apps.bin' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/apps\.bin: .*raw binary needs a load address/);
    const h = parseImage(new TextEncoder().encode(':00000001FF\n'), {
      name: 'x.hex',
      address: 0x1000,
    });
    expect(h.ok).toBe(false);
    if (!h.ok) expect(h.error).toMatch(/carries its own addresses/);
    const ok = parseImage(bin(16), { name: 'apps.bin', address: 0x40000 });
    expect(ok.ok && ok.value.segments[0]!.address).toBe(0x40000);
  });

  it('lets a later file overwrite an earlier one where they overlap, with a notice', () => {
    const a = parseImage(bin(0x100, 0xaa), { name: 'a.bin', address: 0x1000 });
    const b = parseImage(bin(0x20, 0xbb), { name: 'b.bin', address: 0x1010 });
    const c = parseImage(bin(0x100, 0xcc), { name: 'c.bin', address: 0x10f0 });
    if (!a.ok || !b.ok || !c.ok) throw new Error('parse');
    const r = combineImages([a.value, b.value, c.value]);
    if (!r.ok) throw new Error(r.error);
    // a is split around b; c cuts a's tail.
    expect(r.value.segments.map((s) => [s.origin, s.address, s.memSize, s.data[0]])).toEqual([
      ['a.bin', 0x1000, 0x10, 0xaa],
      ['b.bin', 0x1010, 0x20, 0xbb],
      ['a.bin', 0x1030, 0xc0, 0xaa],
      ['c.bin', 0x10f0, 0x100, 0xcc],
    ]);
    expect(r.value.notices).toEqual([
      'b.bin overwrites 32 byte(s) of a.bin at 0x00001010-0x0000102f, as a flasher programming the files in order would',
      'c.bin overwrites 16 byte(s) of a.bin at 0x000010f0-0x000010ff, as a flasher programming the files in order would',
    ]);
    // Adjacent files say nothing.
    const d = parseImage(bin(0x10), { name: 'd.bin', address: 0x1100 });
    if (!d.ok) throw new Error('parse');
    expect(combineImages([a.value, d.value])).toMatchObject({ ok: true, value: { notices: [] } });
  });

  it('still refuses segments that overlap inside one file, naming both', () => {
    const text = writeIntelHex([{ address: 0x100, data: bin(0x20, 1) }]);
    const hexFile = parseImage(new TextEncoder().encode(text), { name: 'x.hex' });
    if (!hexFile.ok) throw new Error(hexFile.error);
    const twice = {
      ...hexFile.value,
      segments: [
        ...hexFile.value.segments,
        { ...hexFile.value.segments[0]!, address: 0x110, origin: 'x.hex block 1 (0x00000110)' },
      ],
    };
    const r = combineImages([twice]);
    expect(r).toEqual({
      ok: false,
      error:
        'overlapping segments: x.hex block 0 (0x00000100) (0x00000100-0x0000011f) and x.hex block 1 (0x00000110) (0x00000110-0x0000012f)',
    });
  });

  it('rejects an image larger than flash and one outside every memory', () => {
    const big = parseImage(bin(0x100000 + 4), { name: 'big.bin', address: 0 });
    if (!big.ok) throw new Error('parse');
    const r = checkPlacement(big.value, FLASH, 'nrf52840dk');
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toBe(
        "big.bin at 0x00000000 (1048580 bytes) runs 4 bytes past the end of nrf52840dk's flash (1024 KiB at 0x00000000)",
      );
    const away = parseImage(bin(4), { name: 'away.bin', address: 0x30000000 });
    if (!away.ok) throw new Error('parse');
    const q = checkPlacement(away.value, FLASH, 'nrf52840dk');
    expect(q.ok).toBe(false);
    if (!q.ok)
      expect(q.error).toMatch(
        /away\.bin at 0x30000000 .* outside nrf52840dk's programmable memory/,
      );
    const fits = parseImage(bin(0x100000), { name: 'fits.bin', address: 0 });
    if (!fits.ok) throw new Error('parse');
    expect(checkPlacement(fits.value, FLASH, 'nrf52840dk').ok).toBe(true);
  });
});
