/**
 * Firmware images as a programmer flashes them: ELF, Intel HEX or a raw binary at an address,
 * reduced to address-and-bytes segments and checked against a machine's memory.
 *
 * A flasher writes an ELF's PT_LOAD segments at their physical (load) addresses, every data
 * record of a HEX file, and a binary where it is told. Several files make one image (the kernel
 * and its TBF apps, as `kernel.mjs build` writes them); where they overlap, the file given
 * later wins, as a flasher programming them in order would (with a notice saying so); segments
 * overlapping inside one file are an error. Each segment must fit a memory the machine can
 * program. Errors are values that name the file, the
 * segment and the problem, so a host can show them as they are.
 *
 * @example
 *   const a = parseImage(elfBytes, { name: 'kernel.elf' });
 *   const b = parseImage(appsBin, { name: 'apps.bin', address: 0x40000 });
 *   const all = combineImages([a.value, b.value]); // b wins where they overlap
 */
import { ElfError, loadableSegments, parseElf, type ElfFile } from '../formats/elf';
import { parseIntelHex } from '../formats/ihex';
import { isTab, parseTab } from '../formats/tab';
import type { Result } from '../core/result';

export type ImageFormat = 'elf' | 'ihex' | 'bin' | 'tab';

/** The architecture our machines run: the TBF a TAB gives them (tockloader's name for it). */
export const TAB_ARCH = 'cortex-m4';

export interface ImageSegment {
  address: number;
  /** Bytes to program. */
  data: Uint8Array;
  /** Bytes the segment occupies in memory (at least data.length; ELF .bss tails). */
  memSize: number;
  /** Where it came from, for messages ("kernel.elf segment 1"). */
  origin: string;
}

export interface FirmwareImage {
  format: ImageFormat;
  segments: ImageSegment[];
  /** The ELF, when the image is one (symbols for the debugger). */
  elf?: ElfFile;
  entry?: number;
}

/** An address in hex; an end past 4 GiB prints as such (0x100000010), never wrapped. */
const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

/** The error for `size` bytes at `address` that run past the 32-bit address space, if they do. */
function pastTop(what: string, address: number, size: number): string | undefined {
  const end = address + size;
  return end > 2 ** 32
    ? `${what}: ${size} bytes at ${hex(address)} end at ${hex(end)}, past the 32-bit address space`
    : undefined;
}

/**
 * Detects the format: ELF by its magic, a TAB (Tock application bundle) by its tar header,
 * Intel HEX by a leading ':' record, else raw binary (a TBF is one).
 */
export function detectFormat(bytes: Uint8Array): ImageFormat {
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46)
    return 'elf';
  if (isTab(bytes)) return 'tab';
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] === 0x3a) return 'ihex';
  return 'bin';
}

/**
 * Parses one file. A raw binary needs `address`; ELF and HEX carry their own addresses (an
 * `address` given with them is an error rather than silently ignored).
 */
