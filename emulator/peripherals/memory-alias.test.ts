/** Tests for RAM mirrors and bit-band aliases. */
import { describe, expect, it } from 'vitest';
import type { AccessSize } from '../core/interfaces';
import { BitBandAlias, RamAlias } from './memory-alias';

describe('RamAlias', () => {
  it('reads and writes the target bytes at every width', () => {
    const ram = new Uint8Array(16);
    const alias = new RamAlias('mirror', ram);
    alias.write(4, 4, 0x11223344);
    expect(Array.from(ram.subarray(4, 8))).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(alias.read(6, 2)).toBe(0x1122);
    alias.write(20, 1, 0xaa); // wraps at the target's size
    expect(ram[4]).toBe(0xaa);
  });
});

describe('BitBandAlias', () => {
  it('maps word N to bit N of the target region', () => {
    const mem = new Uint8Array(64);
    const port = {
      read: (a: number, _s: AccessSize) => mem[a - 0x1000]!,
      write: (a: number, _s: AccessSize, v: number) => void (mem[a - 0x1000] = v),
    };
    const bb = new BitBandAlias('bitband', port, 0x1000);
    bb.write((3 * 8 + 5) * 4, 4, 1); // byte 3, bit 5
    expect(mem[3]).toBe(0x20);
    expect(bb.read((3 * 8 + 5) * 4)).toBe(1);
    expect(bb.read((3 * 8 + 4) * 4)).toBe(0);
    mem[3] = 0xff;
    bb.write((3 * 8 + 0) * 4, 4, 0);
    expect(mem[3]).toBe(0xfe);
  });
});
