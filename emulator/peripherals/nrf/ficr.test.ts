/**
 * FICR and UICR pages (nRF52840 PS "FICR", "UICR"): the part description firmware reads at boot
 * and the erased user page.
 */
import { describe, expect, it } from 'vitest';
import { expandRegisters } from './registers';
import {
  FICR_REGISTERS,
  PART_INFO,
  TEMP_COEFFICIENTS,
  UICR_REGISTERS,
  ficrImage,
  uicrReset,
} from './ficr';

const word = (page: Uint8Array, offset: number): number =>
  new DataView(page.buffer, page.byteOffset).getUint32(offset, true);

describe('ficrImage', () => {
  it('describes the nRF52840: 4 KiB pages, 256 pages, 1 MiB flash, 256 KiB RAM, part 0x52840', () => {
    const f = ficrImage('nrf52840', 1n);
    expect(f.length).toBe(4096);
    expect(word(f, 0x010)).toBe(4096);
    expect(word(f, 0x014)).toBe(256);
    expect(word(f, 0x100)).toBe(0x52840);
    expect(word(f, 0x10c)).toBe(256);
    expect(word(f, 0x110)).toBe(1024);
    // INFO.VARIANT is four ASCII characters, most significant first ('AAF0': Revision 3).
    const v = word(f, 0x104);
    expect(String.fromCharCode(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff)).toBe(
      'AAF0',
    );
  });

  it('describes the nRF52833 of the micro:bit v2: 128 pages, 512 KiB flash, 128 KiB RAM', () => {
    const f = ficrImage('nrf52833', 1n);
    expect(word(f, 0x014)).toBe(128);
    expect(word(f, 0x100)).toBe(0x52833);
    expect(word(f, 0x10c)).toBe(PART_INFO.nrf52833.ramKiB);
    expect(word(f, 0x110)).toBe(512);
    expect(word(f, 0x014) * word(f, 0x010)).toBe(512 * 1024);
  });

  it('puts the 64-bit device id in DEVICEID[0] (low) and DEVICEID[1] (high)', () => {
    const f = ficrImage('nrf52840', 0x0123456789abcdefn);
    expect(word(f, 0x060)).toBe(0x89abcdef);
    expect(word(f, 0x064)).toBe(0x01234567);
  });

  it('derives ER, IR and DEVICEADDR deterministically from the device id', () => {
    const a = ficrImage('nrf52840', 42n);
    const b = ficrImage('nrf52840', 42n);
    const c = ficrImage('nrf52840', 43n);
    expect(a).toEqual(b);
    const keys = (p: Uint8Array): number[] =>
      [0x80, 0x84, 0x88, 0x8c, 0x90, 0x94, 0x98, 0x9c, 0xa4].map((o) => word(p, o));
    expect(keys(a)).not.toEqual(keys(c));
    // The roots are not trivially constant words.
    expect(new Set(keys(a)).size).toBe(9);
    expect(word(a, 0xa8) >>> 16).toBe(0xffff);
  });

  it('holds the TEMP linearisation coefficients and leaves unwritten words erased', () => {
    const f = ficrImage('nrf52840', 7n);
    expect(word(f, 0x404)).toBe(TEMP_COEFFICIENTS.a[0]);
    expect(word(f, 0x430)).toBe(TEMP_COEFFICIENTS.b[5]);
    expect(word(f, 0x444)).toBe(TEMP_COEFFICIENTS.t[4]);
    expect(word(f, 0x000)).toBe(0xffffffff);
    expect(word(f, 0x200)).toBe(0xffffffff);
    expect(word(f, 0xffc)).toBe(0xffffffff);
  });

  it('writes every register of FICR_REGISTERS (none is left erased except DEVICEADDRTYPE)', () => {
    const f = ficrImage('nrf52840', 0x5555n);
    for (const r of expandRegisters(FICR_REGISTERS)) {
      expect(r.access).toBe('read-only');
      if (r.name === 'DEVICEADDRTYPE') continue;
      expect(word(f, r.offset), r.name).not.toBe(0xffffffff);
    }
  });

  it('rejects an unknown variant and a device id that is not 64-bit unsigned', () => {
    expect(() => ficrImage('nrf52832' as never, 1n)).toThrow(/unknown variant 'nrf52832'/);
    expect(() => ficrImage('nrf52840', -1n)).toThrow(/64-bit unsigned/);
    expect(() => ficrImage('nrf52840', 1n << 64n)).toThrow(/64-bit unsigned/);
  });
});

describe('UICR', () => {
  it('is a 4 KiB erased page; every UICR register reads its reset value 0xFFFFFFFF', () => {
    const u = uicrReset();
    expect(u.length).toBe(4096);
    for (const r of expandRegisters(UICR_REGISTERS))
      expect(word(u, r.offset), r.name).toBe(r.reset);
    expect(expandRegisters(UICR_REGISTERS).find((r) => r.name === 'CUSTOMER[31]')?.offset).toBe(
      0x0fc,
    );
    expect(expandRegisters(UICR_REGISTERS).find((r) => r.name === 'NRFFW[14]')?.offset).toBe(0x04c);
  });
});
