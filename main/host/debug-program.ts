/**
 * What a debug session knows about the code it runs: the kernel and each app, loaded at the
 * addresses they run at, behind one `ProgramView`.
 *
 * The session asks it for names (symbols, demangled), for where an address is in the source,
 * for the addresses of a source line (breakpoints), for the range of the current line
 * (stepping), for a backtrace and for variables. `ElfProgramView` answers from the ELF symbol
 * tables alone: names and programs, no source; images without debug information get it, and
 * the session then steps by instruction and shows disassembly. The DWARF-backed view
 * (debug-dwarf.ts) answers everything.
 *
 * @example
 *   const view = ElfProgramView.load(images);
 *   view.symbolize(0x1234);  // { name: 'main', offset: 4, program: 'kernel' }
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseElf, type ElfFile, type ElfSymbol } from '../../emulator/formats/elf';
import type { CoreRegisters } from '../../emulator/debug/target';
import type { CallerTable } from '../../emulator/debug/peripherals/call-chain';
import type { Result } from '../../emulator/core/result';
import type { SourceLocation, StackFrame, VariableNode, VariableScope } from '../common/contract';
import type { BoardImages } from './debug-images';

export type ReadMemory = (address: number, length: number) => Promise<Result<Uint8Array>>;

/** The source line an address belongs to, with the range of its line-table row. */
export interface LineAt {
  /** Absolute path as the compiler recorded it. */
  file: string;
  line: number;
  column: number;
  /** This row's address range [start, end). */
  start: number;
  end: number;
  isStmt: boolean;
}

/**
 * A line-table row of a function with what a step decides on at it (ProgramView.stepRows):
 * the answers of `inlineChain` and `shownLine` for its addresses, read once per function.
 */
export interface StepRow extends LineAt {
  /** `inlineChain(start).length`. */
  depth: number;
  /** The least `inlineChain(a).length` at the row's other halfwords (null: it has none). */
  innerDepth: number | null;
  /** `shownLine(start)`. */
  shown: { file: string; line: number } | null;
}

export interface FunctionAt {
  name: string;
  /** Entry address. */
  low: number;
  /** Every range of the function [start, end). */
  ranges: [number, number][];
  program: string;
}

/** One frame of a backtrace, with what stepping needs. */
export interface FrameAt extends StackFrame {
  /** The frame's canonical frame address (stack pointer at the call), when known. */
  cfa: number | null;
}

export interface ProgramView {
  /** Line tables and variables are available (the images carry DWARF). */
  readonly sourceLevel: boolean;
  /** Notices from loading (an app without debug information, a skipped unit). */
  readonly notices: string[];
  /** 'kernel' or the app (process) whose image holds the address. */
  programOf(address: number): string;
  symbolize(address: number): { name: string; offset: number; program: string } | null;
  /** A function or static by name (demangled or linkage name), for Memory's "go to". */
  lookup(name: string): number | null;
  functionAt(address: number): FunctionAt | null;
  lineAt(address: number): LineAt | null;
  /** The logical functions at an address, innermost first (inlined calls, then the function). */
  inlineChain(address: number): string[];
  /**
   * The source lines an address stands for, innermost first: its line, then the call site of
   * each inlined call around it (the code a person wrote that led to it), for "jump to source".
   */
  lineChain?(address: number): { file: string; line: number; column: number }[];
  /**
   * The source lines of a process's system call, innermost first, from the exception frame
   * stacked at `frame`, the stack above it and r4-r11 as they were at the call: unwound
   * through the app's CFI (debug-dwarf.ts). Reads of code outside `stack` go to `code`.
   */
  stackedLineChain?(
    frame: number,
    stack: Uint8Array,
    r4to11: readonly number[],
    code?: ReadMemory,
  ): Promise<{ file: string; line: number; column: number }[]>;
  /**
   * The rows of a function's ranges (with the code inlined into it), in address order, for
   * Step over to hand the worker the rows it may run through in one request. Built once per
   * function and kept with the loaded images (a new build loads a new view).
   */
  stepRows?(fn: FunctionAt): readonly StepRow[];
  /** The line a stop at this address shows (at an inlined call's first instruction: the call). */
  shownLine(address: number): { file: string; line: number } | null;
  /**
   * The source files (as recorded) of the code in a function's ranges: its own and those of
   * the code inlined into it, which a step through it may show.
   */
  filesOf?(ranges: [number, number][]): string[];
  /** Where `file:line` has code; `line` is where it really is (the next line with code). */
  addressesFor(file: string, line: number): { line: number; addresses: number[] } | null;
  /**
   * The function and location `backtrace` gives its first frame at a stop at `address`, without
   * unwinding (the stop's line is shown first; its stack is unwound after).
   */
  topFrame?(address: number): Pick<StackFrame, 'function' | 'location'>;
  /** Logical frames (inlined calls expanded, exception entries crossed), innermost first. */
  backtrace(registers: CoreRegisters, mem: ReadMemory, unavailable?: string[]): Promise<FrameAt[]>;
  /** `statics`: read the kernel's statics too (else their scope is `unread`). */
  variables(frame: number, mem: ReadMemory, statics?: boolean): Promise<VariableScope[]>;
  children(ref: number): Promise<VariableNode[]>;
  evaluate(expression: string, frame: number, mem: ReadMemory): Promise<Result<VariableNode>>;
  /** Where an editable scalar (its `editRef`) lives, for `session.setVariable`. */
  editTarget?(ref: number): { address: number; size: number; type: string; signed: boolean } | null;
  /** Forget values cached for the last stop (variable refs stay valid until then). */
  newStop(): void;
  /** The kernel's unwind rows flattened for the access log's call chains (null without CFI). */
  callerTable?(): CallerTable | null;
}

