/**
 * Line number programs (.debug_line, DWARF 2-5) and the two-way line index built from them.
 *
 * `readLineProgram` runs one unit's line program (DWARF 5 section 6.2) and returns its header
 * (directories, files) and every row the state machine emits, with all registers (address,
 * file, line, column, is_stmt, basic_block, end_sequence, prologue_end, epilogue_begin, ISA,
 * discriminator) so the table can be compared row by row with other tools. `LineIndex` sorts
 * the rows of every unit into sequences and answers address -> file:line:column and
 * file:line -> addresses (is_stmt rows only, where a line's code begins), plus "the next line
 * at or after N that has code" for placing breakpoints on blank lines.
 *
 * @example
 *   const index = new LineIndex(tables);
 *   index.lookup(0x1234);                         // { file: '/src/main.rs', line: 42, column: 9, ... }
 *   index.addressesFor('src/main.rs', 42);        // { line: 42, addresses: [0x1230] }
 */
import { ByteReader, DwarfError } from './reader';
import { DW_FORM, DW_LNCT, DW_LNE, DW_LNS } from './codes';
import type { DwarfSections } from './units';

export interface LineFile {
  name: string;
  dirIndex: number;
  /** Directory joined with the name (absolute when the unit's directory is). */
  path: string;
}

export interface LineRow {
  address: number;
  opIndex: number;
  file: number;
  line: number;
  column: number;
  isStmt: boolean;
  basicBlock: boolean;
  endSequence: boolean;
  prologueEnd: boolean;
  epilogueBegin: boolean;
  isa: number;
  discriminator: number;
}

export interface LineTable {
  /** Offset of the program in .debug_line. */
  offset: number;
  version: number;
  addressSize: number;
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  directories: string[];
  /** Indexed as the program's DW_LNS_set_file operands index them (1-based before DWARF 5). */
  files: (LineFile | undefined)[];
  rows: LineRow[];
}

