/**
 * The factory and user information pages of the nRF52840/nRF52833: FICR (read-only, written by
 * the factory) and UICR (customer settings, written through the NVMC).
 *
 * nRF52840 PS "FICR — Factory information configuration registers": a 4 KiB page at
 * 0x10000000 that firmware reads to learn the chip: code page size and count, a 64-bit
 * DEVICEID, the Bluetooth encryption/identity roots (ER, IR), the device address, the part
 * number, variant, package, RAM and flash sizes, and the TEMP linearisation coefficients. Words
 * the factory leaves unwritten read 0xFFFFFFFF (erased flash). `ficrImage` builds that page for
 * one emulated part; everything per-device is derived from the `deviceId` argument by a fixed
 * mixing function, so a machine built with the same id always sees the same addresses and keys.
 *
 * nRF52840 PS "UICR — User information configuration registers": a 4 KiB page at 0x10001000
 * holding NRFFW/NRFHW/CUSTOMER words, PSELRESET, APPROTECT, NFCPINS, DEBUGCTRL and REGOUT0;
 * everything reads 0xFFFFFFFF until written (`uicrReset`). The emulator does not act on UICR
 * settings (no pin reset, no access port protection); they are stored for firmware to read.
 *
 * Values not stated by the PS that we chose: the parts are the current revisions, nRF52840
 * Revision 3 (INFO.VARIANT 'AAF0', build code F) and nRF52833 Revision 2 ('AAB0'); INFO.PACKAGE
 * 0x2004 (QI, the aQFN73 of both boards), DEVICEADDRTYPE all ones (bit 0 = 1: random static
 * address, as shipped parts read).
 *
 * Two undocumented words that Nordic's MDK reads to pick errata workarounds
 * (mdk/nrf52_erratas.h: `*(uint32_t *)0x10000130` the part code, `0x10000134` the revision
 * code) hold what those parts hold: 0x08 with revision code 5 on the nRF52840 (the MDK's newest
 * nRF52840 code, the one its configuration 249, hardened APPROTECT, starts at) and 0x0D with
 * revision code 1 on the nRF52833 (likewise). Left erased, the MDK would fall back to reading
 * 0xF0000FE0, which BusFaults. The factory trims the workarounds copy (0x10000244, 0x10000258,
 * 0x10000324) are not published and read erased.
 *
 * @example
 *   bus.mapRom(0x10000000, 0x1000, 'ficr').set(ficrImage('nrf52840', 0x0123456789abcdefn));
 */
import type { RegisterInfo } from './registers';

export type NrfVariant = 'nrf52840' | 'nrf52833';

export const FICR_BASE = 0x10000000;
export const UICR_BASE = 0x10001000;
export const INFO_PAGE_SIZE = 0x1000;
export const CODE_PAGE_SIZE = 4096;

/** What differs between the two parts (PS "Memory" and FICR INFO). */
export const PART_INFO: Readonly<
  Record<
    NrfVariant,
    {
      part: number;
      variant: number;
      flashKiB: number;
      ramKiB: number;
      /** MDK errata part code (FICR 0x130) and revision code (FICR 0x134), see above. */
      errataPart: number;
      errataRevision: number;
    }
  >
> = {
  nrf52840: {
    part: 0x52840,
    variant: 0x41414630,
    flashKiB: 1024,
    ramKiB: 256,
    errataPart: 0x08,
    errataRevision: 0x05,
  },
  nrf52833: {
    part: 0x52833,
    variant: 0x41414230,
    flashKiB: 512,
    ramKiB: 128,
    errataPart: 0x0d,
    errataRevision: 0x01,
  },
};

/** FICR words Nordic's MDK reads to choose errata workarounds (undocumented in the PS). */
export const FICR_ERRATA_PART = 0x130;
export const FICR_ERRATA_REVISION = 0x134;

/** Package code QI (aQFN73). */
export const PACKAGE_QI = 0x2004;

/**
 * Factory TEMP linearisation coefficients (PS "TEMP" register reset values, also stored in
 * FICR TEMP.A0..T4): slopes A0-A5, intercepts B0-B5, segment end points T0-T4.
 */
export const TEMP_COEFFICIENTS = {
  a: [0x326, 0x348, 0x3aa, 0x40e, 0x4bd, 0x5a3],
  b: [0x3fef, 0x3fbe, 0x3fbe, 0x012, 0x124, 0x27c],
  t: [0xe2, 0x00, 0x19, 0x3c, 0x50],
} as const;

const ro = (name: string, offset: number, count?: number): RegisterInfo =>
  count === undefined
    ? { name, offset, access: 'read-only', reset: 0xffffffff }
    : { name, offset, access: 'read-only', reset: 0xffffffff, dim: { count, stride: 4 } };

/**
 * The FICR words this model writes. `reset` is 0xFFFFFFFF throughout: the values are
 * programmed per device at the factory, so the description gives no fixed value (read the
 * image from `ficrImage` for a given part).
 */
