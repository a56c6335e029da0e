/**
 * Source-level stepping over any DebugTarget: Step over, Step into, Step out and Step
 * instruction, built from the target's range steps, single steps and temporary breakpoints.
 *
 * Step over runs the current line's line-table rows with `stepRange` (the emulator steps a row
 * in one request; a GDB stub with vCont;r does too) until the PC begins a new is_stmt row of
 * another line in the same frame. Leaving the row into a call (the PC at a function's entry)
 * or into an exception handler (IPSR changed) runs to the return point with a temporary
 * breakpoint: LR for a call, the stacked return address for an exception (ARMv7-M ARM B1.5.6),
 * checked against the stack pointer so a recursive call does not stop early. Returning from the
 * function keeps stepping in the caller to the start of its next line, as GDB's `next` does.
 * Step into stops at the first line of a called function that has source, and runs through
 * code without source. Step out runs to the caller's return address.
 *
 * Every stop that is not the step's own (a user breakpoint, a fault, a Pause) ends the step
 * with that stop, so nothing is run through silently.
 *
 * @example
 *   const stop = await stepSource('over', { target, program, registers, frames, waitForStop, isArmed });
 */
import { err, ok, type Result } from '../../emulator/core/result';
import type { CoreRegisters, DebugTarget, StopInfo } from '../../emulator/debug/target';
import type { SourceLocation } from '../common/contract';
import type { FrameAt, FunctionAt, LineAt, ProgramView } from './debug-program';

export type StepKind = 'instruction' | 'over' | 'into' | 'out';

export interface StepContext {
  target: DebugTarget;
  program: ProgramView;
  /** Registers and frames of the current stop, when already read. */
  registers: CoreRegisters | null;
  frames: FrameAt[] | null;
  /**
   * Where the stop shows (its first frame's location), when `frames` are not read yet: Step over
   * and into need only that, not the stack (the service unwinds it after the stop is shown).
   */
  shown?: SourceLocation | null;
  /** The next `stopped` event of the target (register before resuming). */
  waitForStop(): Promise<StopInfo>;
  /** A user breakpoint is set at the address (a temporary one must not remove it). */
  isArmed?(address: number): boolean;
  /**
   * The target starts calls in the order they are made, each before the next, without waiting
   * for answers (a TargetProxy: the calls of one turn leave as one message and the worker starts
   * them back to back). The step then sends a temporary breakpoint with the resume that runs to
   * it, and holds its removal until the step's next call (or its end), so they share a message:
   * a step over a call crossed to the worker 4 times for set, resume, clear and the next row.
   * A target that takes one command at a time (GDB remote) leaves this unset.
   */
  inOrder?: boolean;
}

/** Most rows one step walks before it gives up (a line that loops for ever is run, not stepped). */
const MAX_ROUNDS = 20_000;

const ipsr = (r: CoreRegisters): number => r.xpsr & 0x1ff;
const isExcReturn = (v: number): boolean => v >>> 28 === 0xf;

async function regsOf(t: DebugTarget): Promise<Result<CoreRegisters>> {
  return t.readRegisters();
}

