/**
 * The DWARF-backed ProgramView: the kernel and every app loaded where they run (the DWARF
 * reader's `ProgramSet`), answering the session's questions in the contract's shapes.
 *
 * Names are demangled (hash suffix dropped), lines come from the line tables, a breakpoint's
 * line moves to the next line with code in every image that has the file (a capsule compiled
 * into the kernel, a crate shared by apps), backtraces cross exception entries (the crossing is
 * drawn on the frame it interrupted: "SVCall", "SysTick", an IRQ), variables are split into
 * arguments, locals and the kernel's statics, and values render as Rust shows them. Values a
 * panel expands are kept by reference until the next stop. Conditions of breakpoints compare
 * path expressions (`command == 1 && arg1 > 4`).
 *
 * @example
 *   const view = DwarfProgramView.load(images, projectRoot); // ElfProgramView when no DWARF
 *   const frames = await view.backtrace(registers, mem);
 */
import { readFileSync } from 'node:fs';
import { ok, err, type Result } from '../../emulator/core/result';
import type { CoreRegisters } from '../../emulator/debug/target';
import { callerTable, type CallerTable } from '../../emulator/debug/peripherals/call-chain';
import { executeRow } from '../../emulator/formats/dwarf/cfi';
import {
  cachedMemory,
  type CachedMemory,
  DebugInfo,
  demangle,
  memoryFromSegments,
  ProgramSet,
  stopRegistersFrom,
  type Frame,
  type InlineNode,
  type ReadMemory as DwarfMemory,
  type StopRegisters,
  type ValueNode,
} from '../../emulator/formats/dwarf';
import type { StackFrame, VariableNode, VariableScope } from '../common/contract';
import type { BoardImages } from './debug-images';
import {
  ElfProgramView,
  sourceLocation,
  stepRowsOf,
  type FrameAt,
  type FunctionAt,
  type LineAt,
  type ProgramView,
  type ReadMemory,
  type StepRow,
} from './debug-program';

const EXCEPTION_NAMES: Record<number, string> = {
  1: 'Reset',
  2: 'NMI',
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
  11: 'SVCall',
  12: 'DebugMonitor',
  14: 'PendSV',
  15: 'SysTick',
};

/**
 * The registers of the code an exception interrupted, from the frame the hardware stacked at
 * `frame` (ARMv7-M ARM B1.5.6: r0-r3, r12, lr, return address, xPSR); its SP is above the frame
 * and the 4-byte pad that xPSR bit 9 records (B1.5.7). r4-r11 are not in the frame: as given
 * (the registers at the entry), else unknown.
 */
export function stackedRegisters(
  frame: number,
  bytes: Uint8Array,
  r4to11: readonly number[] = [],
): StopRegisters {
  const w = (i: number): number =>
    (bytes[i * 4]! |
      (bytes[i * 4 + 1]! << 8) |
      (bytes[i * 4 + 2]! << 16) |
      (bytes[i * 4 + 3]! << 24)) >>>
    0;
  const xpsr = w(7);
  const core: (number | undefined)[] = [w(0), w(1), w(2), w(3)];
  // r4-r11 are not in the hardware's frame: unknown unless given. Taken as 0 they made the
  // app's frame-pointer row (CFA = r7 + 8) give its first frame CFA 0x8 and read the return
  // address from address 4 (the vector table).
  for (let i = 0; i < 8; i++) core.push(r4to11[i] === undefined ? undefined : r4to11[i]! >>> 0);
  core.push(w(4));
  core.push((frame + 32 + (xpsr & 0x200 ? 4 : 0)) >>> 0, w(5), w(6) & ~1);
  return { core, xpsr };
}

/** The exception's name as the ARMv7-M ARM names it (B1.5.2); IRQ n for external ones. */
export function exceptionName(n: number): string {
  return EXCEPTION_NAMES[n] ?? (n >= 16 ? `IRQ ${n - 16}` : `exception ${n}`);
}

