/**
 * ELF-to-TBF packer: turns an app into a Tock Binary Format image, as Tock's elf2tab does.
 *
 * The IDE and `npm run kernel:build` both pack apps with this. It takes the bytes the ELF's
 * loadable segments place in flash (code, read-only data and the initial values of `.data` and
 * the GOT), puts a TBF v2 header in front of them and computes the RAM the process needs from
 * its writable sections plus heap and kernel (grant) allowances. The header carries, as Tock's
 * documents describe (doc/TockBinaryFormat.md):
 * - Main (type 1), so kernels older than Tock 2.1 that know no Program TLV load the app, and
 *   Program (type 9) with the same fields plus the binary's end (footers follow it) and the
 *   app version; the init function offset in both counts from the END of the header (Tock
 *   starts a process at `header_size + init_fn_offset`);
 * - KernelVersion (type 8), ^2.0 unless told otherwise (Tock 2.2 kernels refuse apps without);
 * - PackageName, optional ShortId and Permissions;
 * - FixedAddresses for an app linked at fixed addresses, with the protected trailer sized so
 *   the binary lands exactly where it was linked. A position-independent app (`pic: true`,
 *   linked with flash at `PIC_FLASH_BASE` and RAM at 0, relocating itself at start as
 *   libtock-c's crt0 does) gets no FixedAddresses: any kernel may place it anywhere.
 * Problems (segments before the TBF start, a header that does not fit, an image larger than
 * its slot, segments spread wider than any TBF...) come back as error values naming the
 * numbers involved; it never throws, whatever the ELF holds (counts are walked, not spread
 * into arguments, and sizes are computed without 32-bit bitwise operators).
 *
 * Usage:
 *   const r = elfToTbf(parseElf(bytes), { packageName: 'hello', tbfAddress: 0x40000, totalSize: 0x4000 });
 *   if (r.ok) write('hello.tbf', r.value.tbf); else console.error(r.error);
 */
import { PT_LOAD, type ElfFile } from './elf';
import {
  TBF_TLV,
  buildTbfHeader,
  tbfHeaderSize,
  type TbfHeaderSpec,
  type TbfPermission,
} from './tbf';
import type { Result } from '../core/result';

const SHF_WRITE = 0x1;
const SHF_ALLOC = 0x2;

/** Where a position-independent app links its flash (code, read-only data, initial data): its
 * crt0 tells flash addresses (at or above this) from RAM offsets (below) when relocating. */
export const PIC_FLASH_BASE = 0x80000000;
const SHT_REL = 9;
const R_ARM_NONE = 0;
const R_ARM_ABS32 = 2;

/**
 * A PIC app's data relocations: the RAM offsets of the words in its writable sections that hold
 * addresses (R_ARM_ABS32 in the `.rel<section>` sections `ld --emit-relocs` keeps). Returned as
 * the table its crt0 reads right after the flash image: a count, then the offsets.
 */
function dataRelocationTable(
  elf: ElfFile,
  ramSections: ElfFile['sections'],
): { ok: true; table: Uint8Array } | { ok: false; error: string } {
  const offsets: number[] = [];
  // One pass over the sections (an ELF may hold hundreds of thousands).
  const rels = new Map<string, ElfFile['sections'][number]>();
  for (const x of elf.sections) if (x.type === SHT_REL && !rels.has(x.name)) rels.set(x.name, x);
  for (const target of ramSections) {
    const rel = rels.get(`.rel${target.name}`);
    if (!rel) continue;
    const view = new DataView(rel.data.buffer, rel.data.byteOffset, rel.data.byteLength);
    for (let at = 0; at + 8 <= rel.data.length; at += 8) {
      const offset = view.getUint32(at, true);
      const type = view.getUint32(at + 4, true) & 0xff;
      if (type === R_ARM_NONE) continue;
      if (type !== R_ARM_ABS32)
        return {
          ok: false,
          error: `relocation type ${type} at ${hex(offset)} in ${rel.name} cannot be applied at run time (only R_ARM_ABS32)`,
        };
      offsets.push(offset);
    }
  }
  const table = new Uint8Array(4 * (offsets.length + 1));
  const view = new DataView(table.buffer);
  view.setUint32(0, offsets.length, true);
  offsets.forEach((o, i) => view.setUint32(4 + 4 * i, o, true));
  return { ok: true, table };
}

/** The kernel ABI our apps need unless told otherwise (TRD104 as of Tock 2.0). */
export const DEFAULT_KERNEL_VERSION = { major: 2, minor: 0 } as const;

