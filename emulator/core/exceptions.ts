/**
 * The ARMv7-M exception model (ARMv7-M ARM B1.5): priorities, pending and active state,
 * preemption, escalation to HardFault and lockup, exception entry (stacking), return
 * (unstacking, tail-chaining, sleep-on-exit) and the fault status registers.
 *
 * Why a module of its own: the processor (cortex-m.ts) runs instructions, the System Control
 * Space (system/) exposes registers, and both act on this state; keeping it here gives each a
 * small, named surface. The model works on the core's registers and memory through the core
 * (stacking uses its checked access paths, so stacking faults are derived faults as B1.5.6 and
 * B1.5.8 describe); everything here is plain data, saved in snapshots by the SCS.
 *
 * Usage (cortex-m.ts):
 *   const exc = new ExceptionModel(core, numIrqs, priorityBits);
 *   exc.setPending(Exc.SysTick);
 *   if (exc.takePending()) ...; // between instructions
 */
import type { CortexM } from './cortex-m';
import { BusErrorSignal } from './interfaces';

/**
 * Cycles of the exception sequences, as the Cortex-M4 TRM (r0p1, section 3.9.1 "Exception
 * handling", and ARM's knowledge article 103489845 quoting it) gives them for a zero-wait-state
 * system without FP context: entry 12 (stacking in parallel with the vector fetch), return 10
 * (unstacking), tail-chaining 6 (no pop and push between two handlers).
 */
export const EXCEPTION_ENTRY_CYCLES = 12;
export const EXCEPTION_RETURN_CYCLES = 10;
export const TAIL_CHAIN_CYCLES = 6;

/** Exception numbers (B1.5.2). */
export const enum Exc {
  Reset = 1,
  NMI = 2,
  HardFault = 3,
  MemManage = 4,
  BusFault = 5,
  UsageFault = 6,
  SVCall = 11,
  DebugMonitor = 12,
  PendSV = 14,
  SysTick = 15,
}

/** Configurable Fault Status Register bits (B3.2.15). */
export const CFSR = {
  IACCVIOL: 1 << 0,
  DACCVIOL: 1 << 1,
  MUNSTKERR: 1 << 3,
  MSTKERR: 1 << 4,
  MMARVALID: 1 << 7,
  IBUSERR: 1 << 8,
  PRECISERR: 1 << 9,
  UNSTKERR: 1 << 11,
  STKERR: 1 << 12,
  BFARVALID: 1 << 15,
  UNDEFINSTR: 1 << 16,
  INVSTATE: 1 << 17,
  INVPC: 1 << 18,
  NOCP: 1 << 19,
  UNALIGNED: 1 << 24,
  DIVBYZERO: 1 << 25,
} as const;

/** HardFault Status Register bits (B3.2.16). */
export const HFSR = {
  VECTTBL: 1 << 1,
  FORCED: 1 << 30,
  DEBUGEVT: 1 << 31,
} as const;

/** Stacking in progress, so a fault inside push/pop is reported as a derived fault. */
export const enum Stk {
  None = 0,
  Push = 1,
  Pop = 2,
}

/** Thrown (never allocated per fault) to unwind an executor into the fault handler. */
export class FaultSignal {
  readonly kind = 'fault';
}
export const FAULT = new FaultSignal();

/** CCR.STKALIGN (B3.2.8): 8-byte aligned exception frames. */
const CCR_STKALIGN = 0x200;
/** CCR.NONBASETHRDENA: return to Thread mode with other exceptions active is allowed. */
const CCR_NONBASETHRDENA = 0x1;
/** SCR.SLEEPONEXIT (B3.2.7). */
const SCR_SLEEPONEXIT = 0x2;

/** Byte order of the engine's typed arrays (little-endian on every platform we ship for). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * First index >= `from` whose byte is non-zero in the byte array viewed as `words`, or -1.
 * Empty words are skipped whole; within a word the lowest set byte is found with clz32.
 */
function nextSet(words: Uint32Array, from: number): number {
  let i = from >> 2;
  if (i >= words.length) return -1;
  if (!LITTLE_ENDIAN) {
    const bytes = new Uint8Array(words.buffer);
    for (let e = from; e < bytes.length; e++) if (bytes[e] !== 0) return e;
    return -1;
  }
  // Bytes below `from` in its word are masked off (byte k of a word is bits 8k..8k+7).
  let x = words[i]! & (-1 << ((from & 3) << 3));
  while (x === 0) {
    if (++i >= words.length) return -1;
    x = words[i]!;
  }
  return (i << 2) + ((31 - Math.clz32(x & -x)) >> 3);
}

