/**
 * Tock Binary Format (TBF) version 2: parse and build application headers.
 *
 * Every app our kernel loads starts with a TBF header: a 16-byte base header (version, header
 * size, total size, flags, XOR checksum) followed by type-length-value elements (Main or
 * Program, PackageName, FixedAddresses, Permissions, ShortId, KernelVersion, writeable flash
 * regions...). The kernel walks these headers back to back from the start of the apps region;
 * the IDE shows them and the packer (elf2tbf.ts) writes them. Parsing never throws: it returns
 * a discriminated union whose error names the field and offset at fault, so a corrupt image is
 * reported, not crashed on. Pure TypeScript (no Node imports): it runs in the renderer too.
 *
 * Usage:
 *   const header = buildTbfHeader({ packageName: 'hello', program: {...}, fixedAddresses: {...} });
 *   const r = parseTbf(bytes);
 *   if (!r.ok) console.log(r.error.message); else console.log(r.value.packageName);
 */
import type { Result } from '../core/result';

/** TLV type numbers (bit 15 set marks an out-of-tree type). */
export const TBF_TLV = {
  main: 1,
  writeableFlashRegions: 2,
  packageName: 3,
  fixedAddresses: 5,
  permissions: 6,
  storagePermissions: 7,
  kernelVersion: 8,
  program: 9,
  shortId: 10,
  credentialsFooter: 128,
} as const;

export const TBF_BASE_HEADER_SIZE = 16;
export const TBF_FLAG_ENABLED = 1 << 0;
export const TBF_FLAG_STICKY = 1 << 1;
/** FixedAddresses uses this value for "no fixed address". */
export const TBF_NO_FIXED_ADDRESS = 0xffffffff;

export interface TbfMain {
  /** Entry point, as an offset from the END of the TBF header: Tock starts a process at
   * `header_size + init_fn_offset` (tock-tbf get_init_function_offset). Thumb bit included, as
   * in the ELF's entry. */
  initFnOffset: number;
  /** Bytes after the header that the process may not write (the header itself is protected too). */
  protectedTrailerSize: number;
  minimumRamSize: number;
}

export interface TbfProgram extends TbfMain {
  /** Offset from the start of the TBF to the end of the app binary; footers follow it. */
  binaryEndOffset: number;
  appVersion: number;
}

export interface TbfFixedAddresses {
  /** Start of the process's RAM, or TBF_NO_FIXED_ADDRESS. */
  ram: number;
  /** Address the app's binary was linked to run from, or TBF_NO_FIXED_ADDRESS. */
  flash: number;
}

export interface TbfPermission {
  driver: number;
  /** Which block of 64 command numbers allowedCommands covers (0 = commands 0-63). */
  offset: number;
  allowedCommands: bigint;
}

export interface TbfFlashRegion {
  offset: number;
  size: number;
}

export type TbfTlv =
  | { type: 1; main: TbfMain }
  | { type: 2; regions: TbfFlashRegion[] }
  | { type: 3; name: string }
  | { type: 5; fixed: TbfFixedAddresses }
  | { type: 6; permissions: TbfPermission[] }
  | { type: 8; major: number; minor: number }
  | { type: 9; program: TbfProgram }
  | { type: 10; shortId: number }
  /** Storage permissions and out-of-tree types are kept verbatim. */
  | { type: number; raw: Uint8Array };

export interface TbfFooter {
  /** Offset of the footer TLV from the start of the TBF. */
  offset: number;
  type: number;
  /** Credentials format number (first word of a credentials footer). */
  format?: number;
  data: Uint8Array;
}

export interface TbfHeader {
  version: 2;
  headerSize: number;
  totalSize: number;
  flags: number;
  enabled: boolean;
  sticky: boolean;
  checksum: number;
  tlvs: TbfTlv[];
  /** Main or Program values (the first Program wins over the first Main, as in Tock's
   * parser; later ones are ignored). Absent: a padding TBF. */
  main?: TbfMain;
  program?: TbfProgram;
  packageName?: string;
  fixedAddresses?: TbfFixedAddresses;
  permissions?: TbfPermission[];
  writeableFlashRegions?: TbfFlashRegion[];
  kernelVersion?: { major: number; minor: number };
  shortId?: number;
  /** True when the header carries no Main/Program TLV: it only occupies space (padding). */
  isPadding: boolean;
}

