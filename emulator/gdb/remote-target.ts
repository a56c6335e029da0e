/**
 * GDB remote target: a `DebugTarget` over a GDB remote protocol stub (QEMU's gdbstub today,
 * OpenOCD on a real board later), built on `GdbRemoteClient`.
 *
 * What the stub tells us drives everything: registers and their `g` layout come from its target
 * description (or GDB's legacy ARM layout when it has none), range stepping is used when `vCont?`
 * lists `r`, flash regions come from its memory map. Stops become `StopInfo`s: the `T` reply's
 * reason (watch/rwatch/awatch with the data address, swbreak/hwbreak) when the stub gives one,
 * else what we asked for (a step, an interrupt) and whether the PC sits on one of our
 * breakpoints. After every stop the registers are read once (`g`) and served from that cache
 * until the target moves or a register is written, so a step costs two round trips.
 *
 * All-stop rules apply: memory, registers and monitor commands need a halted target (they are
 * refused with a message while it runs); breakpoints and watchpoints may be changed while it
 * runs (the target is interrupted, changed and resumed without events in between).
 *
 * Reset uses the stub's monitor: `system_reset` on QEMU (the machine resets and stays stopped),
 * `reset halt` on OpenOCD; a run reset then continues.
 *
 * @example
 *   const client = await GdbRemoteClient.open(transport, { timers });
 *   const target = await openGdbRemoteTarget(client.value, { label: 'QEMU at :1234' });
 *   await target.value.setBreakpoint(0x1234);
 *   await target.value.resume();
 */
import { err, ok, type Result } from '../core/result';
import {
  CORE_REGISTER_NAMES,
  TargetEventHub,
  type CoreRegisters,
  type DebugTarget,
  type MemoryRegion,
  type ResetOptions,
  type RegisterName,
  type StopCause,
  type StopInfo,
  type TargetDescription,
  type TargetEvent,
  type TargetState,
  type Watchpoint,
} from '../debug/target';
import { PointType, type GdbRemoteClient, type ResumeAction } from './client';
import { hexToLeWord, leWordToHex } from './framing';
import {
  gPacketLayout,
  SIGINT,
  SIGTRAP,
  type RegisterInfo,
  type RegisterSlot,
  type StopReply,
} from './protocol';

export type StubFlavor = 'qemu' | 'openocd' | 'generic';

export interface GdbRemoteOptions {
  /** 'QEMU gdbstub at 127.0.0.1:1234': titles and messages. */
  label: string;
  board?: string | null;
  /** Which stub this is ('auto': QEMU answers `qqemu.sstepbits`; else generic). */
  flavor?: StubFlavor | 'auto';
  /** Regions to report when the stub sends no memory map. */
  memoryMap?: MemoryRegion[];
  /** Monitor command that resets the target and leaves it halted (default by flavor). */
  resetCommand?: string;
  /** On close: let the target run on ('detach', default) or end it ('kill'). */
  onClose?: 'detach' | 'kill';
  /** Breakpoint kind: 'auto' uses hardware ones in flash regions and software ones elsewhere. */
  breakpoints?: 'software' | 'hardware' | 'auto';
  /** Comparators the stub can give, when known (OpenOCD on a Cortex-M4: 6 and 4). */
  hardware?: { breakpoints: number; watchpoints: number };
}

/** GDB's ARM register numbering without a target description (r0-r15, f0-f7, fps, cpsr). */
const LEGACY_ARM: RegisterInfo[] = [
  ...Array.from({ length: 16 }, (_, i) => ({
    name: ['sp', 'lr', 'pc'][i - 13] ?? `r${i}`,
    bitsize: 32,
    regnum: i,
    feature: 'legacy',
    type: null,
    group: null,
  })),
  ...Array.from({ length: 8 }, (_, i) => ({
    name: `f${i}`,
    bitsize: 96,
    regnum: 16 + i,
    feature: 'legacy',
    type: null,
    group: null,
  })),
  { name: 'fps', bitsize: 32, regnum: 24, feature: 'legacy', type: null, group: null },
  { name: 'xpsr', bitsize: 32, regnum: 25, feature: 'legacy', type: null, group: null },
];