export const FICR_REGISTERS: readonly RegisterInfo[] = [
  ro('CODEPAGESIZE', 0x010),
  ro('CODESIZE', 0x014),
  ro('DEVICEID[%s]', 0x060, 2),
  ro('ER[%s]', 0x080, 4),
  ro('IR[%s]', 0x090, 4),
  ro('DEVICEADDRTYPE', 0x0a0),
  ro('DEVICEADDR[%s]', 0x0a4, 2),
  ro('INFO.PART', 0x100),
  ro('INFO.VARIANT', 0x104),
  ro('INFO.PACKAGE', 0x108),
  ro('INFO.RAM', 0x10c),
  ro('INFO.FLASH', 0x110),
  ro('TEMP.A0', 0x404),
  ro('TEMP.A1', 0x408),
  ro('TEMP.A2', 0x40c),
  ro('TEMP.A3', 0x410),
  ro('TEMP.A4', 0x414),
  ro('TEMP.A5', 0x418),
  ro('TEMP.B0', 0x41c),
  ro('TEMP.B1', 0x420),
  ro('TEMP.B2', 0x424),
  ro('TEMP.B3', 0x428),
  ro('TEMP.B4', 0x42c),
  ro('TEMP.B5', 0x430),
  ro('TEMP.T0', 0x434),
  ro('TEMP.T1', 0x438),
  ro('TEMP.T2', 0x43c),
  ro('TEMP.T3', 0x440),
  ro('TEMP.T4', 0x444),
  ro('NFC.TAGHEADER0', 0x450),
  ro('NFC.TAGHEADER1', 0x454),
  ro('NFC.TAGHEADER2', 0x458),
  ro('NFC.TAGHEADER3', 0x45c),
];

const rw = (name: string, offset: number, count?: number): RegisterInfo =>
  count === undefined
    ? { name, offset, access: 'read-write', reset: 0xffffffff }
    : { name, offset, access: 'read-write', reset: 0xffffffff, dim: { count, stride: 4 } };

/** UICR registers (PS "UICR"): all erased (0xFFFFFFFF) until written through the NVMC. */
export const UICR_REGISTERS: readonly RegisterInfo[] = [
  rw('NRFFW[%s]', 0x014, 15),
  rw('NRFHW[%s]', 0x050, 12),
  rw('CUSTOMER[%s]', 0x080, 32),
  rw('PSELRESET[%s]', 0x200, 2),
  rw('APPROTECT', 0x208),
  rw('NFCPINS', 0x20c),
  rw('DEBUGCTRL', 0x210),
  rw('REGOUT0', 0x304),
];

/** A fresh UICR page: every byte erased (0xFF). */
export function uicrReset(): Uint8Array {
  return new Uint8Array(INFO_PAGE_SIZE).fill(0xff);
}

/** A 32-bit avalanche mix of one word (our own per-device derivation, not a Nordic algorithm). */
function mix32(x: number): number {
  let h = (x + 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x21f0aaad) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x735a2d97) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** Word `n` of the per-device stream derived from the two DEVICEID words. */
function derived(lo: number, hi: number, n: number): number {
  return mix32((mix32(lo ^ Math.imul(n, 0x85ebca6b)) ^ hi ^ n) >>> 0);
}

/**
 * The FICR page of one part: `variant` picks the chip, `deviceId` (a 64-bit unsigned value)
 * becomes DEVICEID[0] (low word) and DEVICEID[1] (high word) and seeds ER, IR, DEVICEADDR and the
 * NFC tag header.
 */
export function ficrImage(variant: NrfVariant, deviceId: bigint): Uint8Array {
  const info = PART_INFO[variant];
  if (info === undefined)
    throw new RangeError(
      `ficrImage: unknown variant '${String(variant)}' (expected 'nrf52840' or 'nrf52833')`,
    );
  if (typeof deviceId !== 'bigint' || deviceId < 0n || deviceId >= 1n << 64n)
    throw new RangeError(
      `ficrImage: deviceId must be a 64-bit unsigned bigint, got ${String(deviceId)}`,
    );
  const page = new Uint8Array(INFO_PAGE_SIZE).fill(0xff);
  const dv = new DataView(page.buffer);
  const put = (offset: number, value: number): void => dv.setUint32(offset, value >>> 0, true);
  const lo = Number(deviceId & 0xffffffffn);
  const hi = Number(deviceId >> 32n);

  put(0x010, CODE_PAGE_SIZE);
  put(0x014, (info.flashKiB * 1024) / CODE_PAGE_SIZE);
  put(0x060, lo);
  put(0x064, hi);
  for (let i = 0; i < 4; i++) {
    put(0x080 + 4 * i, derived(lo, hi, i));
    put(0x090 + 4 * i, derived(lo, hi, 4 + i));
  }
  put(0x0a0, 0xffffffff);
  put(0x0a4, derived(lo, hi, 8));
  // Only the low 16 bits of DEVICEADDR[1] belong to the 48-bit address; the rest read as erased.
  put(0x0a8, 0xffff0000 | (derived(lo, hi, 9) & 0xffff));
  put(FICR_ERRATA_PART, info.errataPart);
  put(FICR_ERRATA_REVISION, info.errataRevision);
  put(0x100, info.part);
  put(0x104, info.variant);
  put(0x108, PACKAGE_QI);
  put(0x10c, info.ramKiB);
  put(0x110, info.flashKiB);
  TEMP_COEFFICIENTS.a.forEach((v, i) => put(0x404 + 4 * i, v));
  TEMP_COEFFICIENTS.b.forEach((v, i) => put(0x41c + 4 * i, v));
  TEMP_COEFFICIENTS.t.forEach((v, i) => put(0x434 + 4 * i, v));
  // NFC tag header: byte 0 of TAGHEADER0 is the manufacturer id (0x5F, Nordic); the rest is the
  // tag's unique id, derived like the other per-device words.
  put(0x450, 0x5f | (derived(lo, hi, 10) & 0xffffff00));
  put(0x454, derived(lo, hi, 11));
  put(0x458, derived(lo, hi, 12));
  put(0x45c, derived(lo, hi, 13));
  return page;
}
