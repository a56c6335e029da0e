/**
 * Runner: the one loop that runs a session for a host (the CLI, the kernel tests, the IDE's
 * emulator worker), paced to the wall clock or flat out.
 *
 * Why one: the loop decides when virtual time may run ahead of the wall clock, when the host
 * waits and for how long, when a sleeping board is finished and when it is only waiting for
 * its user. Written twice, the two copies drifted apart; written here, every host gets the same
 * answers. The host injects its clock and its way of waiting (`HostScheduler`: timers in Node,
 * anything in a test), so the loop stays pure TypeScript and deterministic given the scheduler.
 *
 * Pacing. `realtime`: virtual time follows the wall clock; ahead of it, the host waits (no CPU)
 * until the next device event is due or input arrives, and a sleeping board's time passes as
 * the wall clock's does. `fast`: run flat out; a sleeping core skips straight to its next event.
 *
 * Waiting for input is not idling. When the core sleeps with nothing scheduled, the run ends
 * ('idle') only if nothing the host can deliver could wake it. A console UART whose receiver is
 * armed with its interrupt enabled, a button the firmware senses, or an attached debugger (the
 * host says which inputs it can deliver, `RunnerInputs`) keep the run alive: it waits, at no
 * host CPU, until input arrives (the session reports input through `onHostInput`) or the host
 * stops it.
 *
 * @example
 *   const runner = new Runner(session, {
 *     scheduler: nodeScheduler,
 *     pace: 'realtime',
 *     inputs: { consoles: [0], buttons: false, debugger: false },
 *     afterSlice: flushOutput,
 *   });
 *   process.once('SIGINT', () => runner.stop());
 *   const outcome = await runner.run(); // { kind: 'stopped', reason: { kind: 'exit', code: 0 } }
 */
import type { StopReason } from '../core/interfaces';
import type { EmulatorSession } from './session';

/** A wait the host can cut short. */
export interface HostSleep {
  /** Resolves when the time is up, or at once after `wake()`. */
  readonly done: Promise<void>;
  wake(): void;
}

/** What the runner needs from its host: a wall clock and a way to wait. */
export interface HostScheduler {
  /** Milliseconds on a monotonic wall clock. */
  now(): number;
  /** A wait of `ms` milliseconds (Infinity: until woken); it costs the host no CPU. */
  sleep(ms: number): HostSleep;
  /** Lets the host's other work (I/O callbacks, messages) run between slices. */
  yieldToHost(): Promise<void>;
}

/** Host inputs a host can deliver, which decide whether a sleeping core may still be woken. */
export interface RunnerInputs {
  /** Console UARTs the host feeds (the CLI feeds UART 0 while stdin is open). */
  consoles: readonly number[];
  /** The host can press buttons (the IDE's board view; `--press` is scheduled, not input). */
  buttons: boolean;
  /** A debugger or the IDE is attached: it may halt, change memory or reset at any time. */
  debugger: boolean;
}

export interface RunnerOptions {
  scheduler: HostScheduler;
  pace: 'realtime' | 'fast';
  inputs: RunnerInputs;
  /** Instructions per slice (default 1,000,000): the host regains control between slices. */
  sliceInstructions?: number;
  /**
   * Host milliseconds between the host regaining control (default 0: after every slice). A
   * slice that ends sooner is followed by the next without yielding to the host, so short
   * slices (a debugger's, which bound how long a slice of slow code can hold its output) cost
   * no more host turns than long ones. Waits for the wall clock or input yield as always.
   */
  yieldMs?: number;
  /** Stop once the session has executed this many instructions in total. */
  maxInstructions?: number;
  /** Stop once virtual time reaches this cycle. */
  untilCycle?: number;
  /** Stop after this many milliseconds of wall time. */
  wallTimeoutMs?: number;
  /** Longest single wait for the wall clock in realtime pacing, in ms of virtual time (500). */
  maxWaitMs?: number;
  /**
   * Realtime pacing: the most virtual time (ms) the board may fall behind the wall clock before
   * the difference is given up (100). A host that stalls (start-up, a busy machine, a paused
   * process) then slows the board down instead of making it race through the lost time
   * afterwards, as QEMU's -icount board does.
   */
  maxLagMs?: number;
  /**
   * Called after every slice and before every wait (hosts flush output here); `waiting` is true
   * when a wait follows (ahead of the wall clock, or asleep with nothing due), false when the
   * next slice follows at once (or after a yield to the host).
   */
  afterSlice?(waiting: boolean): void;
  /** Single-step, calling this with each instruction's address before it runs (tracing). */
  trace?(pc: number): void;
  /** Called each time the run starts waiting for host input (asleep, a wake source armed). */
  onWaitForInput?(): void;
  /**
   * Called before every slice; a bound it returns ends that slice early: after at most
   * `instructions` more, and (asleep) no later than virtual `cycle`. A debugger re-running
   * recorded history uses it so a recorded input lands where it did (it applies due inputs here).
   */
  beforeSlice?(): SliceBound | null;
}