const DEFAULT_RESET: Record<StubFlavor, string | null> = {
  qemu: 'system_reset',
  openocd: 'reset halt',
  generic: null,
};

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** Opens a target over a connected client. */
export async function openGdbRemoteTarget(
  client: GdbRemoteClient,
  options: GdbRemoteOptions,
): Promise<Result<GdbRemoteTarget>> {
  let flavor: StubFlavor;
  if (options.flavor === undefined || options.flavor === 'auto') {
    const q = await client.command('qqemu.sstepbits');
    if (!q.ok) return q;
    flavor = q.value.startsWith('ENABLE=') ? 'qemu' : 'generic';
  } else flavor = options.flavor;
  const stop = client.initialStop;
  if (stop && stop.kind !== 'signal')
    return err(
      `${options.label}: the target has already ${stop.kind} (status ${stop.kind === 'exited' ? stop.code : stop.signal})`,
    );
  const target = new GdbRemoteTarget(client, options, flavor);
  const first = await target.refreshAfterStop();
  if (!first.ok) {
    client.close();
    return first;
  }
  return ok(target);
}

type Mode = 'continue' | 'step' | 'range';

export class GdbRemoteTarget implements DebugTarget {
  readonly description: TargetDescription;
  private st: TargetState = 'halted';
  private readonly events = new TargetEventHub();
  private readonly slots = new Map<string, RegisterSlot>();
  private readonly layout: RegisterSlot[];
  private cache: string | null = null;
  private lastStop: StopInfo | null = null;
  private readonly breakpoints = new Map<number, PointType>();
  private readonly watchpoints: Watchpoint[] = [];
  /** Resolves when a running target stops (set while running). */
  private running: Promise<Result<StopReply>> | null = null;
  private mode: Mode = 'continue';
  private interrupted = false;
  /** Set while an internal interrupt is in progress: its stop produces no event. */
  private quiet = false;
  private haltWaiters: ((r: Result<StopInfo>) => void)[] = [];
  private rangeLoop: { halt: boolean } | null = null;
  /** The reason `close()` gives, set while it tears the connection down. */
  private closing: string | null = null;

  constructor(
    readonly client: GdbRemoteClient,
    private readonly options: GdbRemoteOptions,
    readonly flavor: StubFlavor,
  ) {
    const regs = client.description?.registers.length ? client.description.registers : LEGACY_ARM;
    this.layout = gPacketLayout(regs);
    for (const s of this.layout) this.slots.set(s.info.name, s);
    // Some stubs call xPSR 'cpsr' (GDB's name for the A-profile register).
    if (!this.slots.has('xpsr') && this.slots.has('cpsr'))
      this.slots.set('xpsr', this.slots.get('cpsr')!);
    const unavailable = CORE_REGISTER_NAMES.filter((n) => !this.slots.has(n));
    const fpu = this.slots.has('d0') || this.slots.has('s0');
    const hw = options.hardware;
    this.description = {
      kind: 'gdb-remote',
      board: options.board ?? null,
      label: options.label,
      memoryMap: client.memoryMap ?? options.memoryMap ?? [],
      capabilities: {
        sideEffectFreeReads: false,
        readWhileRunning: false,
        snapshots: false,
        breakpoints: options.breakpoints === 'hardware' && hw ? hw.breakpoints : Infinity,
        // QEMU checks watchpoints in software: any number. A probe has its DWT comparators.
        watchpoints: hw?.watchpoints ?? (flavor === 'qemu' ? Infinity : 4),
        rangeStep: client.vCont.has('r'),
        fpu,
        programming: false,
        consoles: [],
      },
      ...(unavailable.length ? { unavailableRegisters: unavailable } : {}),
    };
    client.onOutput((text) =>
      this.emit({
        kind: 'console',
        port: 0,
        bytes: new TextEncoder().encode(text),
        source: 'stub',
      }),
    );
    client.onClose((reason) =>
      this.closeWith(this.closing ?? `connection to ${options.label} lost: ${reason}`),
    );
  }

  state(): TargetState {
    return this.st;
  }

  onEvent(listener: (event: TargetEvent) => void): () => void {
    return this.events.on(listener);
  }

  private emit(e: TargetEvent): void {
    this.events.emit(e);
  }

  private closedError(): Result<never> {
    return err(`${this.options.label} is closed`);
  }

