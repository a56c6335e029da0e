/**
 * ELF32 reader for ARM images: program headers, sections and symbols from a byte array.
 *
 * The emulator loads firmware from PT_LOAD segments, the debugger names addresses with the
 * symbol table, and the app shows sections; all three come from here. The reader is pure
 * TypeScript and never trusts the file: every offset and size is checked against the buffer
 * and a malformed image throws `ElfError` whose message names what is wrong, so a caller can
 * show it to the user as is.
 *
 * @example
 *   const elf = parseElf(bytes);
 *   for (const s of elf.segments) if (s.type === PT_LOAD) memory.set(s.data, s.paddr);
 */

/** Raised for any image this reader refuses; the message names the problem. */
export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfError';
  }
}

export const ELF_CLASS_32 = 1;
export const ELF_DATA_LSB = 1;
export const EM_ARM = 40;
export const ET_EXEC = 2;
export const PT_LOAD = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

const ELF_HEADER_SIZE = 52;
const PROGRAM_HEADER_SIZE = 32;
const SECTION_HEADER_SIZE = 40;
const SYMBOL_SIZE = 16;

/** Names GNU binutils uses for the e_machine values someone is likely to feed us by mistake. */
const MACHINE_NAMES: Record<number, string> = {
  3: 'x86',
  8: 'MIPS',
  20: 'PowerPC',
  40: 'ARM',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
};

export interface ElfSegment {
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  data: Uint8Array;
}

export interface ElfSection {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
  flags: number;
  data: Uint8Array;
}

export type ElfSymbolType = 'notype' | 'object' | 'func' | 'section' | 'file' | 'other';
export type ElfSymbolBind = 'local' | 'global' | 'weak' | 'other';

export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  type: ElfSymbolType;
  bind: ElfSymbolBind;
  /** Index of the section the symbol is defined in (0 = undefined, 0xfff1 = absolute). */
  section: number;
}

export interface ElfFile {
  entry: number;
  machine: number;
  type: number;
  segments: ElfSegment[];
  sections: ElfSection[];
  symbols: ElfSymbol[];
}

/** Offsets and addresses in hex; a sum past 4 GiB prints as such, never wrapped to 32 bits. */
const hex = (n: number): string => `0x${n.toString(16)}`;

function machineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

/** Slice [offset, offset+size) of the file or throw naming `what`. */
function sliceChecked(bytes: Uint8Array, offset: number, size: number, what: string): Uint8Array {
  if (offset + size > bytes.length) {
    throw new ElfError(
      `${what} lies outside the file (bytes ${hex(offset)}..${hex(offset + size)} of a ${bytes.length}-byte file)`,
    );
  }
  return bytes.subarray(offset, offset + size);
}

function readCString(table: Uint8Array, offset: number, what: string): string {
  if (offset >= table.length) {
    if (offset === 0 && table.length === 0) return '';
    throw new ElfError(`${what} name offset ${offset} is outside its string table`);
  }
  let end = offset;
  while (end < table.length && table[end] !== 0) end++;
  if (end === table.length) throw new ElfError(`${what} name is not NUL-terminated`);
  let s = '';
  for (let i = offset; i < end; i++) s += String.fromCharCode(table[i]!);
  return s;
}

const SYMBOL_TYPES: ElfSymbolType[] = ['notype', 'object', 'func', 'section', 'file'];
const SYMBOL_BINDS: ElfSymbolBind[] = ['local', 'global', 'weak'];