export function parseImage(
  bytes: Uint8Array,
  opts: { name: string; address?: number; format?: ImageFormat },
): Result<FirmwareImage> {
  const format = opts.format ?? detectFormat(bytes);
  const name = opts.name;
  if (format !== 'bin' && format !== 'tab' && opts.address !== undefined)
    return {
      ok: false,
      error: `${name}: an ${format === 'elf' ? 'ELF' : 'Intel HEX'} file carries its own addresses; give a load address only for a raw binary or a TAB`,
    };
  if (format === 'tab') return tabImage(bytes, name, opts.address);
  if (format === 'elf') {
    let elf: ElfFile;
    try {
      elf = parseElf(bytes);
    } catch (e) {
      if (e instanceof ElfError) return { ok: false, error: `${name}: ${e.message}` };
      throw e;
    }
    const segs = loadableSegments(elf);
    if (segs.length === 0)
      return { ok: false, error: `${name}: ELF has no loadable (PT_LOAD) segments` };
    for (const [i, s] of segs.entries()) {
      const size = s.paddr === s.vaddr ? Math.max(s.memsz, s.data.length) : s.data.length;
      const top = pastTop(`${name} segment ${i}`, s.paddr, size);
      if (top !== undefined) return { ok: false, error: top };
    }
    return {
      ok: true,
      value: {
        format,
        elf,
        entry: elf.entry,
        segments: segs.map((s, i) => ({
          address: s.paddr >>> 0,
          data: s.data,
          // A segment loaded away from where it runs (.data stored in flash, copied to RAM by
          // the startup code) occupies only its file bytes at the load address: the zeroed
          // tail (.bss) lives at the run address.
          memSize: s.paddr === s.vaddr ? Math.max(s.memsz, s.data.length) : s.data.length,
          origin: `${name} segment ${i}`,
        })),
      },
    };
  }
  if (format === 'ihex') {
    const text = new TextDecoder().decode(bytes);
    const r = parseIntelHex(text);
    if (!r.ok) return { ok: false, error: `${name}: ${r.error}` };
    const v = r.value;
    if (v.segments.length === 0) return { ok: false, error: `${name}: HEX file has no data` };
    return {
      ok: true,
      value: {
        format,
        ...(v.startAddress !== undefined ? { entry: v.startAddress } : {}),
        segments: v.segments.map((s, i) => ({
          address: s.address >>> 0,
          data: s.data,
          memSize: s.data.length,
          origin: `${name} block ${i} (${hex(s.address)})`,
        })),
      },
    };
  }
  if (opts.address === undefined)
    return {
      ok: false,
      error: `${name}: not an ELF file (bad magic) nor Intel HEX; a raw binary needs a load address (${name}@0x40000)`,
    };
  if (bytes.length === 0) return { ok: false, error: `${name}: file is empty` };
  if (opts.address < 0 || !Number.isInteger(opts.address))
    return { ok: false, error: `${name}: load address ${opts.address} is not an address` };
  const top = pastTop(name, opts.address, bytes.length);
  if (top !== undefined) return { ok: false, error: top };
  return {
    ok: true,
    value: {
      format,
      segments: [{ address: opts.address >>> 0, data: bytes, memSize: bytes.length, origin: name }],
    },
  };
}

/**
 * A TAB is programmed as its TBF for our architecture, where it is told (as `tockloader install`
 * puts an app): the position-independent TBF, or the one linked for that place.
 */
function tabImage(
  bytes: Uint8Array,
  name: string,
  address: number | undefined,
): Result<FirmwareImage> {
  const tab = parseTab(bytes);
  if (!tab.ok) return { ok: false, error: `${name}: ${tab.error}` };
  if (address === undefined)
    return {
      ok: false,
      error: `${name}: a TAB needs the address its app goes to (${name}@0x40000)`,
    };
  const forArch = tab.value.tbfs.filter((t) => t.arch === TAB_ARCH);
  const pick =
    forArch.find((t) => t.flash === undefined) ??
    forArch.find((t) => t.flash! >= address && t.flash! < address + t.bytes.length);
  if (!pick)
    return {
      ok: false,
      error: `${name}: TAB '${tab.value.name}' has no ${TAB_ARCH} TBF that can go at ${hex(address)} (it has: ${tab.value.tbfs.map((t) => t.filename).join(', ')})`,
    };
  return {
    ok: true,
    value: {
      format: 'tab',
      segments: [
        {
          address: address >>> 0,
          data: pick.bytes,
          memSize: pick.bytes.length,
          origin: `${name} (${pick.filename})`,
        },
      ],
    },
  };
}

/** The first pair of overlapping segments inside one list, as an error, or null. */
function overlapError(segments: ImageSegment[]): string | null {
  const sorted = [...segments].filter((s) => s.memSize > 0).sort((a, b) => a.address - b.address);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.address < a.address + a.memSize)
      return `overlapping segments: ${a.origin} (${hex(a.address)}-${hex(a.address + a.memSize - 1)}) and ${b.origin} (${hex(b.address)}-${hex(b.address + b.memSize - 1)})`;
  }
  return null;
}