  private needHalted(what: string): Result<void> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'running')
      return err(`cannot ${what} while ${this.options.label} runs: halt it first`);
    return ok(undefined);
  }

  // ---- registers ------------------------------------------------------------------------

  /** Reads `g` into the cache and records the stop position (used after every stop). */
  async refreshAfterStop(): Promise<Result<StopInfo>> {
    this.cache = null;
    const g = await this.registersHex();
    if (!g.ok) return g;
    const pc = this.slotValue('pc');
    const info: StopInfo = {
      cause: { kind: 'halted' },
      pc: pc ?? 0,
      instructions: null,
      cycles: null,
    };
    this.lastStop = info;
    return ok(info);
  }

  private async registersHex(): Promise<Result<string>> {
    if (this.cache !== null) return ok(this.cache);
    const r = await this.client.readRegistersHex();
    if (!r.ok) return r;
    this.cache = r.value;
    return r;
  }

  /** A register's value from the cached `g` reply, or null when the reply does not hold it. */
  private slotValue(name: string): number | null {
    const s = this.slots.get(name);
    if (!s || this.cache === null || s.offset + s.width > this.cache.length) return null;
    const h = this.cache.slice(s.offset, s.offset + Math.min(8, s.width));
    if (h.includes('x')) return null;
    return hexToLeWord(h);
  }

  async readRegisters(): Promise<Result<CoreRegisters>> {
    const ready = this.needHalted('read registers');
    if (!ready.ok) return ready;
    const g = await this.registersHex();
    if (!g.ok) return g;
    const out = {} as CoreRegisters;
    for (const name of CORE_REGISTER_NAMES) {
      let v = this.slotValue(name);
      if (v === null && this.slots.has(name)) {
        // Described but not in `g` (some stubs send only the core set): ask for it alone.
        const p = await this.client.readRegisterHex(this.slots.get(name)!.info.regnum);
        if (p.ok) v = hexToLeWord(p.value);
      }
      out[name] = v ?? 0;
    }
    return ok(out);
  }

  /** Maps s<n> onto half of d<n/2> when the stub describes only the double registers. */
  private fpSlot(name: string): { slot: RegisterSlot; half: 0 | 1 } | null {
    const direct = this.slots.get(name);
    if (direct) return { slot: direct, half: 0 };
    const m = /^s(\d+)$/.exec(name);
    if (!m) return null;
    const n = Number(m[1]);
    const d = this.slots.get(`d${n >> 1}`);
    return d ? { slot: d, half: (n & 1) as 0 | 1 } : null;
  }

  async readRegister(name: RegisterName): Promise<Result<number>> {
    const ready = this.needHalted('read registers');
    if (!ready.ok) return ready;
    const found = this.fpSlot(name);
    if (!found)
      return err(`${this.options.label} has no register '${name}' in its target description`);
    const { slot, half } = found;
    const g = await this.registersHex();
    if (!g.ok) return g;
    let h: string | null = null;
    if (slot.offset + slot.width <= g.value.length)
      h = g.value.slice(slot.offset, slot.offset + slot.width);
    if (h === null || h.includes('x')) {
      const p = await this.client.readRegisterHex(slot.info.regnum);
      if (!p.ok) return p;
      h = p.value;
    }
    return ok(hexToLeWord(h.slice(half * 8, half * 8 + 8)));
  }

  async writeRegister(name: RegisterName, value: number): Promise<Result<void>> {
    const ready = this.needHalted('write registers');
    if (!ready.ok) return ready;
    const found = this.fpSlot(name);
    if (!found)
      return err(`${this.options.label} has no register '${name}' in its target description`);
    const { slot, half } = found;
    let h = leWordToHex(value >>> 0);
    if (slot.width > 8) {
      // Keep the other half of a wider register (s<n> inside d<n/2>).
      const cur = await this.client.readRegisterHex(slot.info.regnum);
      if (!cur.ok) return cur;
      h = half === 0 ? h + cur.value.slice(8) : cur.value.slice(0, 8) + h;
    }
    this.cache = null;
    const r = await this.client.writeRegisterHex(slot.info.regnum, h);
    if (r.ok || !r.error.includes('not supported')) return r;
    // No `P`: write the whole set with `G`.
    const g = await this.registersHex();
    if (!g.ok) return g;
    const all = g.value.slice(0, slot.offset) + h + g.value.slice(slot.offset + h.length);
    this.cache = null;
    return this.client.writeRegistersHex(all);
  }

  // ---- memory ---------------------------------------------------------------------------

  async readMemory(address: number, length: number): Promise<Result<Uint8Array>> {
    const ready = this.needHalted('read memory');
    if (!ready.ok) return ready;
    return this.client.readMemory(address >>> 0, length);
  }

  async writeMemory(address: number, data: Uint8Array): Promise<Result<void>> {
    const ready = this.needHalted('write memory');
    if (!ready.ok) return ready;
    this.cache = null;
    return this.client.writeMemory(address >>> 0, data);
  }

  // ---- breakpoints and watchpoints ------------------------------------------------------

  private breakpointType(address: number): PointType {
    const pref = this.options.breakpoints ?? 'auto';
    if (pref === 'hardware') return PointType.Hardware;
    if (pref === 'software') return PointType.Software;
    const inFlash = this.description.memoryMap.some(
      (r) => r.kind === 'flash' && address >= r.start && address < r.start + r.size,
    );
    return inFlash ? PointType.Hardware : PointType.Software;
  }

  async setBreakpoint(address: number): Promise<Result<void>> {
    const a = address >>> 0;
    if (this.st === 'closed') return this.closedError();
    if (this.breakpoints.has(a)) return ok(undefined);
    return this.whileHalted(async () => {
      let type = this.breakpointType(a);
      let r = await this.client.insertPoint(type, a, 2);
      if (!r.ok && type === PointType.Software && (this.options.breakpoints ?? 'auto') === 'auto') {
        // Flash the map did not mention, or a stub without software breakpoints.
        const hw = await this.client.insertPoint(PointType.Hardware, a, 2);
        if (hw.ok) {
          type = PointType.Hardware;
          r = hw;
        }
      }
      if (r.ok) this.breakpoints.set(a, type);
      return r;
    });
  }

  async clearBreakpoint(address: number): Promise<Result<void>> {
    const a = address >>> 0;
    if (this.st === 'closed') return this.closedError();
    const type = this.breakpoints.get(a);
    if (type === undefined) return err(`no breakpoint at ${hex(a)}`);
    return this.whileHalted(async () => {
      const r = await this.client.removePoint(type, a, 2);
      if (r.ok) this.breakpoints.delete(a);
      return r;
    });
  }

  private static watchType(w: Watchpoint): PointType {
    return w.access === 'write'
      ? PointType.WriteWatch
      : w.access === 'read'
        ? PointType.ReadWatch
        : PointType.AccessWatch;
  }

  async setWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (!(watch.length >= 1))
      return err(`watchpoint length must be at least 1 (got ${watch.length})`);
    const w = { ...watch, address: watch.address >>> 0 };
    if (this.watchpoints.some((x) => sameWatch(x, w))) return ok(undefined);
    return this.whileHalted(async () => {
      const r = await this.client.insertPoint(GdbRemoteTarget.watchType(w), w.address, w.length);
      if (r.ok) this.watchpoints.push(w);
      return r;
    });
  }

  async clearWatchpoint(watch: Watchpoint): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const i = this.watchpoints.findIndex((x) => sameWatch(x, watch));
    if (i < 0) return err(`no ${watch.access} watchpoint at ${hex(watch.address)}+${watch.length}`);
    return this.whileHalted(async () => {
      const w = this.watchpoints[i]!;
      const r = await this.client.removePoint(GdbRemoteTarget.watchType(w), w.address, w.length);
      if (r.ok) this.watchpoints.splice(this.watchpoints.indexOf(w), 1);
      return r;
    });
  }

  /**
   * Runs `fn` with the target halted: a running target is interrupted without an event, and
   * continued after; a stop of its own that arrives meanwhile is reported and wins.
   */
  private async whileHalted<T>(fn: () => Promise<Result<T>>): Promise<Result<T>> {
    if (this.st !== 'running' || this.running === null) return fn();
    this.quiet = true;
    this.interrupted = true;
    this.client.interrupt();
    const stop = await this.running;
    this.quiet = false;
    if (!stop.ok) return stop;
    const ours =
      stop.value.kind === 'signal' && stop.value.signal === SIGINT && stop.value.reason === null;
    const r = await fn();
    if (ours && this.state() !== 'closed') this.startRunning(this.mode, false);
    else await this.finishStop(stop.value);
    return r;
  }

  // ---- execution ------------------------------------------------------------------------

  /** Sends a resume and wires its stop to `finishStop`. */
  private startRunning(mode: Mode, announce: boolean, action?: ResumeAction): void {
    this.cache = null;
    this.mode = mode;
    this.interrupted = false;
    this.st = 'running';
    const p = this.client.resume(action ?? { kind: mode === 'step' ? 'step' : 'continue' });
    this.running = p;
    if (announce) this.emit({ kind: 'running' });
    void p.then((r) => {
      if (this.running !== p || this.quiet) return;
      if (r.ok) void this.finishStop(r.value);
    });
  }

  async resume(): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'running') return ok(undefined);
    const off = await this.stepOffBreakpoint();
    if (!off.ok) return off;
    if (off.value !== null && off.value.kind !== 'signal') {
      // The target ended during the step.
      await this.finishStop(off.value);
      return ok(undefined);
    }
    this.startRunning('continue', true);
    return ok(undefined);
  }

  /**
   * Steps off a breakpoint of ours under the PC, as GDB does: the stub's `s` and `c` leave that
   * to the client (OpenOCD's do), and on a Cortex-M an FPB comparator at the PC matches again
   * when execution resumes (ARMv7-M ARM C1.11), so the breakpoint is taken out for one step and
   * put back. Returns that step's stop reply, or null when no breakpoint is under the PC.
   * QEMU's gdbstub steps over its own breakpoints, so nothing is done for it.
   */
  private async stepOffBreakpoint(): Promise<Result<StopReply | null>> {
    if (this.flavor === 'qemu' || this.breakpoints.size === 0) return ok(null);
    const pc = await this.readRegister('pc');
    if (!pc.ok) return pc;
    const a = pc.value >>> 0;
    const type = this.breakpoints.get(a);
    if (type === undefined) return ok(null);
    const off = await this.client.removePoint(type, a, 2);
    if (!off.ok) return off;
    this.cache = null;
    const stepped = await this.client.resume({ kind: 'step' });
    const on = await this.client.insertPoint(type, a, 2);
    if (!stepped.ok) return stepped;
    if (!on.ok) return on;
    return ok(stepped.value);
  }

  /** Turns a stop reply into a StopInfo, records it and emits one `stopped` event. */
  private async finishStop(reply: StopReply): Promise<Result<StopInfo>> {
    this.running = null;
    if (reply.kind !== 'signal') {
      const code = reply.kind === 'exited' ? reply.code : 128 + reply.signal;
      const info: StopInfo = {
        cause: { kind: 'exit', code },
        pc: this.lastStop?.pc ?? 0,
        instructions: null,
        cycles: null,
      };
      this.st = 'halted';
      this.emit({ kind: 'stopped', stop: info });
      this.resolveHalt(ok(info));
      this.closeWith(`${this.options.label}: the target ${reply.kind} (status ${code})`);
      return ok(info);
    }
    this.st = 'halted';
    const regs = await this.refreshAfterStop();
    if (!regs.ok) {
      // Stopped, but its registers cannot be read: say so and report the stop without a PC.
      this.emit({
        kind: 'diagnostic',
        message: `registers unreadable after a stop: ${regs.error}`,
      });
    }
    const pc = regs.ok ? regs.value.pc : (this.lastStop?.pc ?? 0);
    const info: StopInfo = { cause: this.causeOf(reply, pc), pc, instructions: null, cycles: null };
    this.lastStop = info;
    this.st = 'halted';
    this.emit({ kind: 'stopped', stop: info });
    this.resolveHalt(ok(info));
    return ok(info);
  }

  private causeOf(reply: StopReply & { kind: 'signal' }, pc: number): StopCause {
    const r = reply.reason;
    if (r && (r.kind === 'watch' || r.kind === 'rwatch' || r.kind === 'awatch')) {
      const access = r.kind === 'watch' ? 'write' : r.kind === 'rwatch' ? 'read' : 'access';
      const watch =
        this.watchpoints.find(
          (w) =>
            r.address >= w.address &&
            r.address < w.address + w.length &&
            (access === 'access' || w.access === access || w.access === 'access'),
        ) ?? ({ address: r.address, length: 1, access } as Watchpoint);
      return { kind: 'watchpoint', watch, dataAddress: r.address, access };
    }
    if (r && (r.kind === 'swbreak' || r.kind === 'hwbreak'))
      return { kind: 'breakpoint', address: pc };
    if (reply.signal === SIGINT && this.interrupted) return { kind: 'halted' };
    if (reply.signal === SIGTRAP) {
      if (this.mode === 'step' || this.mode === 'range') return { kind: 'step' };
      if (this.breakpoints.has(pc >>> 0)) return { kind: 'breakpoint', address: pc >>> 0 };
    }
    return { kind: 'signal', signal: reply.signal };
  }

  private resolveHalt(r: Result<StopInfo>): void {
    for (const w of this.haltWaiters.splice(0)) w(r);
  }

  async halt(): Promise<Result<StopInfo>> {
    if (this.st === 'closed') return this.closedError();
    if (this.st === 'halted')
      return ok(
        this.lastStop ?? { cause: { kind: 'halted' }, pc: 0, instructions: null, cycles: null },
      );
    const done = new Promise<Result<StopInfo>>((resolve) => this.haltWaiters.push(resolve));
    if (this.rangeLoop) this.rangeLoop.halt = true;
    else {
      this.interrupted = true;
      this.client.interrupt();
    }
    return done;
  }

  async step(): Promise<Result<StopInfo>> {
    const ready = this.needHalted('step');
    if (!ready.ok) return ready;
    this.mode = 'step';
    this.interrupted = false;
    const off = await this.stepOffBreakpoint();
    if (!off.ok) return off;
    if (off.value !== null) return this.finishStop(off.value);
    this.cache = null;
    this.st = 'running';
    const p = this.client.resume({ kind: 'step' });
    this.running = p;
    const r = await p;
    if (!r.ok) return r;
    return this.finishStop(r.value);
  }

  async stepRange(start: number, end: number): Promise<Result<StopInfo>> {
    const ready = this.needHalted('step');
    if (!ready.ok) return ready;
    const lo = start >>> 0;
    const hi = end >>> 0;
    if (this.client.vCont.has('r')) {
      const done = new Promise<Result<StopInfo>>((resolve) => this.haltWaiters.push(resolve));
      this.startRunning('range', true, { kind: 'range', start: lo, end: hi });
      return done;
    }
    // Without range stepping: single steps, checking the PC after each.
    this.st = 'running';
    this.mode = 'range';
    this.emit({ kind: 'running' });
    const loop = { halt: false };
    this.rangeLoop = loop;
    try {
      for (;;) {
        this.cache = null;
        const r = await this.client.resume({ kind: 'step' });
        if (!r.ok) return r;
        const reply = r.value;
        const regs = await this.refreshAfterStop();
        if (!regs.ok) return regs;
        const pc = regs.value.pc >>> 0;
        const plainStep =
          reply.kind === 'signal' && reply.signal === SIGTRAP && reply.reason === null;
        if (!plainStep || pc < lo || pc >= hi || loop.halt) {
          if (plainStep && loop.halt) {
            this.interrupted = true;
            return this.finishStop({ ...reply, signal: SIGINT });
          }
          return this.finishStop(reply);
        }
      }
    } finally {
      this.rangeLoop = null;
    }
  }

  async reset(options: ResetOptions): Promise<Result<void>> {
    if (this.st === 'closed') return this.closedError();
    const command = this.options.resetCommand ?? DEFAULT_RESET[this.flavor];
    if (command === null)
      return err(`${this.options.label}: no reset command known for this stub (give resetCommand)`);
    if (this.st === 'running' && this.running) {
      // Stop it without an event: the reset's own outcome is what gets reported.
      this.quiet = true;
      this.interrupted = true;
      this.client.interrupt();
      await this.running;
      this.quiet = false;
      this.running = null;
      this.st = 'halted';
    }
    const out = await this.client.monitor(command);
    if (!out.ok) return out;
    if (/unknown command|invalid command|error/i.test(out.value))
      return err(`${this.options.label}: reset command '${command}' failed: ${out.value.trim()}`);
    const regs = await this.refreshAfterStop();
    if (!regs.ok) return regs;
    if (options.halt) {
      this.st = 'halted';
      this.emit({ kind: 'stopped', stop: regs.value });
      return ok(undefined);
    }
    this.startRunning('continue', true);
    return ok(undefined);
  }

  async writeConsole(): Promise<Result<void>> {
    return err(
      `${this.options.label} carries no console: the board's UART is not on this connection`,
    );
  }

  async monitor(command: string): Promise<Result<string>> {
    const ready = this.needHalted('send monitor commands');
    if (!ready.ok) return ready;
    this.cache = null;
    return this.client.monitor(command);
  }

  private closeWith(reason: string): void {
    if (this.st === 'closed') return;
    this.st = 'closed';
    this.resolveHalt(err(reason));
    this.emit({ kind: 'closed', reason });
  }

  async close(): Promise<void> {
    if (this.st === 'closed' || this.closing !== null) return;
    this.closing = 'closed by the debugger';
    if (this.st === 'running' && this.running) {
      this.quiet = true;
      this.client.interrupt();
      await this.running;
    }
    if (this.options.onClose === 'kill') this.client.kill();
    else await this.client.detach();
    this.closeWith(this.closing);
  }
}

function sameWatch(a: Watchpoint, b: Watchpoint): boolean {
  return a.address >>> 0 === b.address >>> 0 && a.length === b.length && a.access === b.access;
}