function joinPath(dir: string | undefined, name: string): string {
  if (!dir || name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Reads an entry-format-described value (DWARF 5 directory and file tables). */
function readFormValue(
  r: ByteReader,
  form: number,
  is64: boolean,
  sections: DwarfSections,
  strOffsetsBase: number,
): string | number | Uint8Array {
  switch (form) {
    case DW_FORM.string:
      return r.cstr();
    case DW_FORM.line_strp: {
      const off = r.offset(is64);
      return stringIn(sections.lineStr, off, '.debug_line_str');
    }
    case DW_FORM.strp: {
      const off = r.offset(is64);
      return stringIn(sections.str, off, '.debug_str');
    }
    case DW_FORM.strx:
    case DW_FORM.strx1:
    case DW_FORM.strx2:
    case DW_FORM.strx3:
    case DW_FORM.strx4: {
      const idx =
        form === DW_FORM.strx
          ? r.uleb()
          : form === DW_FORM.strx1
            ? r.u8()
            : form === DW_FORM.strx2
              ? r.u16()
              : form === DW_FORM.strx3
                ? r.u24()
                : r.u32();
      const so = sections.strOffsets;
      const size = is64 ? 8 : 4;
      if (!so || strOffsetsBase + (idx + 1) * size > so.length) return '';
      const off = new ByteReader(so, '.debug_str_offsets', strOffsetsBase + idx * size).offset(
        is64,
      );
      return stringIn(sections.str, off, '.debug_str');
    }
    case DW_FORM.udata:
      return r.uleb();
    case DW_FORM.data1:
      return r.u8();
    case DW_FORM.data2:
      return r.u16();
    case DW_FORM.data4:
      return r.u32();
    case DW_FORM.data8:
      return r.u64();
    case DW_FORM.data16:
      return r.bytes(16);
    case DW_FORM.block:
      return r.bytes(r.uleb());
    default:
      return r.fail(`unsupported form 0x${form.toString(16)} in a line table entry format`);
  }
}

function stringIn(data: Uint8Array | undefined, off: number, name: string): string {
  if (!data) throw new DwarfError(`${name} is missing`);
  const r: ByteReader = new ByteReader(data, name, off);
  if (off >= data.length) r.fail(`string offset 0x${off.toString(16)} is outside the section`);
  return r.cstr();
}

/**
 * Runs the line program at `offset`. `compDir` and `compName` stand in for directory and file
 * 0 of DWARF 4 and earlier. Throws `DwarfError` for a malformed header or program.
 */
export function readLineProgram(
  sections: DwarfSections,
  offset: number,
  compDir: string | undefined,
  compName: string | undefined,
  cuAddressSize: number,
  strOffsetsBase = 8,
): LineTable {
  const data = sections.line;
  if (!data) throw new DwarfError('.debug_line is missing');
  const r: ByteReader = new ByteReader(data, '.debug_line', offset);
  const { length, is64 } = r.initialLength();
  const end = r.pos + length;
  if (end > data.length)
    r.fail(`line program length 0x${length.toString(16)} runs past the end of the section`);
  r.end = end;
  const version = r.u16();
  if (version < 2 || version > 5) r.fail(`unsupported line table version ${version}`);
  let addressSize = cuAddressSize;
  if (version >= 5) {
    addressSize = r.u8();
    r.u8(); // segment selector size
  }
  const headerLength = r.offset(is64);
  const programStart = r.pos + headerLength;
  if (programStart > end) r.fail('line program header runs past the program');
  const minInstLength = r.u8();
  const maxOpsPerInst = version >= 4 ? r.u8() : 1;
  const defaultIsStmt = r.u8() !== 0;
  const lineBase = r.i8();
  const lineRange = r.u8();
  const opcodeBase = r.u8();
  if (lineRange === 0) r.fail('line_range is 0');
  if (maxOpsPerInst === 0) r.fail('maximum_operations_per_instruction is 0');
  const standardLengths = [0];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(r.u8());

  const directories: string[] = [];
  const files: (LineFile | undefined)[] = [];
  if (version >= 5) {
    const readEntries = (what: string): Map<number, string | number | Uint8Array>[] => {
      const formatCount = r.u8();
      const format: [number, number][] = [];
      for (let i = 0; i < formatCount; i++) format.push([r.uleb(), r.uleb()]);
      const count = r.uleb();
      if (count > r.remaining) r.fail(`${what} count ${count} is larger than the header`);
      const out: Map<number, string | number | Uint8Array>[] = [];
      for (let i = 0; i < count; i++) {
        const entry = new Map<number, string | number | Uint8Array>();
        for (const [type, form] of format)
          entry.set(type, readFormValue(r, form, is64, sections, strOffsetsBase));
        out.push(entry);
      }
      return out;
    };
    for (const d of readEntries('directory')) directories.push(String(d.get(DW_LNCT.path) ?? ''));
    for (const f of readEntries('file name')) {
      const name = String(f.get(DW_LNCT.path) ?? '');
      const dirIndex = Number(f.get(DW_LNCT.directory_index) ?? 0);
      const dir = directories[dirIndex];
      const base = dirIndex === 0 ? dir : joinPath(directories[0], dir ?? '');
      files.push({ name, dirIndex, path: joinPath(base, name) });
    }
  } else {
    directories.push(compDir ?? '');
    for (;;) {
      const d = r.cstr();
      if (d === '') break;
      directories.push(d);
    }
    files.push(
      compName !== undefined
        ? { name: compName, dirIndex: 0, path: joinPath(compDir, compName) }
        : undefined,
    );
    for (;;) {
      const name = r.cstr();
      if (name === '') break;
      const dirIndex = r.uleb();
      r.uleb(); // modification time
      r.uleb(); // length
      files.push(lineFile(name, dirIndex, directories, compDir));
    }
  }

  const table: LineTable = {
    offset,
    version,
    addressSize,
    minInstLength,
    maxOpsPerInst,
    defaultIsStmt,
    lineBase,
    lineRange,
    opcodeBase,
    directories,
    files,
    rows: [],
  };
  r.pos = programStart;
  runProgram(r, table, standardLengths);
  return table;
}

function lineFile(
  name: string,
  dirIndex: number,
  directories: string[],
  compDir: string | undefined,
): LineFile {
  const dir = dirIndex === 0 ? compDir : joinPath(compDir, directories[dirIndex] ?? '');
  return { name, dirIndex, path: joinPath(dir, name) };
}

function runProgram(r: ByteReader, t: LineTable, standardLengths: number[]): void {
  const rows = t.rows;
  let address = 0;
  let opIndex = 0;
  let file = 1;
  let line = 1;
  let column = 0;
  let isStmt = t.defaultIsStmt;
  let basicBlock = false;
  let endSequence = false;
  let prologueEnd = false;
  let epilogueBegin = false;
  let isa = 0;
  let discriminator = 0;
  const reset = (): void => {
    address = 0;
    opIndex = 0;
    file = 1;
    line = 1;
    column = 0;
    isStmt = t.defaultIsStmt;
    basicBlock = false;
    endSequence = false;
    prologueEnd = false;
    epilogueBegin = false;
    isa = 0;
    discriminator = 0;
  };
  const emit = (): void => {
    rows.push({
      address,
      opIndex,
      file,
      line,
      column,
      isStmt,
      basicBlock,
      endSequence,
      prologueEnd,
      epilogueBegin,
      isa,
      discriminator,
    });
    basicBlock = false;
    prologueEnd = false;
    epilogueBegin = false;
    discriminator = 0;
  };
  const advance = (operationAdvance: number): void => {
    if (t.maxOpsPerInst === 1) {
      address = (address + t.minInstLength * operationAdvance) >>> 0;
    } else {
      const ops = opIndex + operationAdvance;
      address = (address + t.minInstLength * Math.floor(ops / t.maxOpsPerInst)) >>> 0;
      opIndex = ops % t.maxOpsPerInst;
    }
  };
  const addrMask = t.addressSize >= 4 ? 0xffffffff : 2 ** (8 * t.addressSize) - 1;
  while (!r.atEnd()) {
    const op = r.u8();
    if (op >= t.opcodeBase) {
      const adjusted = op - t.opcodeBase;
      advance(Math.floor(adjusted / t.lineRange));
      line += t.lineBase + (adjusted % t.lineRange);
      emit();
      continue;
    }
    switch (op) {
      case 0: {
        const len = r.uleb();
        if (len === 0) r.fail('extended opcode with length 0');
        const next = r.pos + len;
        if (next > r.end) r.fail('extended opcode runs past the program');
        const sub = r.u8();
        if (sub === DW_LNE.end_sequence) {
          endSequence = true;
          emit();
          reset();
        } else if (sub === DW_LNE.set_address) {
          const size = len - 1;
          address = size >= 8 ? r.u64() : r.uSized(size);
          if (addrMask !== 0xffffffff) address &= addrMask;
          opIndex = 0;
        } else if (sub === DW_LNE.define_file) {
          const name = r.cstr();
          const dirIndex = r.uleb();
          t.files.push(lineFile(name, dirIndex, t.directories, t.directories[0]));
        } else if (sub === DW_LNE.set_discriminator) {
          discriminator = r.uleb();
        }
        // Unknown extended opcodes are skipped by their length (DWARF 5 section 6.2.5.3).
        r.pos = next;
        break;
      }
      case DW_LNS.copy:
        emit();
        break;
      case DW_LNS.advance_pc:
        advance(r.uleb());
        break;
      case DW_LNS.advance_line:
        line += r.sleb();
        break;
      case DW_LNS.set_file:
        file = r.uleb();
        break;
      case DW_LNS.set_column:
        column = r.uleb();
        break;
      case DW_LNS.negate_stmt:
        isStmt = !isStmt;
        break;
      case DW_LNS.set_basic_block:
        basicBlock = true;
        break;
      case DW_LNS.const_add_pc:
        advance(Math.floor((255 - t.opcodeBase) / t.lineRange));
        break;
      case DW_LNS.fixed_advance_pc:
        address = (address + r.u16()) >>> 0;
        opIndex = 0;
        break;
      case DW_LNS.set_prologue_end:
        prologueEnd = true;
        break;
      case DW_LNS.set_epilogue_begin:
        epilogueBegin = true;
        break;
      case DW_LNS.set_isa:
        isa = r.uleb();
        break;
      default: {
        // Unknown standard opcode: skip its ULEB operands as the header declares them.
        const n = standardLengths[op] ?? 0;
        for (let i = 0; i < n; i++) r.uleb();
      }
    }
  }
}

/** One result of an address lookup. */
export interface LineLocation {
  /** Full path of the source file (directory joined), as the producer recorded it. */
  file: string;
  line: number;
  column: number;
  /** Address of the row that covers the looked-up address. */
  address: number;
  isStmt: boolean;
  /** End (exclusive) of the range this row covers. */
  end: number;
}

interface Sequence {
  start: number;
  end: number;
  table: LineTable;
  /** Rows of this sequence, end_sequence row excluded, sorted by address. */
  rows: LineRow[];
}

/** Result of `addressesFor`: the line that has code and its addresses (sorted, unique). */
export interface LineAddresses {
  file: string;
  line: number;
  addresses: number[];
}

/** Address <-> line index over the line tables of every unit of one image. */
/** The index of the last row at or below `address` (0 when none is: rows sorted by address). */
function lastRowAtOrBelow(rows: LineRow[], address: number): number {
  let a = 0;
  let b = rows.length - 1;
  while (a < b) {
    const mid = (a + b + 1) >> 1;
    if (rows[mid]!.address <= address) a = mid;
    else b = mid - 1;
  }
  return a;
}

export class LineIndex {
  private readonly sequences: Sequence[] = [];
  /** path -> line -> addresses where the line's code begins (is_stmt). */
  private readonly byFile = new Map<string, Map<number, number[]>>();
  private readonly filesByBase = new Map<string, string[]>();

  /**
   * `isCode` filters sequences by their start address: a linker that drops a function leaves
   * its sequence at address 0 (or its tombstone), which must not shadow the code really there.
   */
  constructor(tables: LineTable[], isCode: (address: number) => boolean = () => true) {
    for (const t of tables) {
      let start = 0;
      for (let i = 0; i < t.rows.length; i++) {
        if (!t.rows[i]!.endSequence) continue;
        const rows = t.rows.slice(start, i);
        const endAddr = t.rows[i]!.address;
        start = i + 1;
        if (rows.length === 0 || endAddr <= rows[0]!.address || !isCode(rows[0]!.address)) continue;
        this.sequences.push({ start: rows[0]!.address, end: endAddr, table: t, rows });
        this.indexSequence(t, rows);
      }
    }
    this.sequences.sort((a, b) => a.start - b.start);
    for (const lines of this.byFile.values())
      for (const [k, v] of lines)
        lines.set(
          k,
          [...new Set(v)].sort((a, b) => a - b),
        );
    for (const path of this.byFile.keys()) {
      const base = basename(path);
      const list = this.filesByBase.get(base);
      if (list) list.push(path);
      else this.filesByBase.set(base, [path]);
    }
  }

  /**
   * Where each line begins: an is_stmt row whose line differs from the previous is_stmt row
   * (rows that are not statements, and line 0, do not start or end a line).
   */
  private indexSequence(t: LineTable, rows: LineRow[]): void {
    let prevFile = -1;
    let prevLine = -1;
    for (const row of rows) {
      if (!row.isStmt || row.line === 0) continue;
      if (row.line !== prevLine || row.file !== prevFile) {
        const path = t.files[row.file]?.path;
        if (path !== undefined) {
          let lines = this.byFile.get(path);
          if (!lines) this.byFile.set(path, (lines = new Map()));
          const list = lines.get(row.line);
          if (list) list.push(row.address);
          else lines.set(row.line, [row.address]);
        }
      }
      prevFile = row.file;
      prevLine = row.line;
    }
  }

  /** Number of sequences (for statistics). */
  get sequenceCount(): number {
    return this.sequences.length;
  }

  /** Every source file that has line rows. */
  files(): string[] {
    return [...this.byFile.keys()].sort();
  }

  /**
   * The source files of the rows with a line in [start, end) (a function's range: its own file
   * and the files of code inlined into it), each once, in address order. A debugger opens these
   * ahead of a step that may show them.
   */
  filesIn(start: number, end: number): string[] {
    const out = new Set<string>();
    for (const s of this.sequences) {
      if (s.start >= end) break;
      if (s.end <= start) continue;
      const rows = s.rows;
      // From the first row that can cover `start`.
      for (let i = lastRowAtOrBelow(rows, start); i < rows.length && rows[i]!.address < end; i++) {
        const row = rows[i]!;
        if (row.line === 0) continue;
        const path = s.table.files[row.file]?.path;
        if (path !== undefined) out.add(path);
      }
    }
    return [...out];
  }

  /**
   * The row covering `address`: the last row at or below it in its sequence. Among rows at
   * the same address the last is_stmt one wins (the statement that begins there).
   */
  lookup(address: number): LineLocation | undefined {
    const seqs = this.sequences;
    let lo = 0;
    let hi = seqs.length - 1;
    let found: Sequence | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = seqs[mid]!;
      if (s.start <= address) {
        if (address < s.end) found = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Overlapping sequences: scan back for one that contains the address.
    if (!found) {
      for (let i = Math.min(lo, seqs.length) - 1; i >= 0 && i >= lo - 8; i--) {
        const s = seqs[i]!;
        if (s.start <= address && address < s.end) {
          found = s;
          break;
        }
      }
    }
    if (!found) return undefined;
    const rows = found.rows;
    let a = lastRowAtOrBelow(rows, address);
    // Line 0 marks code that belongs to no source line (compiler-generated); it does not end
    // the line before it, so the previous row with a line covers it.
    while (a > 0 && rows[a]!.line === 0) a--;
    if (rows[a]!.line === 0) return undefined;
    let i = a;
    const at = rows[i]!.address;
    // Prefer the last is_stmt row among those at this exact address.
    for (let k = i; k >= 0 && rows[k]!.address === at; k--) {
      if (rows[k]!.isStmt) {
        i = k;
        break;
      }
    }
    const row = rows[i]!;
    let end = found.end;
    for (let k = a + 1; k < rows.length; k++) {
      if (rows[k]!.address > at && rows[k]!.line !== 0) {
        end = rows[k]!.address;
        break;
      }
    }
    return {
      file: found.table.files[row.file]?.path ?? `<file ${row.file}>`,
      line: row.line,
      column: row.column,
      address: row.address,
      isStmt: row.isStmt,
      end,
    };
  }

  /** Source paths that `file` names: an exact path, or paths ending in it at a '/' boundary. */
  resolveFile(file: string): string[] {
    if (this.byFile.has(file)) return [file];
    const norm = file.replace(/\\/g, '/').replace(/^\.\//, '');
    const candidates = this.filesByBase.get(basename(norm)) ?? [];
    return candidates.filter((p) => p === norm || p.endsWith(`/${norm}`));
  }

  /**
   * Addresses where `line` of `file` begins (is_stmt rows that start the line), sorted. When
   * the line has no code, the next line below it that has code in the same file is used
   * (what a debugger does with a breakpoint on a blank line) unless `exact` is set.
   */
  addressesFor(file: string, line: number, exact = false): LineAddresses | undefined {
    let best: LineAddresses | undefined;
    for (const path of this.resolveFile(file)) {
      const lines = this.byFile.get(path)!;
      const direct = lines.get(line);
      if (direct) {
        if (!best || best.line !== line) best = { file: path, line, addresses: [...direct] };
        else best.addresses = [...new Set([...best.addresses, ...direct])].sort((a, b) => a - b);
        continue;
      }
      if (exact) continue;
      const next = this.nextLineWithCode(path, line);
      if (next !== undefined && (!best || next < best.line))
        best = { file: path, line: next, addresses: [...lines.get(next)!] };
    }
    return best;
  }

  /** The smallest line >= `line` of `path` that has code, if any. */
  nextLineWithCode(path: string, line: number): number | undefined {
    const lines = this.byFile.get(path);
    if (!lines) return undefined;
    let best: number | undefined;
    for (const l of lines.keys()) if (l >= line && (best === undefined || l < best)) best = l;
    return best;
  }
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}