export interface TbfParsed extends TbfHeader {
  /** Credentials footers found between binaryEndOffset and totalSize (Program headers only). */
  footers: TbfFooter[];
}

export type TbfErrorKind =
  | 'truncated'
  | 'version'
  | 'header-size'
  | 'total-size'
  | 'checksum'
  | 'tlv-overrun'
  | 'tlv-length'
  | 'tlv-value'
  | 'footer';

export interface TbfError {
  kind: TbfErrorKind;
  /** Byte offset (from the start of the TBF) where the problem was found. */
  offset: number;
  message: string;
}

export type TbfResult<T> = Result<T, TbfError>;

const fail = <T>(kind: TbfErrorKind, offset: number, message: string): TbfResult<T> => ({
  ok: false,
  error: { kind, offset, message: `TBF at +0x${offset.toString(16)}: ${message}` },
});

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** XOR of every little-endian word of the header except the checksum word (offset 12). */
export function tbfChecksum(header: Uint8Array): number {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  let sum = 0;
  for (let i = 0; i < header.length; i += 4) {
    if (i === 12) continue;
    if (i + 4 <= header.length) sum ^= view.getUint32(i, true);
    else {
      // A header whose size is not a multiple of 4 is already invalid; pad so the sum is defined.
      let word = 0;
      for (let j = 0; i + j < header.length; j++) word |= header[i + j]! << (8 * j);
      sum ^= word;
    }
  }
  return sum >>> 0;
}

const EXPECTED_LENGTH: Record<number, number> = {
  [TBF_TLV.main]: 12,
  [TBF_TLV.fixedAddresses]: 8,
  [TBF_TLV.kernelVersion]: 4,
  [TBF_TLV.program]: 20,
  [TBF_TLV.shortId]: 4,
};

const TLV_NAMES: Record<number, string> = {
  1: 'Main',
  2: 'WriteableFlashRegions',
  3: 'PackageName',
  5: 'FixedAddresses',
  6: 'Permissions',
  7: 'StoragePermissions',
  8: 'KernelVersion',
  9: 'Program',
  10: 'ShortId',
  128: 'Credentials',
};

/** Human name of a TLV type, for reports. */
export function tbfTlvName(type: number): string {
  return TLV_NAMES[type] ?? `type ${type}${type & 0x8000 ? ' (out-of-tree)' : ''}`;
}

/**
 * Parse only the header of the TBF at the start of `bytes` (which may extend past the app, as
 * when walking a flash image). The checksum is verified.
 */
