// The one run loop (emulator/session/runner.ts): pacing, limits, and the difference between a board
// that is finished and one that is waiting for its user (issue 14 item 3), under a scheduler the
// test controls.
import { describe, expect, it } from 'vitest';
import { Runner, type HostScheduler, type HostSleep, type RunnerInputs } from '../session/runner';
import { createSession, type EmulatorSession } from '../session/session';
import { mps2Echo, program, SYSTICK_1MS, vectorsUpTo } from './test-programs';

/** A scheduler whose wall clock moves only when the test says, and whose waits it ends. */
class FakeScheduler implements HostScheduler {
  wall = 0;
  readonly waits: number[] = [];
  pending: { ms: number; resolve: () => void } | null = null;
  now(): number {
    return this.wall;
  }
  sleep(ms: number): HostSleep {
    this.waits.push(ms);
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const entry = { ms, resolve };
    // A finite wait passes at once, moving the wall clock; an endless one waits for wake().
    if (Number.isFinite(ms)) {
      this.wall += ms;
      resolve();
    } else this.pending = entry;
    return {
      done,
      wake: () => {
        if (this.pending === entry) this.pending = null;
        resolve();
      },
    };
  }
  yieldToHost(): Promise<void> {
    return Promise.resolve();
  }
  /** Resolves once the runner is in an endless wait. */
  async waitingForever(): Promise<void> {
    for (let i = 0; i < 1000 && this.pending === null; i++)
      await new Promise((r) => setImmediate(r));
    if (this.pending === null) throw new Error('the runner never started waiting for input');
  }
}

function setup(
  rxInterrupt: boolean,
  inputs: Partial<RunnerInputs> = {},
  pace: 'fast' | 'realtime' = 'fast',
): {
  s: EmulatorSession;
  runner: Runner;
  sched: FakeScheduler;
  out: () => string;
  waits: { count: number };
} {
  const created = createSession({ machine: 'mps2-an386', semihosting: true });
  if (!created.ok) throw new Error(created.error);
  const s = created.value;
  let out = '';
  s.on((e) => {
    if (e.kind === 'uart' && e.index === 0) out += String.fromCharCode(e.byte);
  });
  const loaded = s.load(mps2Echo(rxInterrupt));
  if (!loaded.ok) throw new Error(loaded.error);
  const sched = new FakeScheduler();
  const waits = { count: 0 };
  const runner = new Runner(s, {
    scheduler: sched,
    pace,
    inputs: { consoles: [0], buttons: false, debugger: false, ...inputs },
    onWaitForInput: () => waits.count++,
  });
  return { s, runner, sched, out: () => out, waits };
}

describe('Runner: waiting for input', () => {
  it('waits without running while the console can wake the core, and input resumes it', async () => {
    const { s, runner, sched, out, waits } = setup(true);
    const done = runner.run();
    await sched.waitingForever();
    expect(runner.waitingForInput).toBe(true);
    expect(waits.count).toBe(1);
    expect(s.sleeping).toBe(true);
    const asleepAt = s.instructions;
    // Nothing runs while it waits: the host spends no CPU on a board waiting for its user.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(s.instructions).toBe(asleepAt);
    s.sendUart(0, new TextEncoder().encode('ok'));
    await sched.waitingForever();
    expect(out()).toBe('ok');
    s.sendUart(0, new TextEncoder().encode('q'));
    expect(await done).toEqual({ kind: 'stopped', reason: { kind: 'exit', code: 0 } });
  });

  it('ends as idle when no input the host delivers could wake the core', async () => {
    // The UART's interrupt is off: a byte cannot wake WFI.
    expect(await setup(false).runner.run()).toEqual({ kind: 'idle' });
    // The interrupt is on, but this host feeds no console.
    expect(await setup(true, { consoles: [] }).runner.run()).toEqual({ kind: 'idle' });
  });

  it('keeps a board with an attached debugger alive; pause and stop end the wait', async () => {
    const a = setup(false, { debugger: true });
    const paused = a.runner.run();
    await a.sched.waitingForever();
    a.runner.pause();
    expect(await paused).toEqual({ kind: 'stopped', reason: { kind: 'halted' } });
    const b = setup(true);
    const stopped = b.runner.run();
    await b.sched.waitingForever();
    b.runner.stop();
    expect(await stopped).toEqual({ kind: 'interrupted' });
  });

  it('re-checks when the host loses its input (stdin closed) and then ends as idle', async () => {
    const { runner, sched } = setup(true);
    const done = runner.run();
    await sched.waitingForever();
    runner.setInputs({ consoles: [] });
    expect(await done).toEqual({ kind: 'idle' });
  });

  it('in realtime pacing, virtual time passes with the wall clock while the board waits', async () => {
    const { s, runner, sched } = setup(true, {}, 'realtime');
    const done = runner.run();
    await sched.waitingForever();
    const freq = s.core.clock.frequencyHz;
    sched.wall += 2500; // 2.5 s pass on the wall clock with no input
    s.sendUart(0, new TextEncoder().encode('q'));
    expect(await done).toEqual({ kind: 'stopped', reason: { kind: 'exit', code: 0 } });
    // The byte arrived when the wall clock said: 2.5 s after the board began to wait (it ran
    // its start-up within the first millisecond, then slept with nothing scheduled).
    expect(s.cycles / freq).toBeGreaterThanOrEqual(2.5);
    expect(s.cycles / freq).toBeLessThan(2.51);
  });
});