async function word(t: DebugTarget, address: number): Promise<number | null> {
  const r = await t.readMemory(address, 4);
  if (!r.ok || r.value.length < 4) return null;
  const b = r.value;
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** Where an exception taken at this stop returns to: the stacked PC (ARMv7-M ARM B1.5.6). */
async function exceptionReturnPc(t: DebugTarget, r: CoreRegisters): Promise<number | null> {
  if (!isExcReturn(r.lr)) return null;
  const sp = r.lr & 4 ? r.psp : r.msp;
  return word(t, sp + 24);
}

/**
 * Runs until the PC reaches `address` in a frame at or above `sp` (the caller's side), with a
 * temporary breakpoint. Any other stop ends the run and is returned.
 */
async function runTo(
  ctx: Stepping,
  address: number,
  accept: (r: CoreRegisters) => boolean,
): Promise<Result<StopInfo>> {
  const t = ctx.target;
  const a = address & ~1;
  const own = !(ctx.isArmed?.(a) ?? false);
  // In order: the breakpoint leaves with the resume (one message), checked once both answered.
  let setting = own ? t.setBreakpoint(a) : null;
  if (setting && !ctx.inOrder) {
    const set = await setting;
    if (!set.ok) return set;
    setting = null;
  }
  let placed = own;
  try {
    for (;;) {
      const next = ctx.waitForStop();
      const resumed = await t.resume();
      if (setting) {
        const set = await setting;
        setting = null;
        if (!set.ok) {
          // Running without the breakpoint: stop it where it is and say why.
          placed = false;
          if (resumed.ok) await t.halt();
          return set;
        }
      }
      if (!resumed.ok) return resumed;
      const stop = await next;
      if (stop.cause.kind !== 'breakpoint' || stop.pc >>> 0 !== a >>> 0) return ok(stop);
      const r = await regsOf(t);
      if (!r.ok) return r;
      if (accept(r.value)) return ok(stop);
      // A deeper (recursive) activation reached the same address: go on.
    }
  } finally {
    if (placed) {
      if (ctx.inOrder && ctx.hold) ctx.hold(() => t.clearBreakpoint(a));
      else await t.clearBreakpoint(a);
    }
  }
}

/**
 * The rows of `fn` that Step over runs through without a look from the host, merged where they
 * touch: code inlined into the current line (deeper than `depth` at every halfword), and the
 * current line's own rows at `depth`. On any other row the loop in stepLine may stop or change
 * what it steps (a row of another line entered at its start, leaving an inlined call), and the
 * function's entry row is never one (a recursive call must be seen). The worker steps through
 * these in one request (`stepRange`'s `also`); a stop outside them comes back to the loop,
 * which decides as it did row by row. From the view's rows of the function (built once per
 * function per build); none when the view has no such rows.
 */
export function rowsOfLine(
  p: ProgramView,
  fn: FunctionAt,
  depth: number,
  current: { file: string; line: number },
): [number, number][] {
  const out: [number, number][] = [];
  for (const r of p.stepRows?.(fn) ?? []) {
    if (r.start <= fn.low && fn.low < r.end) continue;
    if (r.depth < depth || (r.innerDepth !== null && r.innerDepth < depth)) continue;
    const statement = r.line !== 0 && r.isStmt;
    // Entered at its start at `depth`: the loop stops unless it shows the current line.
    if (statement && r.depth === depth && !sameLine({ ...r, ...(r.shown ?? r) }, current)) continue;
    // Entered elsewhere at `depth`: the loop would go on stepping another line's row; left out.
    if (statement && r.innerDepth === depth && !sameLine(r, current)) continue;
    const last = out[out.length - 1];
    if (last && last[1] === r.start) last[1] = r.end;
    else out.push([r.start, r.end]);
  }
  return out;
}

/** `b.file` may be project-relative (the location the user sees) or absolute (a row's). */
const sameLine = (a: LineAt, b: { file: string; line: number }): boolean =>
  a.line === b.line && (a.file === b.file || a.file.endsWith(`/${b.file}`));

/** The step's own context: where it holds calls that may wait for its next one. */
interface Stepping extends StepContext {
  /** Makes `call` with the step's next call to the target (or at its end): see `inOrder`. */
  hold?(call: () => Promise<unknown>): void;
}

/**
 * The target with held calls made just before each of its calls, in the same turn (so a
 * TargetProxy sends them in one message). readRegisters is not one: the proxy answers it from
 * the stop, and a held call made there would cross alone.
 */
function holding(target: DebugTarget): {
  target: DebugTarget;
  hold(call: () => Promise<unknown>): void;
  release(): void;
} {
  const held: (() => Promise<unknown>)[] = [];
  const release = (): void => {
    // Their answers are not waited for: the target starts them before any later call.
    for (const call of held.splice(0)) void call();
  };
  const wrapped = new Proxy(target, {
    get(t, key, receiver) {
      const v: unknown = Reflect.get(t, key, receiver);
      if (typeof v !== 'function' || key === 'onEvent' || key === 'state') return v;
      const f = v as (...a: unknown[]) => unknown;
      if (key === 'readRegisters') return (...args: unknown[]): unknown => f.apply(t, args);
      return (...args: unknown[]): unknown => {
        release();
        return f.apply(t, args);
      };
    },
  });
  return { target: wrapped, hold: (call) => void held.push(call), release };
}

/** The step; resolves with the stop it ends at (its own, or whatever stopped it first). */
export async function stepSource(kind: StepKind, ctx: StepContext): Promise<Result<StopInfo>> {
  if (!ctx.inOrder) return stepWith(kind, ctx);
  const h = holding(ctx.target);
  try {
    return await stepWith(kind, { ...ctx, target: h.target, hold: h.hold });
  } finally {
    h.release();
  }
}

async function stepWith(kind: StepKind, ctx: Stepping): Promise<Result<StopInfo>> {
  const t = ctx.target;
  if (kind === 'instruction') return t.step();
  const first = ctx.registers ? ok(ctx.registers) : await regsOf(t);
  if (!first.ok) return first;
  const regs = first.value;
  if (kind === 'out') return stepOut(ctx, regs);
  const line = ctx.program.sourceLevel ? ctx.program.lineAt(regs.pc) : null;
  if (!line) return t.step();
  return stepLine(kind, ctx, regs, line);
}

async function stepOut(ctx: Stepping, regs: CoreRegisters): Promise<Result<StopInfo>> {
  const t = ctx.target;
  const chain = ctx.program.inlineChain(regs.pc);
  if (chain.length > 1) return leaveInline(ctx, regs, chain.length);
  const frames = ctx.frames ?? (await ctx.program.backtrace(regs, (a, n) => t.readMemory(a, n)));
  const top = frames[0];
  // The first frame of another activation: skip the inlined frames of this one.
  const caller = frames.find(
    (f, i) => i > 0 && !(top && f.pc === top.pc && f.cfa === top.cfa && top.inlined),
  );
  let ret: number | null = null;
  const startIpsr = ipsr(regs);
  if (caller && !top?.inlined) ret = caller.pc;
  else if (caller && top?.inlined) ret = caller.pc;
  if (ret === null) ret = isExcReturn(regs.lr) ? await exceptionReturnPc(t, regs) : regs.lr & ~1;
  if (ret === null) return err('the caller of this frame is not known: step by instruction');
  const sp0 = regs.sp >>> 0;
  const inException = startIpsr !== 0;
  return runTo(ctx, ret, (r) =>
    inException ? ipsr(r) !== startIpsr || r.sp >>> 0 > sp0 : r.sp >>> 0 > sp0,
  );
}

async function stepLine(
  kind: 'over' | 'into',
  ctx: Stepping,
  regs: CoreRegisters,
  start: LineAt,
): Promise<Result<StopInfo>> {
  const t = ctx.target;
  const p = ctx.program;
  let fn = p.functionAt(regs.pc);
  let sp0 = regs.sp >>> 0;
  let exc0 = ipsr(regs);
  // Where the user sees the stop (at an inlined call's first instruction: its call site).
  const seen = ctx.frames ? ctx.frames[0]?.location : ctx.shown;
  let current = seen
    ? { file: seen.path, line: seen.line }
    : { file: start.file, line: start.line };
  let depth = p.inlineChain(regs.pc).length;
  let range: [number, number] = [start.start, start.end];
  // Step over's rows for the current function, depth and line (see rowsOfLine).
  let rows = null as { key: string; ranges: [number, number][] } | null;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let also: [number, number][] | undefined;
    if (kind === 'over' && fn) {
      const key = `${fn.low}:${depth}:${current.file}:${current.line}`;
      if (rows?.key !== key) rows = { key, ranges: rowsOfLine(p, fn, depth, current) };
      also = rows.ranges;
    }
    const r = await t.stepRange(range[0], range[1], also);
    if (!r.ok) return r;
    const stop = r.value;
    if (stop.cause.kind !== 'step') return ok(stop);
    const now = await regsOf(t);
    if (!now.ok) return now;
    const pc = now.value.pc >>> 0;
    const sp = now.value.sp >>> 0;
    const here = p.functionAt(pc);
    const enteredException =
      ipsr(now.value) !== exc0 && ipsr(now.value) !== 0 && isExcReturn(now.value.lr);
    const called = !enteredException && here !== null && here.low === pc && sp <= sp0;
    if (enteredException || called) {
      if (kind === 'into' && called && p.lineAt(pc)) {
        // Into a function with source: stop at its first line past the prologue.
        return intoBody(ctx, stop, pc);
      }
      const back = enteredException ? await exceptionReturnPc(t, now.value) : now.value.lr & ~1;
      if (back === null) return ok(stop);
      const out = await runTo(ctx, back, (x) =>
        enteredException ? ipsr(x) === exc0 : x.sp >>> 0 >= sp0,
      );
      if (!out.ok) return out;
      if (out.value.cause.kind !== 'breakpoint' || out.value.pc >>> 0 !== back >>> 0) return out;
    }
    const after = await regsOf(t);
    if (!after.ok) return after;
    const pc2 = after.value.pc >>> 0;
    const l = p.lineAt(pc2);
    const fn2 = p.functionAt(pc2);
    const sameFrame =
      fn !== null && fn2 !== null && fn2.low === fn.low && after.value.sp >>> 0 >= sp0;
    if (!l) return ok({ ...stop, pc: pc2 });
    if (sameFrame) {
      const d = p.inlineChain(pc2).length;
      const atLineStart = l.line !== 0 && l.isStmt && pc2 === l.start;
      if (d > depth) {
        // Inside code inlined into this line: Step over runs it, Step into stops at its start.
        if (kind === 'into' && atLineStart) return ok({ ...stop, pc: pc2 });
        range = [l.start, l.end];
        continue;
      }
      if (d < depth) {
        // Left an inlined call (this line was inside it): go on to the caller's next line.
        depth = d;
        current = { file: l.file, line: l.line };
        if (atLineStart) return ok({ ...stop, pc: pc2 });
        range = [l.start, l.end];
        continue;
      }
      const shown = p.shownLine(pc2) ?? l;
      if (atLineStart && !sameLine({ ...l, ...shown }, current)) return ok({ ...stop, pc: pc2 });
      range = [l.start, l.end];
      continue;
    }
    if (after.value.sp >>> 0 > sp0 || (fn2 !== null && fn !== null && fn2.low !== fn.low)) {
      // Returned into the caller, mid-line: step on to the start of its next line.
      if (l.isStmt && pc2 === l.start && l.line !== 0) return ok({ ...stop, pc: pc2 });
      fn = fn2;
      sp0 = after.value.sp >>> 0;
      exc0 = ipsr(after.value);
      depth = p.inlineChain(pc2).length;
      current = { file: l.file, line: l.line };
      range = [l.start, l.end];
      continue;
    }
    return ok({ ...stop, pc: pc2 });
  }
  return err('the line did not end after many steps (a loop?): use Continue or Pause');
}

