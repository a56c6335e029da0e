/**
 * llvm-dwarfdump-14 as an oracle: runs it and parses the parts of its text output the DWARF
 * reader is checked against (line tables and the address ranges of DIEs).
 *
 * Only what llvm-dwarfdump prints is used; nothing here reads DWARF itself. The parsers are
 * strict: a line they do not expect inside a table fails the parse, so a format change shows
 * up as an error rather than as fewer rows compared.
 *
 * @example
 *   const tables = llvmLineTables('kernel.elf');   // Map<offset, { version, rows, files, dirs }>
 *   const ranges = llvmDieRanges('kernel.elf');    // Map<die offset, { tag, ranges }>
 */
import { spawnSync } from 'node:child_process';

export const DWARFDUMP = 'llvm-dwarfdump-14';

export function haveDwarfdump(): boolean {
  return spawnSync(DWARFDUMP, ['--version'], { encoding: 'utf8' }).status === 0;
}

function run(args: string[]): string {
  const r = spawnSync(DWARFDUMP, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error)
    throw new Error(`${DWARFDUMP} could not run (install Debian's llvm-14): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${DWARFDUMP} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface LlvmRow {
  address: number;
  line: number;
  column: number;
  file: number;
  isa: number;
  discriminator: number;
  flags: string[];
}

export interface LlvmLineTable {
  offset: number;
  version: number;
  includeDirs: Map<number, string>;
  files: Map<number, { name: string; dirIndex: number }>;
  rows: LlvmRow[];
}

const lastQuoted = (s: string): string => {
  const m = /"((?:[^"\\]|\\.)*)"\s*$/.exec(s);
  if (!m) throw new Error(`expected a quoted string in: ${s}`);
  return m[1]!;
};

/** Every line table of `elf` as llvm-dwarfdump --debug-line prints it. */
export function llvmLineTables(elf: string): Map<number, LlvmLineTable> {
  const out = new Map<number, LlvmLineTable>();
  let cur: LlvmLineTable | undefined;
  let file: { index: number; name?: string; dirIndex?: number } | undefined;
  let inRows = false;
  const flushFile = (): void => {
    if (cur && file?.name !== undefined)
      cur.files.set(file.index, { name: file.name, dirIndex: file.dirIndex ?? 0 });
    file = undefined;
  };
  for (const line of run(['--debug-line', elf]).split('\n')) {
    const head = /^debug_line\[0x([0-9a-f]+)\]/.exec(line);
    if (head) {
      flushFile();
      cur = {
        offset: parseInt(head[1]!, 16),
        version: 0,
        includeDirs: new Map(),
        files: new Map(),
        rows: [],
      };
      out.set(cur.offset, cur);
      inRows = false;
      continue;
    }
    if (!cur) continue;
    const version = /^\s+version: (\d+)/.exec(line);
    if (version) cur.version = Number(version[1]);
    const dir = /^include_directories\[\s*(\d+)\] = (.*)$/.exec(line);
    if (dir) cur.includeDirs.set(Number(dir[1]), lastQuoted(dir[2]!));
    const f = /^file_names\[\s*(\d+)\]:/.exec(line);
    if (f) {
      flushFile();
      file = { index: Number(f[1]) };
    }
    const name = /^\s+name: (.*)$/.exec(line);
    if (name && file) file.name = lastQuoted(name[1]!);
    const di = /^\s+dir_index: (\d+)/.exec(line);
    if (di && file) file.dirIndex = Number(di[1]);
    if (line.startsWith('Address ')) {
      flushFile();
      continue;
    }
    if (line.startsWith('------------------')) {
      inRows = true;
      continue;
    }
    if (inRows) {
      if (line.trim() === '') {
        inRows = false;
        continue;
      }
      const m = /^0x([0-9a-f]{16})\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*(.*)$/.exec(line);
      if (!m) throw new Error(`unexpected line-table row: ${line}`);
      cur.rows.push({
        address: parseInt(m[1]!, 16),
        line: Number(m[2]),
        column: Number(m[3]),
        file: Number(m[4]),
        isa: Number(m[5]),
        discriminator: Number(m[6]),
        flags: m[7]!.trim() ? m[7]!.trim().split(/\s+/).sort() : [],
      });
    }
  }
  flushFile();
  return out;
}

export interface LlvmDie {
  offset: number;
  tag: string;
  ranges: [number, number][];
}

/**
 * DIEs of the given tags with their address ranges (low/high pc or DW_AT_ranges), as
 * llvm-dwarfdump --debug-info resolves them; DIEs of those tags without addresses are included
 * with no ranges.
 */
export function llvmDieRanges(elf: string, tags: string[]): Map<number, LlvmDie> {
  const out = new Map<number, LlvmDie>();
  let cur: (LlvmDie & { low?: number; high?: number }) | undefined;
  let inRanges = false;
  const finish = (): void => {
    if (cur && cur.low !== undefined && cur.high !== undefined && cur.high > cur.low)
      cur.ranges.push([cur.low, cur.high]);
    if (cur) out.set(cur.offset, { offset: cur.offset, tag: cur.tag, ranges: cur.ranges });
    cur = undefined;
  };
  for (const line of run(['--debug-info', elf]).split('\n')) {
    const die = /^0x([0-9a-f]+):\s+(DW_TAG_\w+|NULL)/.exec(line);
    if (die) {
      finish();
      inRanges = false;
      if (tags.includes(die[2]!)) cur = { offset: parseInt(die[1]!, 16), tag: die[2]!, ranges: [] };
      continue;
    }
    if (!cur) continue;
    const low = /^\s+DW_AT_low_pc\s+\((0x[0-9a-f]+)\)/.exec(line);
    if (low) cur.low = Number(low[1]);
    const high = /^\s+DW_AT_high_pc\s+\((0x[0-9a-f]+)\)/.exec(line);
    if (high) cur.high = Number(high[1]);
    if (/^\s+DW_AT_ranges\s+\(/.test(line)) {
      inRanges = true;
      continue;
    }
    if (inRanges) {
      const r = /^\s+\[(0x[0-9a-f]+), (0x[0-9a-f]+)\)\)?$/.exec(line);
      if (r) {
        const s = Number(r[1]);
        const e = Number(r[2]);
        if (e > s) cur.ranges.push([s, e]);
        if (line.trimEnd().endsWith('))')) inRanges = false;
        continue;
      }
      inRanges = false;
    }
  }
  finish();
  return out;
}