export interface ElfToTbfOptions {
  packageName: string;
  /** Flash address of the TBF header. Default: 0x80 bytes before the binary's first byte. */
  tbfAddress?: number;
  /** Size of the whole TBF (its flash slot). Default: the packed size rounded up to a power of
   * two, as the MPU wants process flash aligned to its size. */
  totalSize?: number;
  /** Overrides the computed minimum RAM size. */
  minimumRamSize?: number;
  /** Heap the app may grow into with brk/sbrk, added to its static RAM. Default 1024. */
  appHeapSize?: number;
  /** Room reserved for the kernel's per-process memory (grants, upcall queue). Default 1024. */
  kernelHeapSize?: number;
  /** Round the computed minimum RAM size up to a multiple of this (e.g. the MPU's subregion
   * size, so the app break lands where the MPU can put it). Default 8. */
  ramAlign?: number;
  /** The largest TBF to produce, in bytes. Default MAX_TBF_SIZE. */
  maxTotalSize?: number;
  enabled?: boolean;
  appVersion?: number;
  shortId?: number;
  /** KernelVersion TLV; DEFAULT_KERNEL_VERSION when omitted, none when null. */
  kernelVersion?: { major: number; minor: number } | null;
  permissions?: TbfPermission[];
  /** Position-independent app (see the module header): no FixedAddresses, any flash address. */
  pic?: boolean;
}

export interface PackedApp {
  tbf: Uint8Array;
  /** Where the TBF must go in flash; null for a position-independent app (anywhere). */
  tbfAddress: number | null;
  headerSize: number;
  protectedTrailerSize: number;
  binaryStart: number;
  binaryEndOffset: number;
  entry: number;
  ramStart: number;
  /** Bytes of RAM the app's own sections occupy from ramStart (stack, data, bss). */
  ramStatic: number;
  minimumRamSize: number;
  spec: TbfHeaderSpec;
}

export type PackResult = Result<PackedApp>;

/**
 * The largest TBF packed by default: 64 MiB, far above the flash of any part we target (the
 * nRF52840 has 1 MiB). A wider span means a segment linked far from the others (a stray load
 * address), and packing it would allocate the whole span.
 */
export const MAX_TBF_SIZE = 64 * 1024 * 1024;