/** Out of an inlined call: step until the PC is in fewer inlined scopes (or leaves the function). */
async function leaveInline(
  ctx: Stepping,
  regs: CoreRegisters,
  depth: number,
): Promise<Result<StopInfo>> {
  const t = ctx.target;
  const p = ctx.program;
  const fn = p.functionAt(regs.pc);
  const sp0 = regs.sp >>> 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const now = await regsOf(t);
    if (!now.ok) return now;
    const l = p.lineAt(now.value.pc);
    const s = l ? await t.stepRange(l.start, l.end) : await t.step();
    if (!s.ok || s.value.cause.kind !== 'step') return s;
    const pc = s.value.pc >>> 0;
    const here = p.functionAt(pc);
    if (!here || !fn || here.low !== fn.low) {
      // Into a call or out of the function: treat as the step over of that row.
      const r = await regsOf(t);
      if (!r.ok) return r;
      if (r.value.sp >>> 0 < sp0 && here && here.low === pc) {
        const back = await runTo(ctx, r.value.lr & ~1, (x) => x.sp >>> 0 >= sp0);
        if (!back.ok || back.value.cause.kind !== 'breakpoint') return back;
        continue;
      }
      return s;
    }
    if (p.inlineChain(pc).length < depth) return s;
  }
  return err('the inlined call did not end after many steps: use Continue or Pause');
}

/** After entering a function: step through its prologue to its first line of code. */
async function intoBody(ctx: Stepping, stop: StopInfo, entry: number): Promise<Result<StopInfo>> {
  const t = ctx.target;
  let last = stop;
  for (let round = 0; round < 1000; round++) {
    const r = await regsOf(t);
    if (!r.ok) return r;
    const pc = r.value.pc >>> 0;
    const l = ctx.program.lineAt(pc);
    if (!l) return ok(last);
    if (pc !== entry && l.isStmt && pc === l.start && l.line !== 0) return ok(last);
    const s = await t.stepRange(l.start, l.end);
    if (!s.ok) return s;
    if (s.value.cause.kind !== 'step') return s;
    last = s.value;
    const fn = ctx.program.functionAt(s.value.pc);
    if (!fn || fn.low > entry || s.value.pc < entry) {
      // Left the function before its body (a tiny function): this is where it went.
      return ok(last);
    }
  }
  return ok(last);
}