export function parseTbfHeader(bytes: Uint8Array): TbfResult<TbfHeader> {
  if (bytes.length < TBF_BASE_HEADER_SIZE)
    return fail('truncated', 0, `only ${bytes.length} bytes, the base header needs 16`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(0, true);
  if (version !== 2)
    return fail('version', 0, `version ${version} is not supported (only TBF version 2)`);
  const headerSize = view.getUint16(2, true);
  const totalSize = view.getUint32(4, true);
  const flags = view.getUint32(8, true);
  const checksum = view.getUint32(12, true);
  if (headerSize < TBF_BASE_HEADER_SIZE || headerSize % 4 !== 0)
    return fail(
      'header-size',
      2,
      `header size ${headerSize} must be a multiple of 4 and at least 16`,
    );
  if (totalSize < headerSize)
    return fail(
      'total-size',
      4,
      `total size ${totalSize} is smaller than header size ${headerSize}`,
    );
  if (totalSize % 4 !== 0)
    return fail('total-size', 4, `total size ${totalSize} is not a multiple of 4`);
  if (headerSize > bytes.length)
    return fail(
      'truncated',
      2,
      `header size ${headerSize} runs past the ${bytes.length} bytes available`,
    );
  const computed = tbfChecksum(bytes.subarray(0, headerSize));
  if (computed !== checksum)
    return fail(
      'checksum',
      12,
      `checksum ${hex(checksum)} does not match computed ${hex(computed)}`,
    );

  const header: TbfHeader = {
    version: 2,
    headerSize,
    totalSize,
    flags,
    enabled: (flags & TBF_FLAG_ENABLED) !== 0,
    sticky: (flags & TBF_FLAG_STICKY) !== 0,
    checksum,
    tlvs: [],
    isPadding: true,
  };
  let at = TBF_BASE_HEADER_SIZE;
  let sawMain = false;
  while (at < headerSize) {
    if (at + 4 > headerSize)
      return fail('tlv-overrun', at, `TLV header at ${at} runs past the header end ${headerSize}`);
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    const valueAt = at + 4;
    const padded = (length + 3) & ~3;
    if (valueAt + padded > headerSize)
      return fail(
        'tlv-overrun',
        at,
        `${tbfTlvName(type)} TLV of length ${length} runs past the header end ${headerSize}`,
      );
    const expected = EXPECTED_LENGTH[type];
    if (expected !== undefined && length !== expected)
      return fail(
        'tlv-length',
        at,
        `${tbfTlvName(type)} TLV has length ${length}, expected ${expected}`,
      );
    const value = bytes.subarray(valueAt, valueAt + length);
    const u32 = (i: number): number => view.getUint32(valueAt + i, true);
    switch (type) {
      case TBF_TLV.main: {
        const main = { initFnOffset: u32(0), protectedTrailerSize: u32(4), minimumRamSize: u32(8) };
        header.tlvs.push({ type, main });
        // The first Main counts, and only while no Program was seen.
        if (!sawMain && !header.program) header.main = main;
        sawMain = true;
        header.isPadding = false;
        break;
      }
      case TBF_TLV.program: {
        const program = {
          initFnOffset: u32(0),
          protectedTrailerSize: u32(4),
          minimumRamSize: u32(8),
          binaryEndOffset: u32(12),
          appVersion: u32(16),
        };
        if (program.binaryEndOffset < headerSize || program.binaryEndOffset > totalSize)
          return fail(
            'tlv-value',
            at,
            `Program binary end offset ${program.binaryEndOffset} is outside ${headerSize}..${totalSize}`,
          );
        header.tlvs.push({ type, program });
        if (header.program) break; // the first Program counts
        header.program = program;
        header.main = {
          initFnOffset: program.initFnOffset,
          protectedTrailerSize: program.protectedTrailerSize,
          minimumRamSize: program.minimumRamSize,
        };
        header.isPadding = false;
        break;
      }
      case TBF_TLV.packageName: {
        let name: string;
        try {
          name = new TextDecoder('utf-8', { fatal: true }).decode(value);
        } catch {
          return fail('tlv-value', at, 'PackageName is not valid UTF-8');
        }
        header.tlvs.push({ type, name });
        header.packageName = name;
        break;
      }
      case TBF_TLV.fixedAddresses: {
        const fixed = { ram: u32(0), flash: u32(4) };
        header.tlvs.push({ type, fixed });
        header.fixedAddresses = fixed;
        break;
      }
      case TBF_TLV.writeableFlashRegions: {
        if (length % 8 !== 0)
          return fail(
            'tlv-length',
            at,
            `WriteableFlashRegions length ${length} is not a multiple of 8`,
          );
        const regions: TbfFlashRegion[] = [];
        for (let i = 0; i < length; i += 8) regions.push({ offset: u32(i), size: u32(i + 4) });
        header.tlvs.push({ type, regions });
        header.writeableFlashRegions = regions;
        break;
      }
      case TBF_TLV.permissions: {
        if (length < 2) return fail('tlv-length', at, `Permissions length ${length} is below 2`);
        const count = view.getUint16(valueAt, true);
        if (length !== 2 + 16 * count)
          return fail(
            'tlv-length',
            at,
            `Permissions declares ${count} entries (${2 + 16 * count} bytes) but has length ${length}`,
          );
        const permissions: TbfPermission[] = [];
        for (let i = 0; i < count; i++) {
          const base = valueAt + 2 + 16 * i;
          permissions.push({
            driver: view.getUint32(base, true),
            offset: view.getUint32(base + 4, true),
            allowedCommands: view.getBigUint64(base + 8, true),
          });
        }
        header.tlvs.push({ type, permissions });
        header.permissions = permissions;
        break;
      }
      case TBF_TLV.kernelVersion: {
        const major = view.getUint16(valueAt, true);
        const minor = view.getUint16(valueAt + 2, true);
        header.tlvs.push({ type, major, minor });
        header.kernelVersion = { major, minor };
        break;
      }
      case TBF_TLV.shortId: {
        header.tlvs.push({ type, shortId: u32(0) });
        header.shortId = u32(0);
        break;
      }
      default:
        header.tlvs.push({ type, raw: value.slice() });
    }
    at = valueAt + padded;
  }
  return { ok: true, value: header };
}

/**
 * Parse a whole TBF: the header, and for Program headers the footers between the binary end
 * and the total size. `bytes` must hold at least totalSize bytes.
 */
export function parseTbf(bytes: Uint8Array): TbfResult<TbfParsed> {
  const h = parseTbfHeader(bytes);
  if (!h.ok) return h;
  const header = h.value;
  if (header.totalSize > bytes.length)
    return fail(
      'truncated',
      4,
      `total size ${header.totalSize} runs past the ${bytes.length} bytes available`,
    );
  const footers: TbfFooter[] = [];
  if (header.program) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = header.program.binaryEndOffset;
    while (at + 4 <= header.totalSize) {
      const type = view.getUint16(at, true);
      const length = view.getUint16(at + 2, true);
      if (at + 4 + length > header.totalSize)
        return fail(
          'footer',
          at,
          `${tbfTlvName(type)} footer of length ${length} runs past the total size ${header.totalSize}`,
        );
      const data = bytes.slice(at + 4, at + 4 + length);
      const footer: TbfFooter = { offset: at, type, data };
      if (type === TBF_TLV.credentialsFooter && length >= 4)
        footer.format = view.getUint32(at + 4, true);
      footers.push(footer);
      at += 4 + ((length + 3) & ~3);
    }
  }
  return { ok: true, value: { ...header, footers } };
}