export class ExceptionModel {
  /** 16 system exceptions and the external interrupts. */
  readonly numExceptions: number;
  /** Priority per exception (Reset, NMI and HardFault fixed at -3, -2, -1). */
  readonly prio: Int16Array;
  readonly pending: Uint8Array;
  readonly active: Uint8Array;
  /** `pending` and `active` seen four exceptions at a time (same memory; see `nextSet`). */
  private readonly pendingWords: Uint32Array;
  private readonly activeWords: Uint32Array;
  /** NVIC enables (external interrupts; system exceptions use `shcsrEna`). */
  readonly enabled: Uint8Array;
  /** Level of each external interrupt line (a high level re-pends after the handler). */
  readonly levels: Uint8Array;
  /** Mask of the implemented priority bits (e.g. 0xE0 for 3 bits). */
  readonly prioMask: number;
  /** AIRCR.PRIGROUP. */
  prigroup = 0;
  vtor = 0;
  /** SHCSR MEMFAULTENA, BUSFAULTENA, USGFAULTENA (bits 0-2). */
  shcsrEna = 0;
  cfsr = 0;
  hfsr = 0;
  dfsr = 0;
  mmfar = 0;
  bfar = 0;
  /** Stacking in progress (fault attribution of the core's access paths). */
  stacking: Stk = Stk.None;
  /** EXC_RETURN of a return that SLEEPONEXIT turned into sleep (0 when none). */
  private sleepOnExitReturn = 0;
  /** Scratch for the unstacked frame (read in full before any register is written). */
  private readonly unstacked = new Int32Array(8);
  /**
   * Scratch for the frame being stacked (values as the registers hold them; an array of
   * numbers, not an Int32Array, so the PC and xPSR words keep their unsigned values for the
   * slow path's write hooks). One per core: entry allocated an array per exception before.
   */
  private readonly stacked: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

  constructor(
    private readonly cpu: CortexM,
    numIrqs: number,
    priorityBits: number,
  ) {
    this.numExceptions = 16 + numIrqs;
    this.prio = new Int16Array(this.numExceptions);
    // Padded to whole words for the word views; the padding bytes are never written.
    const bytes = (this.numExceptions + 3) & ~3;
    const pendingBuf = new ArrayBuffer(bytes);
    const activeBuf = new ArrayBuffer(bytes);
    this.pending = new Uint8Array(pendingBuf, 0, this.numExceptions);
    this.active = new Uint8Array(activeBuf, 0, this.numExceptions);
    this.pendingWords = new Uint32Array(pendingBuf);
    this.activeWords = new Uint32Array(activeBuf);
    this.enabled = new Uint8Array(this.numExceptions);
    this.levels = new Uint8Array(numIrqs);
    this.prioMask = (0xff << (8 - priorityBits)) & 0xff;
  }

  /** Reset values (B1.5.5 TakeReset, B3.2). */
  reset(): void {
    this.prio.fill(0);
    this.prio[Exc.Reset] = -3;
    this.prio[Exc.NMI] = -2;
    this.prio[Exc.HardFault] = -1;
    this.pending.fill(0);
    this.active.fill(0);
    this.enabled.fill(0);
    this.levels.fill(0);
    this.prigroup = 0;
    this.vtor = 0;
    this.shcsrEna = 0;
    this.cfsr = this.hfsr = this.dfsr = this.mmfar = this.bfar = 0;
    this.stacking = Stk.None;
    this.sleepOnExitReturn = 0;
  }

  /** Group priority of priority `p` under PRIGROUP (B1.5.4). */
  groupPrio(p: number): number {
    if (p < 0) return p;
    const sub = (2 << this.prigroup) - 1;
    return p & ~sub & 0xff;
  }

  isEnabled(e: number): boolean {
    if (e >= 16) return this.enabled[e] !== 0;
    switch (e) {
      case Exc.MemManage:
        return (this.shcsrEna & 1) !== 0;
      case Exc.BusFault:
        return (this.shcsrEna & 2) !== 0;
      case Exc.UsageFault:
        return (this.shcsrEna & 4) !== 0;
      default:
        return true;
    }
  }