describe('Runner: realtime pacing', () => {
  it('gives up the lag of a host slower than the board instead of racing through it later', async () => {
    // Busy for about 0.36 s of virtual time, then asleep between SysTick ticks (1 ms).
    const image = program(
      'runner-busy-then-sleep',
      [
        ...['ldr r2, =3000000', '1: subs r2, #1', 'bne 1b'],
        ...SYSTICK_1MS,
        ...['2: wfi', 'b 2b', '.thumb_func', 'tick: bx lr', '.thumb_func', 'fault: b .'],
      ],
      vectorsUpTo(15, 'tick'),
    );
    const created = createSession({ machine: 'mps2-an386' });
    if (!created.ok) throw new Error(created.error);
    const s = created.value;
    s.load(image);
    const freq = s.core.clock.frequencyHz;
    const sched = new FakeScheduler();
    const samples: { wall: number; virtual: number }[] = [];
    const runner = new Runner(s, {
      scheduler: sched,
      pace: 'realtime',
      inputs: { consoles: [], buttons: false, debugger: false },
      untilCycle: s.cycles + freq, // one virtual second
      sliceInstructions: 100_000,
      // The host needs 10 ms of wall time per slice: slower than the board while it is busy.
      afterSlice: () => {
        sched.wall += 10;
        samples.push({ wall: sched.wall, virtual: s.cycles / freq });
      },
    });
    expect(await runner.run()).toEqual({ kind: 'limit', limit: 'virtual-time' });
    // No slice moves the board further ahead than the wall clock moved plus the 100 ms of lag
    // it may make up; without the limit, the first sleeping slice made up the whole lag.
    let gain = 0;
    for (let i = 1; i < samples.length; i++)
      gain = Math.max(
        gain,
        samples[i]!.virtual -
          samples[i - 1]!.virtual -
          (samples[i]!.wall - samples[i - 1]!.wall) / 1000,
      );
    expect(gain).toBeLessThan(0.11);
    // The busy part ran slower than real time (the host could not keep up), so the virtual
    // second took more than a second of wall time (the lag beyond 100 ms given up).
    expect(sched.wall).toBeGreaterThan(1020);
  });
});

describe('Runner: realtime pacing of a busy core', () => {
  it('waits a millisecond of wall clock at a time while the core is awake, not for the next event', async () => {
    // Busy (never asleep), no device event scheduled: a debugger's run to a return address in
    // the middle of a long computation. Ahead of the wall clock, the runner must only wait for
    // the wall clock to move on: before, it waited for the next device event (none here: the
    // 500 ms cap), so such a run took half a second per slice.
    const bytes = program('runner-busy', ['1: adds r0, #1', 'b 1b']);
    const created = createSession({ machine: 'mps2-an386' });
    if (!created.ok) throw new Error(created.error);
    const s = created.value;
    s.load(bytes);
    const freq = s.core.clock.frequencyHz;
    const sched = new FakeScheduler();
    const runner = new Runner(s, {
      scheduler: sched,
      pace: 'realtime',
      inputs: { consoles: [], buttons: false, debugger: true },
      untilCycle: s.cycles + freq / 100, // 10 ms of virtual time
    });
    expect(await runner.run()).toEqual({ kind: 'limit', limit: 'virtual-time' });
    expect(s.sleeping).toBe(false);
    expect(sched.waits.length).toBeGreaterThan(0);
    expect(Math.max(...sched.waits)).toBeLessThanOrEqual(1);
    // And it kept real time: 10 ms of virtual time took about 10 ms of the (fake) wall clock.
    expect(sched.wall).toBeGreaterThanOrEqual(9);
    expect(sched.wall).toBeLessThanOrEqual(11);
  });
});

describe('Runner: limits', () => {
  it('stops at the instruction, virtual-time and wall-time limits', async () => {
    const bytes = program('runner-spin', ['1: adds r0, #1', 'b 1b']);
    const make = (extra: {
      maxInstructions?: number;
      untilCycle?: number;
      wallTimeoutMs?: number;
    }) => {
      const s = createSession({ machine: 'mps2-an386' });
      if (!s.ok) throw new Error(s.error);
      s.value.load(bytes);
      const sched = new FakeScheduler();
      return {
        s: s.value,
        sched,
        runner: new Runner(s.value, {
          scheduler: sched,
          pace: 'fast',
          inputs: { consoles: [], buttons: false, debugger: false },
          sliceInstructions: 1000,
          ...extra,
        }),
      };
    };
    const a = make({ maxInstructions: 5000 });
    expect(await a.runner.run()).toEqual({ kind: 'limit', limit: 'instructions' });
    expect(a.s.instructions).toBe(5000);
    const b = make({ untilCycle: 10_000 });
    expect(await b.runner.run()).toEqual({ kind: 'limit', limit: 'virtual-time' });
    expect(b.s.cycles).toBeGreaterThanOrEqual(10_000);
    const c = make({ wallTimeoutMs: 50 });
    const outcome = c.runner.run();
    c.sched.wall = 51;
    expect(await outcome).toEqual({ kind: 'limit', limit: 'wall-time' });
  });
});