/** The parts of `s` outside [start, end): zero, one or two segments (data clipped to each). */
function clip(s: ImageSegment, start: number, end: number): ImageSegment[] {
  const piece = (from: number, to: number): ImageSegment => {
    const lo = from - s.address;
    return {
      address: from,
      data: s.data.subarray(Math.min(lo, s.data.length), Math.min(to - s.address, s.data.length)),
      memSize: to - from,
      origin: s.origin,
    };
  };
  const out: ImageSegment[] = [];
  const segEnd = s.address + s.memSize;
  if (s.address < start) out.push(piece(s.address, Math.min(start, segEnd)));
  if (segEnd > end) out.push(piece(Math.max(end, s.address), segEnd));
  return out;
}

/**
 * One image from several files, as a flasher programs them one after another (`openocd program`,
 * `nrfjprog --program` without an erase in between): where a later file's segment overlaps what
 * an earlier file put there, the later bytes win, and `notices` says so in one line per
 * overlap. A kernel ELF that reserves the apps area with a few placeholder bytes and the apps
 * image programmed over it is the usual case. Segments overlapping inside one file are still an
 * error: no flasher order decides between them.
 */
export function combineImages(
  images: FirmwareImage[],
): Result<FirmwareImage & { notices: string[] }> {
  for (const image of images) {
    const e = overlapError(image.segments);
    if (e !== null) return { ok: false, error: e };
  }
  let segments: ImageSegment[] = [];
  const notices: string[] = [];
  for (const image of images) {
    for (const n of image.segments) {
      if (n.memSize === 0) continue;
      const end = n.address + n.memSize;
      const kept: ImageSegment[] = [];
      for (const old of segments) {
        const oldEnd = old.address + old.memSize;
        if (old.address >= end || oldEnd <= n.address) {
          kept.push(old);
          continue;
        }
        const from = Math.max(old.address, n.address);
        const to = Math.min(oldEnd, end);
        notices.push(
          `${n.origin} overwrites ${to - from} byte(s) of ${old.origin} at ${hex(from)}-${hex(to - 1)}, as a flasher programming the files in order would`,
        );
        kept.push(...clip(old, n.address, end));
      }
      segments = [...kept, n];
    }
  }
  segments.sort((a, b) => a.address - b.address);
  const elf = images.find((i) => i.elf !== undefined);
  return {
    ok: true,
    value: {
      format: images.length === 1 ? images[0]!.format : 'bin',
      segments,
      notices,
      ...(elf?.elf ? { elf: elf.elf } : {}),
      ...(elf?.entry !== undefined ? { entry: elf.entry } : {}),
    },
  };
}

/** A memory a machine can program, for placement checks. */
export interface ProgrammableMemory {
  name: string;
  base: number;
  size: number;
}

/**
 * Checks that every segment lies wholly inside one of `memories`; the error says which
 * segment, where it ends and what the nearest memory holds ("image larger than flash").
 */
export function checkPlacement(
  image: FirmwareImage,
  memories: ProgrammableMemory[],
  machine: string,
): Result<void> {
  for (const s of image.segments) {
    if (s.memSize === 0) continue;
    const end = s.address + s.memSize;
    const home = memories.find((m) => s.address >= m.base && s.address < m.base + m.size);
    if (home === undefined)
      return {
        ok: false,
        error: `${s.origin} at ${hex(s.address)} (${s.memSize} bytes) is outside ${machine}'s programmable memory (${memories.map((m) => `${m.name} ${hex(m.base)}-${hex(m.base + m.size - 1)}`).join(', ')})`,
      };
    if (end > home.base + home.size)
      return {
        ok: false,
        error: `${s.origin} at ${hex(s.address)} (${s.memSize} bytes) runs ${end - (home.base + home.size)} bytes past the end of ${machine}'s ${home.name} (${home.size / 1024} KiB at ${hex(home.base)})`,
      };
  }
  return { ok: true, value: undefined };
}