/**
 * A function's step rows from a view's `lineAt`, `inlineChain` and `shownLine` (their
 * definition; a view caches them, as DwarfProgramView does per function). `depthAt` is
 * `inlineChain(a).length`, or a view's quicker way to count it.
 */
export function stepRowsOf(
  p: ProgramView,
  fn: FunctionAt,
  depthAt: (address: number) => number = (a) => p.inlineChain(a).length,
): StepRow[] {
  const out: StepRow[] = [];
  for (const [lo, hi] of fn.ranges) {
    let a = lo;
    while (a < hi) {
      const l = p.lineAt(a);
      if (!l || l.end <= a) {
        a += 2;
        continue;
      }
      let inner: number | null = null;
      for (let h = l.start + 2; h < l.end; h += 2) {
        const d = depthAt(h);
        inner = inner === null ? d : Math.min(inner, d);
      }
      const shown = p.shownLine(l.start);
      out.push({ ...l, depth: depthAt(l.start), innerDepth: inner, shown });
      a = l.end;
    }
  }
  return out;
}

const relativeCache = new Map<string, string | null>();

/**
 * The project-relative path of a source file the compiler recorded: under the project root, or,
 * for images built where the project was before (moved, copied, another machine), the longest
 * tail of the recorded path that names a file of the project.
 */
export function projectPath(projectRoot: string, file: string): string | null {
  const root = projectRoot.endsWith('/') ? projectRoot : `${projectRoot}/`;
  if (file.startsWith(root)) return file.slice(root.length);
  const key = `${root}\0${file}`;
  const cached = relativeCache.get(key);
  if (cached !== undefined) return cached;
  const parts = file.split('/').filter(Boolean);
  let found: string | null = null;
  for (let i = 0; i < parts.length - 1 && found === null; i++) {
    const rel = parts.slice(i).join('/');
    if (existsSync(path.join(projectRoot, rel))) found = rel;
  }
  relativeCache.set(key, found);
  return found;
}

/** Turns a recorded source path into a location (project-relative when in the project). */
export function sourceLocation(
  projectRoot: string,
  file: string,
  line: number,
  column: number,
): SourceLocation {
  const rel = projectPath(projectRoot, file);
  return { path: rel ?? file, inProject: rel !== null, line, column };
}

interface Image {
  name: string;
  elf: ElfFile;
  funcs: ElfSymbol[];
  /** The loadable segments' ranges [start, end). */
  ranges: [number, number][];
}