/** How far the next slice may run (see `RunnerOptions.beforeSlice`). */
export interface SliceBound {
  instructions: number;
  cycle: number;
}

/** How a run ended. */
export type RunOutcome =
  /** The guest or a debugger stopped it: exit, lockup, BKPT, breakpoint, watchpoint, halt. */
  | { kind: 'stopped'; reason: StopReason }
  | { kind: 'limit'; limit: 'instructions' | 'virtual-time' | 'wall-time' }
  /** The host called `stop()`. */
  | { kind: 'interrupted' }
  /** Asleep, nothing scheduled, and no input the host can deliver could wake it. */
  | { kind: 'idle' };

export class Runner {
  private readonly opts: Required<
    Omit<RunnerOptions, 'afterSlice' | 'trace' | 'onWaitForInput' | 'beforeSlice'>
  > &
    Pick<RunnerOptions, 'afterSlice' | 'trace' | 'onWaitForInput' | 'beforeSlice'>;
  private inputs: RunnerInputs;
  private stopRequested = false;
  /** Input arrived since the last wait began (so a wait that starts late returns at once). */
  private woken = false;
  private sleeping: HostSleep | null = null;
  private running = false;
  private waitingForInputNow = false;
  /** Realtime pacing: virtual cycle `cycle` corresponds to wall time `wall`. */
  private paced = { wall: 0, cycle: 0 };

  constructor(
    readonly session: EmulatorSession,
    options: RunnerOptions,
  ) {
    this.opts = {
      sliceInstructions: 1_000_000,
      maxInstructions: Infinity,
      untilCycle: Infinity,
      wallTimeoutMs: Infinity,
      maxWaitMs: 500,
      maxLagMs: 100,
      yieldMs: 0,
      ...options,
    };
    this.inputs = { ...options.inputs };
  }

  /**
   * Input is about to arrive while the board waits for it: in realtime pacing, bring the
   * sleeping board's clock up to the wall clock first, so the input lands at the virtual time
   * it really arrived (the core is asleep with nothing scheduled, so only its clock moves).
   */
  private catchUp(force = false): void {
    if (!(this.waitingForInputNow || force) || this.opts.pace !== 'realtime') return;
    const s = this.session;
    const target = Math.min(this.opts.untilCycle, this.wallTarget());
    if (target <= s.cycles) return;
    // The one instruction this may run can stop the core (a debugger's halt request or reset
    // with vector catch, taken at the sleeping core's next boundary): the run reports that stop
    // instead of resuming past it.
    const reason = s.runPaced(target, 1);
    if (reason.kind !== 'limit' && reason.kind !== 'idle') this.caughtStop = reason;
  }
  /** A stop `catchUp` ran into, reported by the loop. */
  private caughtStop: StopReason | null = null;

  /** The virtual cycle the wall clock says it is now (realtime pacing). */
  private wallTarget(): number {
    const freq = this.session.core.clock.frequencyHz;
    return this.paced.cycle + ((this.opts.scheduler.now() - this.paced.wall) / 1000) * freq;
  }

  /** True while the run waits for host input (asleep, nothing scheduled, a wake source armed). */
  get waitingForInput(): boolean {
    return this.waitingForInputNow;
  }

  /** Ask the run to end; `run()` resolves with 'interrupted' (at once if it is waiting). */
  stop(): void {
    this.stopRequested = true;
    this.wake();
  }

  /** Input arrived or the situation changed: a waiting run looks again at once. */
  wake(): void {
    this.woken = true;
    this.sleeping?.wake();
  }

  /** Halt the core at the next instruction boundary; `run()` resolves with the 'halted' stop. */
  pause(): void {
    this.session.pause();
    this.wake();
  }

  /**
   * Instructions per slice from now on. The host answers its I/O only between slices, so a
   * debugger in conversation (each of its round trips waits for the slice in progress) wants
   * short ones, and a board left alone long ones.
   */
  setSliceInstructions(n: number): void {
    this.opts.sliceInstructions = Math.max(1, Math.floor(n));
  }

  /** Change what the host can deliver (stdin closed, a debugger attached or gone). */
  setInputs(inputs: Partial<RunnerInputs>): void {
    this.inputs = { ...this.inputs, ...inputs };
    this.wake();
  }

  /** True when something the host can deliver could wake the sleeping core. */
  canBeWoken(): boolean {
    if (this.inputs.debugger) return true;
    return this.session
      .wakeSources()
      .some((w) =>
        w.kind === 'console' ? this.inputs.consoles.includes(w.index) : this.inputs.buttons,
      );
  }