  /** Active exceptions (the ICSR.RETTOBASE and return checks count them). */
  // The scans below visit only the exceptions whose byte is set, four bytes per step through
  // a word view of the same memory (`nextSet`), so an exception return with one or two active
  // exceptions skips the empty words instead of testing all 64 bytes (nRF52840). The answers
  // are those of a full pass, in the same order.
  activeCount(): number {
    const w = this.activeWords;
    let n = 0;
    for (let e = nextSet(w, 1); e !== -1; e = nextSet(w, e + 1)) n++;
    return n;
  }

  /** Priority from active exceptions only (no masks). */
  private activePriority(): number {
    const w = this.activeWords;
    let p = 256;
    for (let e = nextSet(w, 1); e !== -1; e = nextSet(w, e + 1)) {
      const g = this.groupPrio(this.prio[e]!);
      if (g < p) p = g;
    }
    return p;
  }

  /** ExecutionPriority (B1.5.4), optionally without PRIMASK (which does not block wake-up). */
  executionPriority(withPrimask = true): number {
    const cpu = this.cpu;
    let p = this.activePriority();
    if (cpu.basepri !== 0) {
      const b = this.groupPrio(cpu.basepri);
      if (b < p) p = b;
    }
    if (withPrimask && cpu.primask && p > 0) p = 0;
    if (cpu.faultmask && p > -1) p = -1;
    return p;
  }

  setPending(e: number): void {
    const cpu = this.cpu;
    this.pending[e] = 1;
    cpu.attention = true;
    // SCR.SEVONPEND: a newly pending interrupt is an event for WFE.
    if (cpu.sleeping === 2 && (cpu.scr & 0x10) !== 0) cpu.eventReg = 1;
  }

  /**
   * NVIC_ICPR for exception `e` (ARMv7-M ARM B3.4.1; Cortex-M4 Generic User Guide 4.2.10): the
   * pending state is removed, except for an external interrupt whose level-sensitive line is
   * still asserted, whose state does not change. ICPR leaves the active state alone.
   */
  clearPendingByIcpr(e: number): void {
    if (e >= 16 && this.levels[e - 16] === 1) return;
    this.pending[e] = 0;
  }

  /** Pends a synchronous fault, escalating to HardFault (or lockup) as B1.5.15 requires. */
  pendFault(e: number): void {
    const ep = this.executionPriority();
    if (e === Exc.HardFault || !this.isEnabled(e) || this.groupPrio(this.prio[e]!) >= ep) {
      if (e !== Exc.HardFault) this.hfsr |= HFSR.FORCED;
      this.escalateToHardFault();
      return;
    }
    this.pending[e] = 1;
    this.cpu.attention = true;
  }

  /** Pends HardFault, or locks up when already at HardFault or NMI priority (B1.5.15). */
  escalateToHardFault(): void {
    if (this.executionPriority() < 0) {
      this.cpu.lockedUp = true;
      this.cpu.attention = true;
      return;
    }
    this.pending[Exc.HardFault] = 1;
    this.cpu.attention = true;
  }

  /** SVC: a synchronous exception that escalates when it cannot be taken now (B1.5.15). */
  pendSvc(): void {
    this.setPending(Exc.SVCall);
    if (this.groupPrio(this.prio[Exc.SVCall]!) >= this.executionPriority()) {
      this.pending[Exc.SVCall] = 0;
      this.hfsr |= HFSR.FORCED;
      this.escalateToHardFault();
    }
  }

  /**
   * Highest-priority pending and enabled exception (lowest priority value, then lowest number),
   * whether or not it can preempt; 0 when none. The questions "can it preempt" ask it first:
   * most of the time nothing is pending, and the execution priority (a scan of the active
   * exceptions) is then not needed.
   */
  private bestPending(): number {
    let best = 0;
    let bestPrio = 0x7fff;
    // DHCSR.C_MASKINTS (C1.6.2): PendSV, SysTick and external interrupts wait while it is set.
    const end = this.cpu.maskInterrupts ? 14 : this.numExceptions;
    const w = this.pendingWords;
    for (let e = nextSet(w, 2); e !== -1 && e < end; e = nextSet(w, e + 1)) {
      if (this.isEnabled(e)) {
        const p = this.prio[e]!;
        // Compare full priority (group then sub), then exception number.
        if (p < bestPrio) {
          best = e;
          bestPrio = p;
        }
      }
    }
    return best;
  }