/** A Rust symbol without its hash suffix (`::h0123456789abcdef`). */
export function cleanName(name: string): string {
  return name.replace(/::h[0-9a-f]{16}$/, '');
}

const MAX_STATICS = 200;
/** Crates whose statics are the kernel's own (not core's or the compiler's). */
const OWN_CRATES =
  /^(kernel|capsules|nrf52|mps2|cortexm|board|board_\w+|nrf52840dk|microbit|mps2_an386|cells|registers)(::|$)/;

export class DwarfProgramView implements ProgramView {
  readonly sourceLevel = true;
  readonly notices: string[] = [];
  private frames: Frame[] = [];
  private mem: CachedMemory | null = null;
  private nodes = new Map<number, ValueNode>();
  private nextRef = 1;
  private staticNames: string[] | null = null;

  private constructor(
    private readonly set: ProgramSet,
    private readonly kernel: DebugInfo,
    private readonly projectRoot: string,
  ) {}

  /** The DWARF view of a build, or the symbols-only view when the kernel has no DWARF. */
  static load(images: BoardImages, projectRoot: string): ProgramView {
    const kernelFile = images.files[0];
    if (!kernelFile) return ElfProgramView.load(images);
    const kernel = DebugInfo.load(kernelFile.bytes, { name: 'kernel' });
    if (!kernel.ok || kernel.value.units.length === 0) {
      const v = ElfProgramView.load(images);
      if (!kernel.ok) v.notices.unshift(`the kernel's debug information: ${kernel.error}`);
      return v;
    }
    const set = new ProgramSet([kernel.value]);
    const view = new DwarfProgramView(set, kernel.value, projectRoot);
    view.notices.push(...kernel.value.notices, ...kernel.value.warnings.slice(0, 5));
    for (const app of images.apps) {
      if (!app.elf) {
        view.notices.push(`${app.name}: the build kept no ELF, so its code has no source here`);
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(app.elf));
      } catch (e) {
        view.notices.push(`${app.name}: ${app.elf} could not be read: ${(e as Error).message}`);
        continue;
      }
      const r = set.addApp(bytes, {
        name: app.name,
        flash: app.flash,
        ...(app.binary !== null ? { binary: app.binary } : {}),
        ...(app.ram !== null ? { ram: app.ram } : {}),
      });
      if (!r.ok) view.notices.push(`${app.name}: ${r.error}`);
    }
    return view;
  }

  /** The reader's program set (for the views built on the service: Tock processes, cells). */
  get programSet(): ProgramSet {
    return this.set;
  }

  programOf(address: number): string {
    return this.set.programFor(address)?.name ?? 'kernel';
  }

  symbolize(address: number): { name: string; offset: number; program: string } | null {
    const p = this.set.programFor(address);
    const sym = p?.symbolAt(address);
    if (!p || !sym) return null;
    return {
      name: cleanName(demangle(sym.name)),
      offset: (p.toLink(address) - sym.value) >>> 0,
      program: p.name,
    };
  }

  lookup(name: string): number | null {
    for (const p of this.set.programs()) {
      const s = p.findStatic(name)[0];
      if (s) return s.address;
    }
    for (const p of this.set.programs()) {
      const f = p.allFunctions().find((x) => x.name === name || x.linkageName === name);
      if (f) return f.entry;
    }
    return null;
  }

  functionAt(address: number): FunctionAt | null {
    const f = this.set.functionAt(address);
    if (!f) return null;
    return {
      name: cleanName(f.name),
      low: f.entry >>> 0,
      ranges: f.ranges.map(([a, b]) => [a >>> 0, b >>> 0] as [number, number]),
      program: f.program,
    };
  }

  lineAt(address: number): LineAt | null {
    const l = this.set.lineFor(address);
    if (!l) return null;
    return {
      file: l.file,
      line: l.line,
      column: l.column,
      start: l.address >>> 0,
      end: l.end >>> 0,
      isStmt: l.isStmt,
    };
  }

  /**
   * The function and inlined calls at `address`, innermost first: `scopesAt` without blocks,
   * from the function's cached scope tree (`scopesAt` reads every scope's variables, which
   * cost a step's host turn milliseconds per address at load).
   */
  private logicalScopes(address: number): InlineNode[] {
    const tree = this.set.inlineTree(address);
    return tree ? scopesIn(tree, address) : [];
  }

  inlineChain(address: number): string[] {
    const scopes = this.logicalScopes(address);
    // At an inlined call's first instruction the call has not happened yet (as the backtrace).
    while (scopes.length > 1 && scopes[0]!.inlined && scopes[0]!.entry === address) scopes.shift();
    return scopes.map((s) => cleanName(s.name ?? '?'));
  }

  /**
   * The first frame a backtrace from a stop at `address` gives (its function and location),
   * from the line table and the function's cached scope tree alone: a stop's line is shown
   * before its stack is unwound (frames.ts `backtrace`: at an inlined call's first instruction
   * the call has not happened yet, so the caller shows, at the call site).
   */
  topFrame(address: number): Pick<StackFrame, 'function' | 'location'> {
    const a = address >>> 0;
    const scopes = this.set.programFor(a) ? this.logicalScopes(a) : [];
    let site: { file: string; line: number; column: number } | undefined;
    while (scopes.length > 1 && scopes[0]!.inlined && scopes[0]!.entry === a)
      site = scopes.shift()!.callSite;
    const l = site ?? this.set.lineFor(a);
    const name =
      scopes.length > 0 ? (scopes[0]!.name ?? '<unknown>') : this.set.functionAt(a)?.name;
    const sym = name ? null : this.symbolize(a);
    return {
      function: name
        ? cleanName(name)
        : sym
          ? `${sym.name}${sym.offset ? `+0x${sym.offset.toString(16)}` : ''}`
          : `0x${a.toString(16).padStart(8, '0')}`,
      location:
        l && l.line ? sourceLocation(this.projectRoot, l.file, l.line, l.column ?? 1) : null,
    };
  }

  /** `inlineChain(address).length` without the names. */
  private inlineDepth(address: number): number {
    const tree = this.set.inlineTree(address);
    return tree ? depthIn(tree, address) : 0;
  }

  private readonly rows = new Map<number, StepRow[]>();

  stepRows(fn: FunctionAt): readonly StepRow[] {
    const cached = this.rows.get(fn.low);
    if (cached) return cached;
    // The function's tree once, for every halfword in its ranges.
    const tree = this.set.inlineTree(fn.low);
    const inFn = (a: number): boolean => fn.ranges.some(([lo, hi]) => a >= lo && a < hi);
    const out = stepRowsOf(this, fn, (a) =>
      tree && inFn(a) ? depthIn(tree, a) : this.inlineDepth(a),
    );
    this.rows.set(fn.low, out);
    return out;
  }

  lineChain(address: number): { file: string; line: number; column: number }[] {
    const l = this.set.lineFor(address);
    const out = l ? [{ file: l.file, line: l.line, column: l.column }] : [];
    for (const s of this.set.scopesAt(address))
      if (s.kind === 'inlined' && s.callSite) out.push(s.callSite);
    return out;
  }

  shownLine(address: number): { file: string; line: number } | null {
    let site: { file: string; line: number } | null = null;
    for (const s of this.logicalScopes(address)) {
      if (!s.inlined || s.entry !== address || !s.callSite) break;
      site = s.callSite;
    }
    if (site) return site;
    const l = this.set.lineFor(address);
    return l ? { file: l.file, line: l.line } : null;
  }

  filesOf(ranges: [number, number][]): string[] {
    return [...new Set(ranges.flatMap(([s, e]) => this.set.filesIn(s, e)))];
  }

  addressesFor(file: string, line: number): { line: number; addresses: number[] } | null {
    const found = this.set.addressesFor(file, line).filter((r) => r.addresses.length > 0);
    if (found.length === 0) return null;
    const nearest = Math.min(...found.map((r) => r.line));
    const addresses = [
      ...new Set(found.filter((r) => r.line === nearest).flatMap((r) => r.addresses)),
    ].sort((a, b) => a - b);
    return { line: nearest, addresses };
  }

  private memory(read: ReadMemory): CachedMemory {
    if (!this.mem) this.mem = cachedMemory(read);
    return this.mem;
  }

  /**
   * The stacks an unwind walks, asked for in one trip (the unwinder then reads them line by line
   * from the cache): from SP to the next 4 KiB boundary and the 4 KiB after it, and the same
   * from PSP (a process's stack, below an exception boundary). Reads are split at 4 KiB
   * boundaries so a stack at the top of RAM does not read past its end; a part that fails is
   * read per line as before.
   */
  private prefetchStacks(mem: CachedMemory, regs: CoreRegisters): void {
    const window = (sp: number, far: boolean): void => {
      const boundary = Math.floor(sp / 4096) * 4096 + 4096;
      mem.prefetch(sp, boundary - sp);
      if (far) mem.prefetch(boundary, 4096);
    };
    window(regs.sp >>> 0, true);
    if (regs.psp && regs.psp >>> 0 !== regs.sp >>> 0) window(regs.psp >>> 0, false);
  }

  async backtrace(
    registers: CoreRegisters,
    read: ReadMemory,
    unavailable: string[] = [],
  ): Promise<FrameAt[]> {
    const regs: Record<string, number> = { ...registers };
    for (const name of unavailable) delete regs[name];
    const mem = this.memory(read);
    if (unavailable.length === 0) this.prefetchStacks(mem, registers);
    const bt = await this.set.backtrace(stopRegistersFrom(regs), mem);
    // The exception being handled at each crossing: the stop's IPSR first, then what each
    // crossing interrupted.
    let handling = registers.xpsr & 0x1ff;
    let boundary: string | null = null;
    const out: FrameAt[] = [];
    this.frames = [];
    for (const f of bt.frames) {
      if (f.kind === 'exception') {
        boundary = exceptionName(handling);
        continue;
      }
      if (boundary !== null && f.exception) handling = f.exception.interruptedException;
      const location =
        f.file && f.line ? sourceLocation(this.projectRoot, f.file, f.line, f.column ?? 1) : null;
      const sym = f.function ? null : this.symbolize(f.pc);
      out.push({
        index: out.length,
        function: f.function
          ? cleanName(f.function)
          : sym
            ? `${sym.name}${sym.offset ? `+0x${sym.offset.toString(16)}` : ''}`
            : `0x${(f.pc >>> 0).toString(16).padStart(8, '0')}`,
        pc: f.pc >>> 0,
        location,
        program: f.program ?? this.programOf(f.pc),
        ...(boundary !== null ? { exception: boundary } : {}),
        inlined: f.kind === 'inlined',
        hasSource: location !== null,
        cfa: f.physical.cfa ?? null,
      });
      this.frames.push(f);
      boundary = null;
    }
    if (registers.psp !== undefined && !unavailable.includes('psp'))
      await this.processFrames(out, registers.psp >>> 0, mem);
    return out;
  }

  /**
   * While the kernel serves a process (a syscall, or its time slice ended), the process's own
   * stack is where PSP points: the frame the hardware stacked on its exception entry (ARMv7-M
   * ARM B1.5.6). Its frames go below the kernel's syscall dispatch, with the SVCall boundary,
   * and the kernel's scheduler frames after them, so the stack reads as the story it is.
   */
  private async processFrames(out: FrameAt[], psp: number, mem: DwarfMemory): Promise<void> {
    const at = out.findIndex((f) => /::(handle_syscall|run_process)$/.test(f.function));
    if (at < 0 || out.some((f) => f.program !== 'kernel')) return;
    const stacked = await mem(psp, 32);
    if (!stacked.ok || stacked.value.length < 32) return;
    const regs = stackedRegisters(psp, stacked.value, await this.processR4to11(mem));
    const pc = regs.core[15]!;
    const program = this.programOf(pc);
    if (program === 'kernel') return;
    const op = await mem((pc - 2) >>> 0, 2);
    // The instruction before the return address is SVC (0xDFxx) when the process called the kernel.
    const svc = op.ok && op.value.length === 2 && op.value[1] === 0xdf;
    const bt = await this.set.backtrace(regs, mem);
    const appFrames: FrameAt[] = [];
    const appRaw: Frame[] = [];
    for (const f of bt.frames) {
      if (f.kind === 'exception' || (f.program ?? this.programOf(f.pc)) === 'kernel') break;
      const location =
        f.file && f.line ? sourceLocation(this.projectRoot, f.file, f.line, f.column ?? 1) : null;
      appFrames.push({
        index: 0,
        function: f.function
          ? cleanName(f.function)
          : (this.symbolize(f.pc)?.name ?? `0x${f.pc.toString(16)}`),
        pc: f.pc >>> 0,
        location,
        program,
        inlined: f.kind === 'inlined',
        hasSource: location !== null,
        cfa: f.physical.cfa ?? null,
      });
      appRaw.push(f);
    }
    if (appFrames.length === 0) return;
    const kind = svc ? 'SVCall' : 'an interrupt';
    appFrames[0]!.exception = svc ? 'SVCall' : 'interrupted';
    appFrames[0]!.boundary = svc
      ? `SVCall exception entry: process ${program} called the kernel`
      : `process ${program} was interrupted (${kind}); the kernel took over`;
    const rest = out.splice(at + 1);
    const restRaw = this.frames.splice(at + 1);
    if (rest[0]) rest[0].boundary = `the kernel's scheduler, running process ${program}`;
    out.push(...appFrames, ...rest);
    this.frames.push(...appRaw, ...restRaw);
    out.forEach((f, i) => (f.index = i));
  }

  /**
   * The r4-r11 of the process the kernel serves, which the hardware does not stack: the kernel
   * keeps them first in the process's saved state, which `CM_CURRENT_STATE` points at while
   * the kernel runs on its behalf (kernel/arch/cortex-m: the switch writes them back through
   * that pointer when the process enters the kernel). Empty (unknown) when the kernel has no
   * such symbol or the pointer is not into RAM.
   */
  private async processR4to11(mem: DwarfMemory): Promise<number[]> {
    const sym = this.kernel.elf.symbols.find((s) => s.name === 'CM_CURRENT_STATE');
    if (!sym) return [];
    const ptr = await mem(sym.value >>> 0, 4);
    if (!ptr.ok || ptr.value.length < 4) return [];
    const at = new DataView(ptr.value.buffer, ptr.value.byteOffset).getUint32(0, true);
    // The saved state lives in the kernel's RAM (ARMv7-M ARM B3.1: SRAM from 0x20000000).
    if (at < 0x2000_0000 || at >= 0x4000_0000) return [];
    const saved = await mem(at, 32);
    if (!saved.ok || saved.value.length < 32) return [];
    const v = new DataView(saved.value.buffer, saved.value.byteOffset);
    return Array.from({ length: 8 }, (_, i) => v.getUint32(i * 4, true));
  }

  /**
   * The source lines of a process's system call, innermost first: the exception frame the
   * hardware stacked at `frame`, the stack above it (`stack`) and r4-r11 (`r4to11`), all kept
   * when the call was made, unwound through the app's CFI, each logical frame with its inlined calls, until the walk
   * leaves the process's code. Reads outside `stack` (code, for a function without CFI) go to
   * `code`, and only below the RAM (0x20000000: ARMv7-M ARM B3.1, the code region).
   */
  async stackedLineChain(
    frame: number,
    stack: Uint8Array,
    r4to11: readonly number[],
    code?: ReadMemory,
  ): Promise<{ file: string; line: number; column: number }[]> {
    if (stack.length < 32) return [];
    const kept = memoryFromSegments([{ address: frame >>> 0, data: stack }]);
    const mem: DwarfMemory = async (address, length) => {
      const r = await kept(address, length);
      if (r.ok || !code || (address >>> 0) + length > 0x2000_0000) return r;
      return code(address, length);
    };
    const bt = await this.set.backtrace(stackedRegisters(frame, stack, r4to11), mem);
    const out: { file: string; line: number; column: number }[] = [];
    for (const f of bt.frames) {
      if (f.kind === 'exception' || (f.program ?? this.programOf(f.pc)) === 'kernel') break;
      if (f.file && f.line) out.push({ file: f.file, line: f.line, column: f.column ?? 1 });
    }
    return out;
  }

  private node(v: ValueNode, name = v.name): VariableNode {
    const t = v.value.type;
    const integer =
      t.kind === 'base' && /^-?\d+$/.test(v.text) && !/^(bool|char|f32|f64)$/.test(t.name);
    const editable = v.address !== undefined && t.kind === 'base' && !v.optimizedOut && !v.error;
    let ref = 0;
    if (v.expandable || editable) {
      ref = this.nextRef++;
      this.nodes.set(ref, v);
    }
    return {
      name,
      value: v.text,
      type: v.typeName,
      ref: v.expandable ? ref : 0,
      editable,
      ...(editable ? { editRef: ref } : {}),
      ...(integer ? { numeric: { value: v.text, signed: /^i/.test(t.name) } } : {}),
    };
  }

  async variables(frame: number, read: ReadMemory, statics = false): Promise<VariableScope[]> {
    const f = this.frames[frame];
    if (!f) return [];
    const mem = this.memory(read);
    const vars = await this.set.variables(f, mem);
    const args = vars.filter((v) => v.isParameter).map((v) => this.node(v));
    const locals = vars.filter((v) => !v.isParameter).map((v) => this.node(v));
    return [
      { name: 'Arguments', variables: args },
      { name: 'Locals', variables: locals },
      // The statics are the same for every frame and most of a stop's reading (~10 ms of the
      // host thread at each stop, bench:ide): read only when their group is open.
      statics
        ? { name: 'Statics', variables: await this.statics(mem) }
        : { name: 'Statics', variables: [], unread: true },
    ];
  }

  /** The kernel's own statics (its crates, not core's), by their qualified names. */
  private async statics(mem: DwarfMemory): Promise<VariableNode[]> {
    if (!this.staticNames) {
      const names = new Set<string>();
      for (const s of this.kernel.elf.symbols) {
        if (s.type !== 'object' || s.size === 0) continue;
        const n = cleanName(demangle(s.name));
        if (OWN_CRATES.test(n) && this.kernel.findStatic(n).length) names.add(n);
      }
      this.staticNames = [...names].sort().slice(0, MAX_STATICS);
    }
    const out: VariableNode[] = [];
    for (const name of this.staticNames) {
      const r = await this.set.evaluate(name, { mem });
      if (r.ok) out.push(this.node(r.value, name));
    }
    return out;
  }

  async children(ref: number): Promise<VariableNode[]> {
    const v = this.nodes.get(ref);
    if (!v) return [];
    return (await v.children()).map((c) => this.node(c));
  }

  async evaluate(
    expression: string,
    frame: number,
    read: ReadMemory,
  ): Promise<Result<VariableNode>> {
    const mem = this.memory(read);
    const f = this.frames[frame];
    const cond = await evaluateCondition(expression, (e) =>
      this.set.evaluate(e, { mem, ...(f ? { frame: f } : {}) }),
    );
    if (cond)
      return cond.ok
        ? ok({ name: expression, value: String(cond.value), type: 'bool', ref: 0, editable: false })
        : cond;
    const r = await this.set.evaluate(expression, { mem, ...(f ? { frame: f } : {}) });
    return r.ok ? ok(this.node(r.value, expression)) : r;
  }

  /** Where an edited scalar lives and its size, for `session.setVariable`. */
  editTarget(ref: number): { address: number; size: number; type: string; signed: boolean } | null {
    const v = this.nodes.get(ref);
    if (!v || v.address === undefined || v.value.type.kind !== 'base') return null;
    const t = v.value.type;
    return { address: v.address, size: t.size, type: t.name, signed: /^i/.test(t.name) };
  }

  private callers: CallerTable | null | undefined;
  callerTable(): CallerTable | null {
    if (this.callers !== undefined) return this.callers;
    const fdes = this.kernel.cfi.fdes;
    this.callers = fdes.length === 0 ? null : callerTable(fdes, (fde, a) => executeRow(fde, a));
    return this.callers;
  }

  newStop(): void {
    this.mem = null;
    this.nodes.clear();
    this.frames = [];
  }
}