  /** Runs until the guest stops, a limit is reached, the host stops it, or it idles for good. */
  async run(): Promise<RunOutcome> {
    if (this.running) throw new Error('Runner.run: already running');
    this.running = true;
    this.stopRequested = false;
    // Input from the host (console bytes, a button) while this run lasts resumes it at once.
    const off = this.session.onHostInput(() => {
      this.catchUp();
      this.wake();
    });
    try {
      return await this.loop();
    } finally {
      off();
      this.running = false;
      this.waitingForInputNow = false;
    }
  }

  private async loop(): Promise<RunOutcome> {
    const s = this.session;
    const o = this.opts;
    const sched = o.scheduler;
    const freq = s.core.clock.frequencyHz;
    const started = sched.now();
    const deadline = started + o.wallTimeoutMs;
    this.paced = { wall: started, cycle: s.cycles };
    let steps = 0;
    /** When the host last had control (see `yieldMs`). */
    let yielded = started;
    for (;;) {
      if (this.stopRequested) return { kind: 'interrupted' };
      if (this.caughtStop !== null) {
        const reason = this.caughtStop;
        this.caughtStop = null;
        return { kind: 'stopped', reason };
      }
      if (s.instructions >= o.maxInstructions) return { kind: 'limit', limit: 'instructions' };
      if (sched.now() >= deadline) return { kind: 'limit', limit: 'wall-time' };
      if (s.cycles >= o.untilCycle) return { kind: 'limit', limit: 'virtual-time' };
      const bound = o.beforeSlice?.() ?? null;
      const budget = Math.min(
        o.sliceInstructions,
        o.maxInstructions - s.instructions,
        bound?.instructions ?? Infinity,
      );
      const until = Math.min(o.untilCycle, bound?.cycle ?? Infinity);
      let reason: StopReason;
      if (o.trace) {
        o.trace(s.readRegister(15));
        reason = s.step();
        if (reason.kind === 'limit' && ++steps % 4096 !== 0) continue;
      } else if (o.pace === 'fast') {
        // Asleep, the core skips to its next event, but never past the virtual time limit.
        reason = Number.isFinite(until)
          ? s.runPaced(until, budget)
          : s.runSlice({ instructions: budget });
      } else {
        const wall = Math.min(o.untilCycle, this.wallTarget());
        const target = Math.min(wall, until);
        reason = s.runPaced(target, budget);
        // Behind the wall clock now (the host was slower than the board during the slice):
        // beyond `maxLagMs` the lag is given up rather than raced through later.
        const behind = this.wallTarget() - s.cycles;
        const most = (o.maxLagMs / 1000) * freq;
        if (behind > most) this.paced.cycle -= behind - most;
        if (reason.kind === 'limit' && s.cycles >= wall) {
          // Ahead of the wall clock. Asleep: nothing happens before the next device event, so
          // wait for it (or input). Awake, the core has work the wall clock has not reached yet:
          // wait one millisecond of it at a time. (Waiting for the next event there held a
          // busy core back up to `maxWaitMs`: a debugger's step over a call ran to its return
          // only when the next timer event came, hundreds of ms later.)
          o.afterSlice?.(true);
          const due = s.sleeping
            ? Math.min(s.nextEventCycle, o.untilCycle, wall + (o.maxWaitMs / 1000) * freq)
            : Math.min(o.untilCycle, wall + freq / 1000);
          await this.wait(Math.max(1, ((due - wall) / freq) * 1000), deadline);
          yielded = sched.now();
          continue;
        }
      }
      o.afterSlice?.(reason.kind === 'idle');
      if (reason.kind === 'idle') {
        // At the bound's cycle: the recorded input is due (beforeSlice applies it).
        if (s.cycles >= until) continue;
        if (!this.canBeWoken()) return { kind: 'idle' };
        // Waiting for input: in realtime pacing virtual time goes on with the wall clock (input
        // lands at its wall-clock time, see catchUp); flat out, idle time is skipped anyway.
        this.waitingForInputNow = true;
        o.onWaitForInput?.();
        const virtualLeft =
          o.pace === 'realtime' && Number.isFinite(o.untilCycle)
            ? ((o.untilCycle - s.cycles) / freq) * 1000
            : Infinity;
        await this.wait(Math.max(1, virtualLeft), deadline);
        yielded = sched.now();
        this.catchUp(true);
        this.waitingForInputNow = false;
        continue;
      }
      if (reason.kind !== 'limit') return { kind: 'stopped', reason };
      if (sched.now() - yielded >= o.yieldMs) {
        await sched.yieldToHost();
        yielded = sched.now();
      }
    }
  }

  /** Waits `ms` (bounded by the wall deadline), or less when woken. */
  private async wait(ms: number, deadline: number): Promise<void> {
    if (this.woken || this.stopRequested) {
      this.woken = false;
      return;
    }
    const sched = this.opts.scheduler;
    const bounded = Math.min(ms, Math.max(0, deadline - sched.now()));
    this.sleeping = sched.sleep(bounded);
    try {
      await this.sleeping.done;
    } finally {
      this.sleeping = null;
      this.woken = false;
    }
  }
}