  /** The highest pending exception if it can preempt the current execution priority, or 0. */
  private preempting(): number {
    const best = this.bestPending();
    return best !== 0 && this.groupPrio(this.prio[best]!) < this.executionPriority() ? best : 0;
  }

  /** The highest pending exception ICSR.VECTPENDING reports, whether or not it can preempt. */
  vectPending(): number {
    return this.bestPending();
  }

  /** A pending, enabled exception would wake WFI (PRIMASK does not block wake-up, B1.5.19). */
  wakeUpPending(): boolean {
    const ep = this.executionPriority(false);
    const w = this.pendingWords;
    for (let e = nextSet(w, 2); e !== -1; e = nextSet(w, e + 1)) {
      if (this.isEnabled(e) && this.groupPrio(this.prio[e]!) < ep) return true;
    }
    return false;
  }

  /** Takes the highest pending exception if it can preempt; true if one was entered. */
  takePending(): boolean {
    const cpu = this.cpu;
    if (cpu.lockedUp) return false;
    const e = this.preempting();
    if (e === 0) return false;
    if (cpu.sleeping !== 0) cpu.setSleeping(0);
    this.entry(e);
    return true;
  }

  /** Exception entry: PushStack (B1.5.6), then the handler. */
  private entry(exc: number): void {
    const cpu = this.cpu;
    const r = cpu.r;
    // 8-word frame on the current stack, 8-byte aligned when STKALIGN.
    const align = (cpu.ccr & CCR_STKALIGN) !== 0;
    const frameptralign = align && (r[13]! & 4) !== 0 ? 1 : 0;
    const sp = (r[13]! - 0x20) & (align ? ~7 : ~3);
    const xpsr = (cpu.xpsr & ~(1 << 9)) | (frameptralign << 9);
    const priv = cpu.privileged();
    const excReturn = cpu.ipsr !== 0 ? 0xfffffff1 : cpu.control & 2 ? 0xfffffffd : 0xfffffff9;
    const frame = this.stacked;
    frame[0] = r[0]!;
    frame[1] = r[1]!;
    frame[2] = r[2]!;
    frame[3] = r[3]!;
    frame[4] = r[12]!;
    frame[5] = r[14]!;
    frame[6] = cpu.pc >>> 0;
    frame[7] = xpsr;
    this.stacking = Stk.Push;
    let derived = false;
    try {
      if (!cpu.stackFrame(sp, frame, priv))
        for (let i = 0; i < 8; i++) cpu.writeSlow(sp + 4 * i, 4, frame[i]!, true, priv);
    } catch (e) {
      if (e !== FAULT) throw e;
      derived = true;
    }
    this.stacking = Stk.None;
    r[13] = sp;
    r[14] = excReturn;
    cpu.exclusive = -1;
    cpu.clock.now += EXCEPTION_ENTRY_CYCLES;
    if (derived) {
      // The derived fault arrives late and is taken instead; the original stays pending.
      if (cpu.lockedUp) return;
      const d = this.preempting();
      if (d !== 0) exc = d;
    }
    this.enterHandler(exc);
  }

  /** Vector fetch and mode change (entry and tail-chaining, B1.5.6 ExceptionTaken). */
  private enterHandler(exc: number): void {
    const cpu = this.cpu;
    let vector: number;
    try {
      vector = cpu.bus.read((this.vtor + 4 * exc) >>> 0, 4);
    } catch (e) {
      if (!(e instanceof BusErrorSignal)) throw e;
      if (exc === Exc.HardFault || exc === Exc.NMI) {
        cpu.lockedUp = true;
        return;
      }
      this.hfsr |= HFSR.VECTTBL;
      exc = Exc.HardFault;
      vector = cpu.bus.read((this.vtor + 12) >>> 0, 4);
    }
    this.pending[exc] = 0;
    this.active[exc] = 1;
    if (cpu.ipsr === 0 && cpu.control & 2) cpu.swapSp();
    cpu.control &= ~(4 | 2);
    cpu.ipsr = exc;
    cpu.itstate = 0;
    cpu.tbit = vector & 1;
    cpu.pc = vector & ~1;
    cpu.onExceptionEntry?.(exc);
    cpu.mpuContextChanged();
    cpu.attention = true;
    if (exc >= Exc.HardFault && exc <= Exc.UsageFault) cpu.onFaultEntry?.(exc);
    if (exc < 32 && ((cpu.vectorCatch >>> exc) & 1) !== 0) cpu.caught = exc;
  }