/** An address or size in hex, never wrapped to 32 bits (an end past 4 GiB shows as such). */
const hex = (n: number): string => (n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`);
const nextPowerOfTwo = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

/** Pack `elf` into a TBF. Never throws for bad input; see PackResult. */
export function elfToTbf(elf: ElfFile, options: ElfToTbfOptions): PackResult {
  const name = options.packageName;
  const err = (message: string): PackResult => ({ ok: false, error: `${name}: ${message}` });
  // Flash contents: every loadable segment with file bytes, at its load (physical) address.
  const flashSegments = elf.segments.filter((s) => s.type === PT_LOAD && s.filesz > 0);
  if (flashSegments.length === 0) return err('the ELF has no loadable segment with contents');
  let binaryStart = Infinity;
  let binaryEnd = 0;
  for (const s of flashSegments) {
    binaryStart = Math.min(binaryStart, s.paddr);
    binaryEnd = Math.max(binaryEnd, s.paddr + s.filesz);
  }
  const ramSections = elf.sections.filter(
    (s) => (s.flags & SHF_ALLOC) !== 0 && (s.flags & SHF_WRITE) !== 0 && s.size > 0,
  );
  if (ramSections.length === 0)
    return err('the ELF has no writable section: no RAM address to fix');
  let ramStart = Infinity;
  let ramEnd = 0;
  for (const s of ramSections) {
    ramStart = Math.min(ramStart, s.addr);
    ramEnd = Math.max(ramEnd, s.addr + s.size);
  }
  for (const s of flashSegments) {
    if (s.paddr >= ramStart && s.paddr < ramEnd)
      return err(`segment loaded at ${hex(s.paddr)} lies in RAM; link its load address in flash`);
  }
  const pic = options.pic === true;
  if (pic && binaryStart !== PIC_FLASH_BASE)
    return err(
      `a position-independent app must link its flash at ${hex(PIC_FLASH_BASE)} (it starts at ${hex(binaryStart)})`,
    );
  if (pic && ramEnd > PIC_FLASH_BASE)
    return err(`a position-independent app must link its RAM below ${hex(PIC_FLASH_BASE)}`);

  if (pic && options.tbfAddress !== undefined)
    return err('a position-independent app has no TBF address of its own');
  // A PIC app has no address of its own: the header goes right before its binary.
  const tbfAddress = options.tbfAddress ?? binaryStart - (pic ? 0 : 0x80);
  if (tbfAddress < 0 || tbfAddress > binaryStart)
    return err(`TBF address ${hex(tbfAddress)} is after the binary's start ${hex(binaryStart)}`);
  if (elf.entry < binaryStart || elf.entry >= binaryEnd)
    return err(
      `entry ${hex(elf.entry)} is outside the binary ${hex(binaryStart)}-${hex(binaryEnd)}`,
    );

  const ramStatic = ramEnd - ramStart;
  const align = options.ramAlign ?? 8;
  const minimumRamSize =
    options.minimumRamSize ??
    Math.ceil(
      (ramStatic + (options.appHeapSize ?? 1024) + (options.kernelHeapSize ?? 1024)) / align,
    ) * align;
  if (minimumRamSize < ramStatic)
    return err(`minimum RAM ${minimumRamSize} is below the ${ramStatic} bytes its sections use`);

  const kernelVersion =
    options.kernelVersion === undefined ? DEFAULT_KERNEL_VERSION : options.kernelVersion;
  const placeholder = { initFnOffset: 0, protectedTrailerSize: 0, minimumRamSize };
  const tlvs: Omit<TbfHeaderSpec, 'totalSize'> = {
    enabled: options.enabled ?? true,
    main: placeholder,
    program: { ...placeholder, binaryEndOffset: 0, appVersion: options.appVersion ?? 0 },
    packageName: name,
    ...(pic ? {} : { fixedAddresses: { ram: ramStart, flash: binaryStart } }),
    ...(options.shortId !== undefined ? { shortId: options.shortId } : {}),
    ...(kernelVersion ? { kernelVersion: { ...kernelVersion } } : {}),
    ...(options.permissions ? { permissions: options.permissions } : {}),
  };
  const headerSize = tbfHeaderSize(tlvs);
  // A PIC app's binary starts right after its header (its TBF can go anywhere).
  const tbfAt = pic ? binaryStart - headerSize : tbfAddress;
  const protectedTrailerSize = binaryStart - tbfAt - headerSize;
  if (protectedTrailerSize < 0)
    return err(
      `the ${headerSize}-byte TBF header does not fit in the ${binaryStart - tbfAddress} bytes ` +
        `between ${hex(tbfAddress)} and the binary at ${hex(binaryStart)}`,
    );
  // A PIC app's data relocations follow its flash image, word-aligned (its crt0 reads them).
  let relocations: Uint8Array | null = null;
  if (pic) {
    const r = dataRelocationTable(elf, ramSections);
    if (!r.ok) return err(r.error);
    relocations = r.table;
  }
  const maxTotal = Math.min(options.maxTotalSize ?? MAX_TBF_SIZE, 0xfffffffc);
  const span = binaryEnd - tbfAt;
  if (span + (relocations?.length ?? 0) + 8 > maxTotal)
    return err(
      `the app's flash segments span ${hex(binaryStart)}-${hex(binaryEnd)} (${span} bytes from ` +
        `the TBF start ${hex(tbfAt)}): a TBF holds at most ${maxTotal} bytes; is a segment ` +
        `linked far from the others?`,
    );
  const imageEnd = Math.ceil(span / 4) * 4;
  // Footers must start word-aligned, so the binary is zero-padded to a multiple of 4.
  const binaryEndOffset = imageEnd + (relocations?.length ?? 0);
  // Room for a padding credentials footer (type, length, format) keeps parsers that walk
  // footers from reading zeros as TLVs.
  const needed = binaryEndOffset + 8;
  const totalSize = options.totalSize ?? nextPowerOfTwo(needed);
  if (totalSize % 4 !== 0) return err(`total size ${totalSize} is not a multiple of 4`);
  if (totalSize > maxTotal)
    return err(`total size ${totalSize} is more than a TBF may hold (${maxTotal} bytes)`);
  if (needed > totalSize)
    return err(`the app needs ${needed} bytes of flash but its slot holds ${totalSize}`);

  // Measured from the end of the header, as Tock does (Thumb bit kept, as in the ELF's entry).
  const main = {
    initFnOffset: elf.entry - (tbfAt + headerSize),
    protectedTrailerSize,
    minimumRamSize,
  };
  const spec: TbfHeaderSpec = {
    ...tlvs,
    totalSize,
    main,
    program: { ...main, binaryEndOffset, appVersion: options.appVersion ?? 0 },
  };
  const header = buildTbfHeader(spec);
  if (header.length !== headerSize) return err('internal: header size changed while packing');
  const tbf = new Uint8Array(totalSize);
  tbf.set(header, 0);
  for (const s of flashSegments) tbf.set(s.data.subarray(0, s.filesz), s.paddr - tbfAt);
  if (relocations) tbf.set(relocations, imageEnd);
  const view = new DataView(tbf.buffer);
  for (let at = binaryEndOffset; at + 8 <= totalSize;) {
    // Format 0 credentials: padding, no credential. One footer holds at most 65535 bytes.
    const length = Math.min(totalSize - at - 4, 0xfffc);
    view.setUint16(at, TBF_TLV.credentialsFooter, true);
    view.setUint16(at + 2, length, true);
    view.setUint32(at + 4, 0, true);
    at += 4 + length;
  }
  return {
    ok: true,
    value: {
      tbf,
      tbfAddress: pic ? null : tbfAddress,
      headerSize,
      protectedTrailerSize,
      binaryStart,
      binaryEndOffset,
      entry: elf.entry,
      ramStart,
      ramStatic,
      minimumRamSize,
      spec,
    },
  };
}