describe('Runner: bounds from the host', () => {
  it('ends each slice where beforeSlice says, in both pacings (recorded input lands there)', async () => {
    const bytes = program('runner-bound', ['1: adds r0, #1', 'b 1b']);
    for (const pace of ['fast', 'realtime'] as const) {
      const s = createSession({ machine: 'mps2-an386' });
      if (!s.ok) throw new Error(s.error);
      s.value.load(bytes);
      // Realtime: the fake wall clock moves by each wait, so the board runs on between waits.
      const sched = new FakeScheduler();
      const seen: number[] = [];
      const runner = new Runner(s.value, {
        scheduler: sched,
        pace,
        inputs: { consoles: [], buttons: false, debugger: false },
        sliceInstructions: 1000,
        maxInstructions: 1000,
        // The next "input" is due at instruction 300, then 700: slices stop exactly there.
        beforeSlice: () => {
          seen.push(s.value.instructions);
          const due = [300, 700].find((n) => n > s.value.instructions);
          return due === undefined
            ? null
            : { instructions: due - s.value.instructions, cycle: Infinity };
        },
      });
      expect(await runner.run()).toEqual({ kind: 'limit', limit: 'instructions' });
      expect(
        seen.filter((n) => n === 300 || n === 700),
        pace,
      ).toEqual([300, 700]);
    }
  });
});

describe('Runner: yielding to the host', () => {
  it('runs slices back to back until yieldMs of host time passed, then yields', async () => {
    const bytes = program('runner-yield', ['1: adds r0, #1', 'b 1b']);
    const run = async (
      yieldMs: number | undefined,
    ): Promise<{ yields: number; slices: number }> => {
      const s = createSession({ machine: 'mps2-an386' });
      if (!s.ok) throw new Error(s.error);
      s.value.load(bytes);
      const sched = new FakeScheduler();
      let yields = 0;
      let slices = 0;
      sched.yieldToHost = () => {
        yields++;
        return Promise.resolve();
      };
      const runner = new Runner(s.value, {
        scheduler: sched,
        pace: 'fast',
        inputs: { consoles: [], buttons: false, debugger: false },
        sliceInstructions: 100,
        maxInstructions: 10_000,
        ...(yieldMs === undefined ? {} : { yieldMs }),
        // Each slice takes 1 ms of the fake host clock.
        afterSlice: () => {
          slices++;
          sched.wall += 1;
        },
      });
      expect(await runner.run()).toEqual({ kind: 'limit', limit: 'instructions' });
      return { yields, slices };
    };
    // Default: the host gets control after every slice (the CLI's loop, as before).
    expect(await run(undefined)).toEqual({ yields: 100, slices: 100 });
    // Every 4 ms: once per four 1 ms slices; the same slices run.
    const every4 = await run(4);
    expect(every4.slices).toBe(100);
    expect(every4.yields).toBe(25);
  });
});

describe('Session runs the host cuts short (CortexM.endRunWithin)', () => {
  // A UART byte, then a long loop (compiled): the byte's listener asks for control back within
  // 10 instructions, as an emulator target does for console output it holds.
  const image = program('cut-short', [
    'ldr r0, =0x40004000',
    'movs r1, #1', // TX_EN
    'str r1, [r0, #8]',
    'ldr r2, =1000',
    'warm: subs r2, #1',
    'bne warm',
    'movs r1, #0x41',
    'str r1, [r0]', // instruction 2,006
    'ldr r2, =1000000',
    'loop: subs r2, #1',
    'bne loop',
    'b .',
  ]);
  const sent = 2_006;
  for (const how of ['runSlice', 'runPaced'] as const)
    it(`ends the ${how} slice within the instructions asked, counting every instruction`, () => {
      const s = createSession({ machine: 'mps2-an386' });
      if (!s.ok) throw new Error(s.error);
      const session = s.value;
      expect(session.load(image).ok).toBe(true);
      session.on((e) => {
        if (e.kind === 'uart') session.core.endRunWithin(10);
      });
      const run = (n: number) =>
        how === 'runSlice'
          ? session.runSlice({ instructions: n })
          : session.runPaced(Number.MAX_SAFE_INTEGER, n);
      expect(run(1_000_000).kind).toBe('limit');
      expect(session.core.runCut).toBe(true);
      // Within the 10 asked for (a compiled block may end first: never later).
      expect(session.instructions).toBeGreaterThanOrEqual(sent);
      expect(session.instructions).toBeLessThanOrEqual(sent + 10);
      // The next slice runs its whole budget: the count is exact across the cut.
      const before = session.instructions;
      expect(run(5_000).kind).toBe('limit');
      expect(session.core.runCut).toBe(false);
      expect(session.instructions - before).toBe(5_000);
    });
});