  /** ExceptionReturn (B1.5.8), run after the instruction that wrote EXC_RETURN to PC. */
  exceptionReturn(ret: number): void {
    const cpu = this.cpu;
    const r = cpu.r;
    // IPSR, FAULTMASK or CONTROL change on the way out; unstacking itself caches no window.
    cpu.mpuContextChanged();
    const exc = cpu.ipsr;
    const low = ret & 0xf;
    const invalid =
      (ret & 0x0fffffe0) !== 0x0fffffe0 ||
      (low !== 1 && low !== 9 && low !== 0xd) ||
      (!cpu.config.fpu && (ret & 0x10) === 0) ||
      !this.active[exc];
    if (invalid) {
      this.cfsr |= CFSR.INVPC;
      cpu.pc = ret; // not executed: the fault is raised on the returning instruction's target
      this.pendFault(Exc.UsageFault);
      cpu.attention = true;
      return;
    }
    const activeCount = this.activeCount();
    if (low !== 1 && activeCount !== 1 && (cpu.ccr & CCR_NONBASETHRDENA) === 0) {
      this.cfsr |= CFSR.INVPC;
      this.pendFault(Exc.UsageFault);
      return;
    }
    this.active[exc] = 0;
    if (exc !== Exc.NMI) cpu.faultmask = 0;
    if (exc >= 16 && this.levels[exc - 16]) this.pending[exc] = 1;
    cpu.attention = true;
    // Tail-chain: a pending exception that can preempt the context we would return to. The
    // stacked frame stays; LR already holds the original EXC_RETURN.
    const tail = this.preempting();
    if (tail !== 0) {
      r[14] = ret;
      cpu.clock.now += TAIL_CHAIN_CYCLES;
      cpu.onExceptionReturn?.(exc, ret, tail);
      this.enterHandler(tail);
      return;
    }
    if ((cpu.scr & SCR_SLEEPONEXIT) !== 0 && low !== 1 && activeCount === 1) {
      // SLEEPONEXIT: sleep instead of returning to Thread mode; the frame stays stacked.
      this.sleepOnExitReturn = ret;
    }
    // Switch to the target stack (after this, r13 is the frame's stack), then pop.
    const toThread = low !== 1;
    if (toThread) {
      cpu.ipsr = 0;
      if (low === 0xd) {
        cpu.control |= 2;
        cpu.swapSp();
      } else cpu.control &= ~2;
    }
    const sp = r[13]!;
    const priv = toThread ? (cpu.control & 1) === 0 : true;
    const frame = this.unstacked;
    this.stacking = Stk.Pop;
    try {
      if (!cpu.unstackFrame(sp, frame, priv))
        for (let i = 0; i < 8; i++) frame[i] = cpu.readSlow(sp + 4 * i, 4, true, priv);
    } catch (e) {
      if (e !== FAULT) throw e;
      // Unstacking fault: taken with the return context as the current one.
      this.stacking = Stk.None;
      this.takePending();
      return;
    }
    this.stacking = Stk.None;
    for (let i = 0; i < 4; i++) r[i] = frame[i]!;
    r[12] = frame[4]!;
    r[14] = frame[5]!;
    const xpsr = frame[7]! >>> 0;
    const realign = (xpsr >>> 9) & 1 && (cpu.ccr & CCR_STKALIGN) !== 0 ? 4 : 0;
    r[13] = (sp + 0x20) | realign;
    cpu.setApsr(xpsr);
    cpu.itstate = ((xpsr >>> 25) & 3) | (((xpsr >>> 10) & 0x3f) << 2);
    cpu.tbit = (xpsr >>> 24) & 1;
    const newIpsr = xpsr & 0x1ff;
    cpu.pc = frame[6]! & (~1 >>> 0);
    cpu.exclusive = -1;
    if ((toThread && newIpsr !== 0) || (!toThread && newIpsr === 0)) {
      // IPSR in the frame inconsistent with EXC_RETURN: INVPC on the return path.
      cpu.ipsr = toThread ? 0 : newIpsr;
      this.cfsr |= CFSR.INVPC;
      this.pendFault(Exc.UsageFault);
      return;
    }
    cpu.ipsr = newIpsr;
    cpu.clock.now += EXCEPTION_RETURN_CYCLES;
    cpu.onExceptionReturn?.(exc, ret, 0);
    if (this.sleepOnExitReturn !== 0) {
      this.sleepOnExitReturn = 0;
      cpu.setSleeping(1);
    }
  }
}