/**
 * The function and inlined calls of `tree` at `address`, innermost first: `scopesAt` without
 * blocks, descending by the first child that holds the address as it does.
 */
function scopesIn(tree: InlineNode, address: number): InlineNode[] {
  const a = address >>> 0;
  const out = [tree];
  let cur: InlineNode | undefined = tree;
  for (let depth = 0; cur && depth < 256; depth++) {
    cur = cur.children.find((c) => c.ranges.some(([lo, hi]) => a >= lo && a < hi));
    if (cur?.inlined) out.push(cur);
  }
  return out.reverse();
}

/**
 * `inlineChain(address).length` in `tree`: its logical scopes, less the inlined calls whose
 * first instruction this is (the call has not happened yet there).
 */
function depthIn(tree: InlineNode, address: number): number {
  const scopes = scopesIn(tree, address);
  let n = scopes.length;
  for (const s of scopes) {
    if (n <= 1 || !s.inlined || s.entry !== address) break;
    n--;
  }
  return n;
}

/** Literals a condition may compare with. */
function literal(text: string): bigint | boolean | null {
  const t = text.trim().replace(/_/g, '');
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  return null;
}

function scalar(v: ValueNode): bigint | boolean | null {
  const t = v.text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (/^-?\d+$/.test(t)) return BigInt(t);
  if (/^0x[0-9a-f]+$/i.test(t)) return BigInt(t);
  // A pointer or reference renders with its address first.
  const m = /^(?:\(.*?\)\s*)?(0x[0-9a-f]+)/i.exec(t);
  return m ? BigInt(m[1]!) : null;
}

