/**
 * ProgramSet: the kernel and every app image of one board, resolved as one address space.
 *
 * A debug session sees the kernel's code and each process's code at the same time: a backtrace
 * from an interrupt taken in an app crosses from kernel frames into app frames. Each image is a
 * `DebugInfo` loaded at the address it runs at (its load bias from apps.json, written by the
 * kernel build: scripts/apps.mjs); `programFor(address)` picks the image whose sections hold an
 * address, and the lookups below delegate to it. The kernel is the fallback for addresses that
 * no image claims (so a PC in unmapped memory still names the kernel in messages).
 *
 * @example
 *   const set = new ProgramSet([kernel]);
 *   set.add(appInfo);                             // DebugInfo.load(appElf, { loadBias, name: 'hello' })
 *   set.lineFor(pc); set.functionAt(pc);
 *   const bt = await set.backtrace(regs, mem);
 */
import type { Result } from '../../core/result';
import { err, ok } from '../../core/result';
import {
  DebugInfo,
  type FunctionInfo,
  type LoadOptions,
  type InlineNode,
  type Scope,
} from './debug-info';
import {
  backtrace,
  evaluateExpression,
  frameVariables,
  valueEnv,
  type Backtrace,
  type EvaluateOptions,
  type Frame,
  type FrameVariable,
  type ProgramLookup,
} from './frames';
import type { LineAddresses, LineLocation } from './line';
import type { ReadMemory } from './memory';
import type { RustType } from './types';
import type { StopRegisters, UnwindOptions } from './unwind';
import { renderValue, type ValueNode } from './values';

/** One app as apps.json describes it (the fields this module uses). */
export interface AppManifestEntry {
  name: string;
  /** Path of the app's ELF (Node front ends read it). */
  elf?: string;
  /** Flash address of the app's TBF header. */
  flash: number;
  /** Flash address where the app's binary (its first loadable byte) sits at run time. */
  binary?: number;
  /** RAM start of the app. */
  ram?: number;
}

export class ProgramSet implements ProgramLookup {
  private readonly list: DebugInfo[] = [];
  private ranges: { start: number; end: number; info: DebugInfo }[] = [];

  constructor(programs: DebugInfo[] = []) {
    for (const p of programs) this.add(p);
  }

  add(info: DebugInfo): void {
    this.list.push(info);
    for (const [start, end] of info.allocatedRanges()) this.ranges.push({ start, end, info });
    this.ranges.sort((a, b) => a.start - b.start);
  }

  /** Load an app image at the address it runs at (bias from its manifest entry). */
  addApp(bytes: Uint8Array, app: AppManifestEntry): Result<DebugInfo> {
    const probe = DebugInfo.load(bytes, { name: app.name });
    if (!probe.ok) return probe;
    const bias = appLoadBias(probe.value, app);
    if (!bias.ok) return bias;
    const options: LoadOptions = { name: app.name, loadBias: bias.value };
    const info = bias.value === 0 ? probe : DebugInfo.fromElf(probe.value.elf, options);
    if (!info.ok) return info;
    this.add(info.value);
    return info;
  }

  programs(): DebugInfo[] {
    return this.list;
  }

  /** The image whose code or data holds `address` (code first). */
  programFor(address: number): DebugInfo | undefined {
    const a = address >>> 0;
    for (const p of this.list) if (p.containsCode(a)) return p;
    for (const r of this.ranges) if (a >= r.start && a < r.end) return r.info;
    return this.list[0];
  }

  lineFor(address: number): LineLocation | undefined {
    return this.programFor(address)?.lineFor(address);
  }

  /** Source files of the line rows in [start, end), in the image holding `start`. */
  filesIn(start: number, end: number): string[] {
    return this.programFor(start)?.filesIn(start, end) ?? [];
  }

  /** Addresses of `file:line` in every image that has the file (kernel and apps may share crates). */
  addressesFor(file: string, line: number, exact = false): (LineAddresses & { program: string })[] {
    const out: (LineAddresses & { program: string })[] = [];
    for (const p of this.list) {
      const r = p.addressesFor(file, line, exact);
      if (r) out.push({ ...r, program: p.name });
    }
    return out;
  }

  functionAt(address: number): FunctionInfo | undefined {
    return this.programFor(address)?.functionAt(address);
  }

  /** The function's block and inlined-call tree (DebugInfo.inlineTree). */
  inlineTree(address: number): InlineNode | undefined {
    return this.programFor(address)?.inlineTree(address);
  }

  scopesAt(address: number): Scope[] {
    return this.programFor(address)?.scopesAt(address) ?? [];
  }

  findType(name: string): RustType | undefined {
    for (const p of this.list) {
      const t = p.findType(name);
      if (t) return t;
    }
    return undefined;
  }

  backtrace(regs: StopRegisters, mem: ReadMemory, options?: UnwindOptions): Promise<Backtrace> {
    return backtrace(this, regs, mem, options);
  }

  /** The values of a frame's variables, rendered (children load on demand). */
  async variables(
    frame: Frame,
    mem: ReadMemory,
  ): Promise<(ValueNode & { isParameter: boolean; scopeDepth: number })[]> {
    const vars: FrameVariable[] = await frameVariables(this, frame, mem);
    const env = valueEnv(this, mem);
    return Promise.all(
      vars.map(async (v) => ({
        ...(await renderValue(env, v.value)),
        isParameter: v.isParameter,
        scopeDepth: v.scopeDepth,
      })),
    );
  }

  evaluate(expression: string, options: EvaluateOptions): Promise<Result<ValueNode>> {
    return evaluateExpression(this, expression, options);
  }
}

/**
 * Runtime minus link address of an app: where its first loadable segment runs (`binary` from
 * apps.json) minus where it was linked. Apps linked at their slot (as scripts/apps.mjs builds
 * them) get 0.
 */
export function appLoadBias(info: DebugInfo, app: AppManifestEntry): Result<number> {
  if (app.binary === undefined) return ok(0);
  const text = info.elf.segments.filter((s) => s.type === 1 && s.filesz > 0 && (s.flags & 1) !== 0);
  const first = text.sort((a, b) => a.vaddr - b.vaddr)[0];
  if (!first)
    return err(
      `${app.name}: the ELF has no executable segment to place at 0x${app.binary.toString(16)}`,
    );
  return ok((app.binary - first.vaddr) | 0);
}