/**
 * Parse a 32-bit little-endian ARM ELF image. Throws `ElfError` for anything else or anything
 * malformed (truncated headers, tables or segments outside the file, bad string offsets).
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 4) throw new ElfError(`not an ELF file: truncated (${bytes.length} bytes)`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new ElfError('not an ELF file: bad magic (expected 7f 45 4c 46)');
  }
  if (bytes.length < 16) throw new ElfError('truncated ELF identification (under 16 bytes)');
  if (bytes[4] !== ELF_CLASS_32) {
    throw new ElfError(
      `not a 32-bit ELF (class ${bytes[4]}${bytes[4] === 2 ? ', 64-bit' : ''}); ARM Cortex-M images are ELF32`,
    );
  }
  if (bytes[5] !== ELF_DATA_LSB) {
    throw new ElfError(`not a little-endian ELF (data encoding ${bytes[5]})`);
  }
  if (bytes.length < ELF_HEADER_SIZE) {
    throw new ElfError(`truncated ELF header (${bytes.length} of ${ELF_HEADER_SIZE} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number): number => view.getUint16(o, true);
  const u32 = (o: number): number => view.getUint32(o, true);

  const type = u16(16);
  const machine = u16(18);
  if (machine !== EM_ARM) {
    throw new ElfError(
      `wrong architecture: ${machineName(machine)} (e_machine ${machine}), expected ARM (40)`,
    );
  }
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  let shnum = u16(48);
  const shstrndx = u16(50);

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    if (phentsize < PROGRAM_HEADER_SIZE) {
      throw new ElfError(`program header entry size ${phentsize} is below ${PROGRAM_HEADER_SIZE}`);
    }
    sliceChecked(bytes, phoff, phnum * phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      const seg = {
        type: u32(o),
        offset: u32(o + 4),
        vaddr: u32(o + 8),
        paddr: u32(o + 12),
        filesz: u32(o + 16),
        memsz: u32(o + 20),
        flags: u32(o + 24),
      };
      if (seg.type === PT_LOAD && seg.filesz > seg.memsz) {
        throw new ElfError(
          `segment ${i}: file size ${seg.filesz} exceeds memory size ${seg.memsz}`,
        );
      }
      const data = sliceChecked(bytes, seg.offset, seg.filesz, `segment ${i}`);
      segments.push({ ...seg, data });
    }
  }

  const sections: ElfSection[] = [];
  const symbols: ElfSymbol[] = [];
  if (shoff !== 0) {
    if (shentsize < SECTION_HEADER_SIZE) {
      throw new ElfError(`section header entry size ${shentsize} is below ${SECTION_HEADER_SIZE}`);
    }
    // With more than 0xff00 sections the real count sits in section 0's size field.
    if (shnum === 0) {
      sliceChecked(bytes, shoff, SECTION_HEADER_SIZE, 'section header table');
      shnum = u32(shoff + 20);
    }
    sliceChecked(bytes, shoff, shnum * shentsize, 'section header table');
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      const s = {
        nameOffset: u32(o),
        type: u32(o + 4),
        flags: u32(o + 8),
        addr: u32(o + 12),
        offset: u32(o + 16),
        size: u32(o + 20),
        link: u32(o + 24),
      };
      const data =
        s.type === SHT_NOBITS || s.type === 0
          ? new Uint8Array(0)
          : sliceChecked(bytes, s.offset, s.size, `section ${i}`);
      raw.push({ ...s, data });
    }
    let names: Uint8Array | undefined;
    if (shstrndx !== 0 && shnum > 0) {
      const strtab = raw[shstrndx];
      if (!strtab)
        throw new ElfError(
          `section name table index ${shstrndx} is out of range (${shnum} sections)`,
        );
      names = strtab.data;
    }
    for (const [i, s] of raw.entries()) {
      sections.push({
        name: names ? readCString(names, s.nameOffset, `section ${i}`) : '',
        type: s.type,
        addr: s.addr,
        offset: s.offset,
        size: s.size,
        flags: s.flags,
        data: s.data,
      });
    }
    for (const [i, s] of raw.entries()) {
      if (s.type !== SHT_SYMTAB) continue;
      const strtab = raw[s.link];
      if (!strtab || strtab.type !== SHT_STRTAB) {
        throw new ElfError(
          `symbol table (section ${i}) links to ${s.link}, which is not a string table`,
        );
      }
      const sv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
      const count = Math.floor(s.data.length / SYMBOL_SIZE);
      for (let k = 1; k < count; k++) {
        const o = k * SYMBOL_SIZE;
        const info = s.data[o + 12]!;
        symbols.push({
          name: readCString(strtab.data, sv.getUint32(o, true), `symbol ${k}`),
          value: sv.getUint32(o + 4, true),
          size: sv.getUint32(o + 8, true),
          type: SYMBOL_TYPES[info & 0xf] ?? 'other',
          bind: SYMBOL_BINDS[info >> 4] ?? 'other',
          section: sv.getUint16(o + 14, true),
        });
      }
    }
  }
  return { entry, machine, type, segments, sections, symbols };
}

/** The PT_LOAD segments that carry bytes, in file order: what a loader copies to memory. */
export function loadableSegments(elf: ElfFile): ElfSegment[] {
  return elf.segments.filter((s) => s.type === PT_LOAD && s.memsz > 0);
}

/** The symbol whose [value, value+size) holds `address` (Thumb bit ignored), if any. */
export function symbolAt(elf: ElfFile, address: number): ElfSymbol | undefined {
  let best: ElfSymbol | undefined;
  for (const s of elf.symbols) {
    if (s.type !== 'func' && s.type !== 'object') continue;
    const start = s.value & ~1;
    if (address >= start && address < start + Math.max(s.size, 1)) {
      if (!best || s.size < best.size) best = s;
    }
  }
  return best;
}