function imageOf(name: string, elf: ElfFile): Image {
  const funcs = elf.symbols
    .filter((s) => (s.type === 'func' || s.type === 'object') && s.value !== 0)
    .sort((a, b) => (a.value & ~1) - (b.value & ~1));
  const ranges = elf.segments
    .filter((s) => s.type === 1 && s.memsz > 0)
    .map((s): [number, number] => [s.vaddr >>> 0, (s.vaddr + s.memsz) >>> 0]);
  return { name, elf, funcs, ranges };
}

/** Names from the ELF symbol tables only (no source). */
export class ElfProgramView implements ProgramView {
  readonly sourceLevel = false;
  readonly notices: string[] = [];
  private readonly images: Image[] = [];

  private constructor() {}

  static load(images: BoardImages): ElfProgramView {
    const v = new ElfProgramView();
    const kernel = images.files[0];
    if (kernel) {
      try {
        v.images.push(imageOf('kernel', parseElf(kernel.bytes)));
      } catch (e) {
        v.notices.push(`the kernel ELF could not be read: ${(e as Error).message}`);
      }
    }
    for (const app of images.apps) {
      if (!app.elf) continue;
      try {
        v.images.push(imageOf(app.name, parseElf(new Uint8Array(readFileSync(app.elf)))));
      } catch (e) {
        v.notices.push(`${app.name}: its ELF could not be read: ${(e as Error).message}`);
      }
    }
    v.notices.push(
      'the images carry no usable debug information: stepping is by instruction and frames show disassembly',
    );
    return v;
  }

  private imageFor(address: number): Image | undefined {
    const a = address >>> 0;
    // Apps first: the kernel's segments never overlap them, but its symbol range may.
    for (const i of this.images.slice(1))
      if (i.ranges.some(([lo, hi]) => a >= lo && a < hi)) return i;
    return this.images[0];
  }

  programOf(address: number): string {
    return this.imageFor(address)?.name ?? 'kernel';
  }

  private symbolAt(address: number): { sym: ElfSymbol; image: Image } | null {
    const image = this.imageFor(address);
    if (!image) return null;
    const a = address >>> 0;
    let lo = 0;
    let hi = image.funcs.length - 1;
    let best: ElfSymbol | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = image.funcs[mid]!;
      if ((s.value & ~1) >>> 0 <= a) {
        best = s;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!best) return null;
    const start = (best.value & ~1) >>> 0;
    if (best.size > 0 && a >= start + best.size) return null;
    return { sym: best, image };
  }

  symbolize(address: number): { name: string; offset: number; program: string } | null {
    const s = this.symbolAt(address);
    if (!s) return null;
    return {
      name: s.sym.name,
      offset: (address >>> 0) - ((s.sym.value & ~1) >>> 0),
      program: s.image.name,
    };
  }

  lookup(name: string): number | null {
    for (const i of this.images) {
      const s = i.funcs.find((f) => f.name === name);
      if (s) return s.value & ~1;
    }
    return null;
  }

  functionAt(address: number): FunctionAt | null {
    const s = this.symbolAt(address);
    if (!s || s.sym.type !== 'func') return null;
    const low = (s.sym.value & ~1) >>> 0;
    return {
      name: s.sym.name,
      low,
      ranges: [[low, low + Math.max(2, s.sym.size)]],
      program: s.image.name,
    };
  }

  lineAt(): LineAt | null {
    return null;
  }

  inlineChain(address: number): string[] {
    const f = this.functionAt(address);
    return f ? [f.name] : [];
  }

  shownLine(): null {
    return null;
  }

  addressesFor(): null {
    return null;
  }

  async backtrace(registers: CoreRegisters): Promise<FrameAt[]> {
    const frame = (index: number, pc: number): FrameAt => {
      const s = this.symbolize(pc);
      return {
        index,
        function: s ? s.name : `0x${(pc >>> 0).toString(16).padStart(8, '0')}`,
        pc,
        location: null,
        program: this.programOf(pc),
        inlined: false,
        hasSource: false,
        cfa: null,
      };
    };
    return [frame(0, registers.pc)];
  }

  async variables(): Promise<VariableScope[]> {
    return [];
  }

  async children(): Promise<VariableNode[]> {
    return [];
  }

  async evaluate(): Promise<Result<VariableNode>> {
    return {
      ok: false,
      error: 'expressions need debug information (DWARF), which these images do not carry',
    };
  }

  newStop(): void {}
}