/**
 * A breakpoint condition with comparisons (==, !=, <, <=, >, >=) joined by && and ||, over path
 * expressions and literals; null when `text` has no operator (a plain path, evaluated as is).
 */
export async function evaluateCondition(
  text: string,
  evaluate: (expression: string) => Promise<Result<ValueNode>>,
): Promise<Result<boolean> | null> {
  if (!/(==|!=|<=|>=|&&|\|\||[^-]>|<(?![A-Za-z]))/.test(text)) return null;
  const ors = text.split('||');
  for (const or of ors) {
    let all = true;
    for (const part of or.split('&&')) {
      const m = /^(.*?)(==|!=|<=|>=|<|>)(.*)$/.exec(part);
      const sides = m ? [m[1]!, m[3]!] : [part];
      const values: (bigint | boolean)[] = [];
      for (const side of sides) {
        const lit = literal(side);
        if (lit !== null) {
          values.push(lit);
          continue;
        }
        const v = await evaluate(side.trim());
        if (!v.ok) return err(`${side.trim()}: ${v.error}`);
        const s = scalar(v.value);
        if (s === null) return err(`${side.trim()} is not a number or a bool (${v.value.text})`);
        values.push(s);
      }
      let truth: boolean;
      if (!m) truth = values[0] === true || (typeof values[0] === 'bigint' && values[0] !== 0n);
      else {
        const [a, b] = values as [bigint | boolean, bigint | boolean];
        switch (m[2]) {
          case '==':
            truth = a === b;
            break;
          case '!=':
            truth = a !== b;
            break;
          default: {
            if (typeof a !== 'bigint' || typeof b !== 'bigint')
              return err(`${m[2]} compares numbers only`);
            truth = m[2] === '<' ? a < b : m[2] === '<=' ? a <= b : m[2] === '>' ? a > b : a >= b;
          }
        }
      }
      if (!truth) {
        all = false;
        break;
      }
    }
    if (all) return ok(true);
  }
  return ok(false);
}