export interface TbfWalkEntry {
  /** Offset of this TBF within the scanned region. */
  offset: number;
  header: TbfHeader;
}

/**
 * Walk TBFs back to back from the start of `region`, as the kernel does at boot: the first
 * invalid header ends the walk and is reported in `stoppedBy` (erased flash, 0xFF..., is the
 * normal end and reported with kind 'version').
 */
export function walkTbfs(region: Uint8Array): { apps: TbfWalkEntry[]; stoppedBy?: TbfError } {
  const apps: TbfWalkEntry[] = [];
  let at = 0;
  while (at < region.length) {
    const r = parseTbfHeader(region.subarray(at));
    if (!r.ok) {
      return {
        apps,
        stoppedBy: { ...r.error, offset: at + r.error.offset, message: `${r.error.message}` },
      };
    }
    if (at + r.value.totalSize > region.length)
      return {
        apps,
        stoppedBy: {
          kind: 'total-size',
          offset: at + 4,
          message: `TBF at +0x${at.toString(16)}: total size ${r.value.totalSize} runs past the end of the apps region`,
        },
      };
    apps.push({ offset: at, header: r.value });
    if (r.value.totalSize === 0) break;
    at += r.value.totalSize;
  }
  return { apps };
}

export interface TbfHeaderSpec {
  /** Size of the whole TBF (header + protected trailer + binary + footers + padding). */
  totalSize: number;
  enabled?: boolean;
  sticky?: boolean;
  /** Main (type 1) and/or Program (type 9), Main first when both are given (older kernels
   * read only Main); omit both for padding. */
  main?: TbfMain;
  program?: TbfProgram;
  packageName?: string;
  fixedAddresses?: TbfFixedAddresses;
  permissions?: TbfPermission[];
  writeableFlashRegions?: TbfFlashRegion[];
  kernelVersion?: { major: number; minor: number };
  shortId?: number;
  /** Extra TLVs written verbatim (out-of-tree types, storage permissions). */
  extra?: { type: number; value: Uint8Array }[];
}

class Writer {
  private chunks: number[] = [];
  u16(v: number): void {
    this.chunks.push(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number): void {
    for (let i = 0; i < 4; i++) this.chunks.push((v >>> (8 * i)) & 0xff);
  }
  u64(v: bigint): void {
    for (let i = 0n; i < 8n; i++) this.chunks.push(Number((v >> (8n * i)) & 0xffn));
  }
  bytes(b: Uint8Array): void {
    for (const x of b) this.chunks.push(x);
  }
  pad4(): void {
    while (this.chunks.length % 4 !== 0) this.chunks.push(0);
  }
  get length(): number {
    return this.chunks.length;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** Size in bytes of the header buildTbfHeader would produce for `spec`. */
export function tbfHeaderSize(spec: Omit<TbfHeaderSpec, 'totalSize'>): number {
  return buildTbfHeader({ ...spec, totalSize: 0xffffffff }).length;
}

/** Build a TBF v2 header (with a correct checksum) from `spec`. */
export function buildTbfHeader(spec: TbfHeaderSpec): Uint8Array {
  const w = new Writer();
  w.u16(2);
  w.u16(0); // header size, patched below
  w.u32(spec.totalSize);
  w.u32((spec.enabled === false ? 0 : TBF_FLAG_ENABLED) | (spec.sticky ? TBF_FLAG_STICKY : 0));
  w.u32(0); // checksum, patched below
  const tlv = (type: number, length: number, body: () => void): void => {
    w.u16(type);
    w.u16(length);
    body();
    w.pad4();
  };
  if (spec.main) {
    const m = spec.main;
    tlv(TBF_TLV.main, 12, () => {
      w.u32(m.initFnOffset);
      w.u32(m.protectedTrailerSize);
      w.u32(m.minimumRamSize);
    });
  }
  if (spec.program) {
    const p = spec.program;
    tlv(TBF_TLV.program, 20, () => {
      w.u32(p.initFnOffset);
      w.u32(p.protectedTrailerSize);
      w.u32(p.minimumRamSize);
      w.u32(p.binaryEndOffset);
      w.u32(p.appVersion);
    });
  }
  if (spec.packageName !== undefined) {
    const name = new TextEncoder().encode(spec.packageName);
    tlv(TBF_TLV.packageName, name.length, () => w.bytes(name));
  }
  if (spec.fixedAddresses) {
    const f = spec.fixedAddresses;
    tlv(TBF_TLV.fixedAddresses, 8, () => {
      w.u32(f.ram);
      w.u32(f.flash);
    });
  }
  if (spec.writeableFlashRegions?.length) {
    const regions = spec.writeableFlashRegions;
    tlv(TBF_TLV.writeableFlashRegions, 8 * regions.length, () => {
      for (const r of regions) {
        w.u32(r.offset);
        w.u32(r.size);
      }
    });
  }
  if (spec.permissions?.length) {
    const perms = spec.permissions;
    tlv(TBF_TLV.permissions, 2 + 16 * perms.length, () => {
      w.u16(perms.length);
      for (const p of perms) {
        w.u32(p.driver);
        w.u32(p.offset);
        w.u64(p.allowedCommands);
      }
    });
  }
  if (spec.kernelVersion) {
    const k = spec.kernelVersion;
    tlv(TBF_TLV.kernelVersion, 4, () => {
      w.u16(k.major);
      w.u16(k.minor);
    });
  }
  if (spec.shortId !== undefined) {
    const id = spec.shortId;
    tlv(TBF_TLV.shortId, 4, () => w.u32(id));
  }
  for (const e of spec.extra ?? []) tlv(e.type, e.value.length, () => w.bytes(e.value));
  const out = w.finish();
  if (out.length > 0xffff) throw new RangeError(`TBF header of ${out.length} bytes exceeds 65535`);
  const view = new DataView(out.buffer);
  view.setUint16(2, out.length, true);
  view.setUint32(12, tbfChecksum(out), true);
  return out;
}

/** Offset of a header's entry point from the start of its TBF (Tock: header_size +
 * init_fn_offset), or null for padding. */
export function tbfEntryOffset(header: TbfHeader): number | null {
  return header.main ? header.headerSize + header.main.initFnOffset : null;
}

/** A padding TBF: a header-only entry that fills `totalSize` bytes so the next app lands where
 * it was linked. The kernel skips it (no Main/Program TLV). */
export function buildPaddingTbf(totalSize: number): Uint8Array {
  const out = new Uint8Array(totalSize);
  out.set(buildTbfHeader({ totalSize, enabled: false }));
  return out;
}
