// The DebugService over a scripted target: what Run finds before starting (no build, another
// board's build, a stale build), a process fault listed while the session goes on, a kernel
// fault halting it in words, breakpoint conditions and hit counts decided in the host, a dying
// worker ending the session with its cause, and the last window closing ending the session.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, type Result } from '../../emulator/core/result';
import {
  CORE_REGISTER_NAMES,
  TargetEventHub,
  type CoreRegisters,
  type DebugTarget,
  type StopInfo,
} from '../../emulator/debug/target';
import type { HostEvents } from '../common/contract';
import type { ProgramView } from './debug-program';
import { DebugService, decodeXpsr, type DebugServiceOptions } from './debug-service';
import { createHost } from './host';
import { oneLineProgram } from './testing/one-line-program';
import { buildElf } from '../../tests/programs/elf';

function project(boards: Record<string, number>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'debug-service-'));
  mkdirSync(path.join(root, 'capsules', 'src'), { recursive: true });
  writeFileSync(path.join(root, 'capsules', 'src', 'console.rs'), '// console\n');
  utimesSync(path.join(root, 'capsules', 'src', 'console.rs'), 1000, 1000);
  for (const [board, seconds] of Object.entries(boards)) {
    const dir = path.join(root, 'target', 'images', board);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'kernel.elf'), 'not really an ELF');
    utimesSync(path.join(dir, 'kernel.elf'), seconds, seconds);
  }
  return root;
}

/** A target whose stops the test makes happen. */
class ScriptedTarget implements DebugTarget {
  readonly hub = new TargetEventHub();
  st: 'halted' | 'running' | 'closed' = 'halted';
  regs: CoreRegisters = Object.fromEntries(CORE_REGISTER_NAMES.map((n) => [n, 0])) as CoreRegisters;
  memory = new Map<number, number>();
  breakpoints = new Set<number>();
  resumes = 0;
  readonly description = {
    kind: 'emulator' as const,
    board: 'nrf52840dk',
    label: 'scripted target',
    memoryMap: [],
    capabilities: {
      sideEffectFreeReads: true,
      readWhileRunning: true,
      snapshots: false,
      breakpoints: Infinity,
      watchpoints: 4,
      rangeStep: true,
      fpu: false,
      programming: false,
      consoles: [0],
    },
  };
  state() {
    return this.st;
  }
  onEvent(l: Parameters<DebugTarget['onEvent']>[0]) {
    return this.hub.on(l);
  }
  async readRegisters() {
    return ok(this.regs);
  }
  async readRegister() {
    return ok(0);
  }
  async writeRegister() {
    return ok(undefined);
  }
  async readMemory(address: number, length: number): Promise<Result<Uint8Array>> {
    return ok(Uint8Array.from({ length }, (_, i) => this.memory.get(address + i) ?? 0));
  }
  async writeMemory() {
    return ok(undefined);
  }
  async setBreakpoint(a: number) {
    this.breakpoints.add(a);
    return ok(undefined);
  }
  async clearBreakpoint(a: number) {
    this.breakpoints.delete(a);
    return ok(undefined);
  }
  async setWatchpoint() {
    return ok(undefined);
  }
  async clearWatchpoint() {
    return ok(undefined);
  }
  async resume() {
    this.resumes++;
    this.st = 'running';
    this.hub.emit({ kind: 'running' });
    return ok(undefined);
  }
  async halt() {
    return ok(this.stopWith({ kind: 'halted' }, this.regs.pc));
  }
  async step(): Promise<Result<StopInfo>> {
    return ok(this.stopWith({ kind: 'step' }, this.regs.pc + 2));
  }
  async stepRange(): Promise<Result<StopInfo>> {
    return this.step();
  }
  async reset() {
    return ok(undefined);
  }
  async writeConsole() {
    return ok(undefined);
  }
  async catchFaults() {
    return ok(undefined);
  }
  async close() {
    this.st = 'closed';
  }
  stopWith(cause: StopInfo['cause'], pc: number): StopInfo {
    this.st = 'halted';
    this.regs = { ...this.regs, pc };
    const stop = { cause, pc, instructions: null, cycles: null };
    this.hub.emit({ kind: 'stopped', stop });
    return stop;
  }
}

/** The one-line view, with line 1 of any file at 0x1000, a frame at every stop and conditions. */
const program = (): ProgramView => ({
  ...oneLineProgram('', 0x1000),
  programOf: (a) => (a >= 0x40000 ? 'hello' : 'kernel'),
  addressesFor: (_f, line) => (line === 1 ? { line: 1, addresses: [0x1000] } : null),
  backtrace: async (r) => [
    {
      index: 0,
      function: 'f',
      pc: r.pc,
      location: null,
      program: 'kernel',
      inlined: false,
      hasSource: false,
      cfa: null,
    },
  ],
  evaluate: async (e) =>
    ok({
      name: e,
      value: e === 'command == 1' ? 'false' : 'true',
      type: 'bool',
      ref: 0,
      editable: false,
    }),
});

function service(root: string, view: () => ProgramView = program) {
  const events: { name: keyof HostEvents; payload: unknown }[] = [];
  const target = new ScriptedTarget();
  const svc = new DebugService({
    projectRoot: root,
    breakpointDir: mkdtempSync(path.join(os.tmpdir(), 'debug-bp-')),
    emit: (name, payload) => events.push({ name, payload }),
    startEmulator: async () => ok(target),
    loadProgram: view,
  });
  const last = <K extends keyof HostEvents>(name: K): HostEvents[K] =>
    events.filter((e) => e.name === name).at(-1)?.payload as HostEvents[K];
  return { svc, target, events, last };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe('decodeXpsr', () => {
  it('names the flags, the Thumb bit and the exception', () => {
    expect(decodeXpsr(0x6100_000b)).toBe('nZCvq T=1 exception 11 (SVCall)');
    expect(decodeXpsr(0x0100_0000)).toBe('nzcvq T=1 Thread mode');
    expect(decodeXpsr(0x0100_0012)).toBe('nzcvq T=1 exception 18 (IRQ 2)');
  });
});

describe('DebugService', () => {
  it('offers Attach for the boards the registry runs under QEMU', () => {
    const boards = service(project({})).svc.attachableBoards();
    expect(boards).toContain('mps2-an386');
    expect(boards).not.toContain('nrf52840dk');
  });

  it('says what Run finds: no build, another board’s build, a stale build, a ready one', async () => {
    const none = service(project({}));
    expect(none.svc.check('nrf52840dk')).toMatchObject({
      state: 'missing',
      message: 'There is no build for nrf52840dk yet.',
    });
    const r = await none.svc.start({ mode: 'run', board: 'nrf52840dk' });
    expect(r).toMatchObject({ ok: false, error: { code: 'not-built' } });
    const other = service(project({ 'microbit-v2': 2000 }));
    expect(other.svc.check('nrf52840dk')).toMatchObject({
      state: 'other-board',
      otherBoard: 'microbit-v2',
    });
    expect(other.svc.check('nrf52840dk').message).toMatch(
      /last build is for microbit-v2, not nrf52840dk/,
    );
    const root = project({ nrf52840dk: 2000 });
    const fresh = service(root);
    expect(fresh.svc.check('nrf52840dk').state).toBe('ready');
    writeFileSync(path.join(root, 'capsules', 'src', 'console.rs'), '// edited\n');
    expect(fresh.svc.check('nrf52840dk')).toMatchObject({
      state: 'stale',
      staleFiles: ['capsules/src/console.rs'],
    });
    expect(service(project({ nrf52840dk: 2000 })).svc.check('nrf52840dk').state).toBe('ready');
    expect(await service(root).svc.start({ mode: 'run', board: 'arduino' })).toMatchObject({
      ok: false,
      error: { message: expect.stringMatching(/unknown board 'arduino' \(boards: .*nrf52840dk/) },
    });
  });

  it('starts the files the last build reported, wherever they are', async () => {
    const root = project({});
    const out = path.join(root, 'elsewhere');
    mkdirSync(out, { recursive: true });
    writeFileSync(path.join(out, 'kernel.elf'), 'not really an ELF');
    utimesSync(path.join(out, 'kernel.elf'), 2000, 2000);
    const { svc } = service(root);
    // Nothing in the registry's images folder, and no report yet.
    expect(svc.check('nrf52840dk').state).toBe('missing');
    const artifacts = {
      board: 'nrf52840dk',
      machine: 'nrf52840dk',
      dir: 'elsewhere',
      kernelElf: 'elsewhere/kernel.elf',
      apps: [],
      appsBin: null,
      imageHex: null,
      appsJson: null,
    };
    // A report for another board does not count for this one.
    svc.buildFinished({ ...artifacts, board: 'microbit-v2' });
    expect(svc.check('nrf52840dk').state).toBe('missing');
    svc.buildFinished(artifacts);
    expect(svc.check('nrf52840dk').state).toBe('ready');
    const started = await svc.start({ mode: 'run', board: 'nrf52840dk' });
    expect(started.ok).toBe(true);
    expect(svc.images?.kernelElf).toBe(path.join(out, 'kernel.elf'));
  });

  it('lists a process fault and goes on; halts on a kernel fault with its causes in words', async () => {
    const { svc, target, last, events } = service(project({ nrf52840dk: 2000 }));
    expect((await svc.start({ mode: 'run', board: 'nrf52840dk' })).ok).toBe(true);
    expect(last('session.state').phase).toBe('running');
    // MemManage taken from a process: EXC_RETURN 0xFFFFFFFD (thread mode, PSP).
    target.regs = { ...target.regs, lr: 0xfffffffd, psp: 0x2000_8000, msp: 0x2000_1000 };
    for (const [i, b] of [0x48, 0x41, 0x04, 0x00].entries())
      target.memory.set(0x2000_8000 + 24 + i, b);
    const resumes = target.resumes;
    target.stopWith(
      {
        kind: 'fault',
        exception: 4,
        name: 'MemManage',
        registers: { cfsr: 0x82, hfsr: 0, mmfar: 0x2000_0000, bfar: 0, shcsr: 0 },
      },
      0x100,
    );
    await settle();
    expect(last('session.fault').fault).toMatchObject({
      process: 'hello',
      handled: true,
      pc: 0x44148,
    });
    expect(last('session.fault').fault.causes).toEqual([
      'MemManage fault on data access at 0x20000000',
    ]);
    expect(target.resumes).toBe(resumes + 1);
    // A HardFault from the kernel (MSP): the session halts and says why.
    target.regs = { ...target.regs, lr: 0xfffffff9 };
    for (const [i, b] of [0x34, 0x12, 0x00, 0x00].entries())
      target.memory.set(0x2000_1000 + 24 + i, b);
    target.stopWith(
      {
        kind: 'fault',
        exception: 3,
        name: 'HardFault',
        registers: { cfsr: 0x8200, hfsr: 0x4000_0000, mmfar: 0, bfar: 0x4007_c074, shcsr: 0 },
      },
      0x100,
    );
    await settle();
    const s = last('session.state');
    expect(s.phase).toBe('halted');
    expect(s.stop).toMatchObject({
      reason: 'fault',
      fault: { handled: false, pc: 0x1234, process: null },
    });
    expect(s.stop!.fault!.causes).toEqual([
      'escalated to HardFault (HFSR.FORCED)',
      'precise BusFault at 0x4007c074',
    ]);
    expect(events.some((e) => e.name === 'session.output')).toBe(true);
  });

  it("names the project files a step may show: the frames' own, then those inlined into their functions", async () => {
    const root = project({ nrf52840dk: 2000 });
    for (const f of ['kernel/src/dispatch.rs', 'kernel/src/process.rs']) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), '// code\n');
    }
    const at = (p: string, line: number) => ({ path: p, inProject: true, line, column: 1 });
    const frame = (index: number, pc: number, fn: string, location: ReturnType<typeof at>) => ({
      index,
      function: fn,
      pc,
      location,
      program: 'kernel',
      inlined: false,
      hasSource: true,
      cfa: null,
    });
    const asked: number[] = [];
    const view = (): ProgramView => ({
      ...program(),
      functionAt: (a) =>
        a >= 0x1000 && a < 0x1100
          ? { name: 'command', low: 0x1000, ranges: [[0x1000, 0x1100]], program: 'kernel' }
          : a >= 0x2000 && a < 0x2010
            ? { name: 'handle', low: 0x2000, ranges: [[0x2000, 0x2010]], program: 'kernel' }
            : null,
      filesOf: (ranges) => {
        asked.push(ranges[0]![0]);
        return ranges[0]![0] === 0x1000
          ? [
              `${root}/capsules/src/console.rs`,
              `${root}/kernel/src/process.rs`,
              '/rustc/0123abcd/library/core/src/option.rs',
            ]
          : [`${root}/kernel/src/dispatch.rs`];
      },
      backtrace: async (r) => [
        frame(0, r.pc, 'command', at('capsules/src/console.rs', 1)),
        // A return address at its function's end: the function is the one before it.
        frame(1, 0x2010, 'handle', at('kernel/src/dispatch.rs', 52)),
        { ...frame(2, 0x3000, '0x3000', at('x', 1)), location: null },
        // A recursive call: its function was asked for already.
        frame(3, 0x1004, 'command', at('capsules/src/console.rs', 1)),
      ],
    });
    const { svc, target } = service(root, view);
    expect((await svc.sources()).ok).toBe(false); // no session
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1 }]);
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
    await settle();
    expect(await svc.sources()).toEqual(
      ok(['capsules/src/console.rs', 'kernel/src/dispatch.rs', 'kernel/src/process.rs']),
    );
    // Each function once; outside the project left out.
    expect(asked).toEqual([0x1000, 0x2000]);
    expect(await svc.sources(2)).toEqual(ok(['capsules/src/console.rs', 'kernel/src/dispatch.rs']));
    await svc.stop();
  });

  it('publishes a stop with its first frame from the PC, then unwinds its stack once; the stack and a step wait for that unwind', async () => {
    const root = project({ nrf52840dk: 2000 });
    const at = { path: 'capsules/src/console.rs', inProject: true, line: 1, column: 5 };
    const unwinds: number[] = [];
    let release: () => void = () => {};
    const view = (): ProgramView => ({
      ...program(),
      topFrame: (pc) => ({ function: `top@${pc.toString(16)}`, location: at }),
      backtrace: async (r) => {
        unwinds.push(r.pc);
        // The unwind takes its time (messages to the worker): the stop is out before it ends.
        await new Promise<void>((done) => (release = done));
        return [
          {
            index: 0,
            function: `top@${r.pc.toString(16)}`,
            pc: r.pc,
            location: at,
            program: 'kernel',
            inlined: false,
            hasSource: true,
            cfa: null,
          },
        ];
      },
    });
    const { svc, target, last } = service(root, view);
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1 }]);
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
    await settle();
    // Shown while the unwind has not ended: its line and function come from topFrame.
    expect(last('session.state')).toMatchObject({
      phase: 'halted',
      stop: { function: 'top@1000', location: at, description: 'Breakpoint at console.rs:1' },
    });
    expect(unwinds).toEqual([0x1000]);
    // Two readers of the stack while it is being unwound: both get its frames, one unwind.
    const stacks = Promise.all([svc.stack(), svc.stack()]);
    release();
    const [a, b] = await stacks;
    expect(a.ok && a.value.map((f) => f.function)).toEqual(['top@1000']);
    expect(b).toEqual(a);
    expect(unwinds).toEqual([0x1000]);
    // Step over from a stop whose unwind is still going does not wait for it: it needs only the
    // line the stop shows.
    target.stopWith({ kind: 'step' }, 0x1002);
    await settle();
    expect(unwinds).toEqual([0x1000, 0x1002]);
    const over = await Promise.race([
      svc.step('over'),
      new Promise<string>((r) => setTimeout(() => r('waited for the unwind'), 2000)),
    ]);
    expect(over).toMatchObject({ ok: true });
    release();
    await settle();
    expect(unwinds).toEqual([0x1000, 0x1002, 0x1004]);
    release();
    // Step out from a stop whose unwind is still going takes that unwind's frames instead of
    // unwinding again.
    await svc.resume();
    target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
    await settle();
    expect(unwinds).toEqual([0x1000, 0x1002, 0x1004, 0x1000]);
    const step = svc.step('out');
    await settle();
    release();
    await settle();
    expect(unwinds).toEqual([0x1000, 0x1002, 0x1004, 0x1000]);
    // It runs to the return address (lr: 0) until the stack pointer is above the frame's.
    target.regs = { ...target.regs, sp: 0x10 };
    target.stopWith({ kind: 'breakpoint', address: 0 }, 0);
    await settle();
    release();
    expect((await step).ok).toBe(true);
    // The step's own stop is the only other unwind.
    expect(unwinds).toEqual([0x1000, 0x1002, 0x1004, 0x1000, 0]);
    await svc.stop();
  });

  it("starts a step that arrives during a stop's reads before them, and answers those reads 'stale'", async () => {
    const log: string[] = [];
    let step: Promise<unknown> | null = null;
    let svc: DebugService | null = null;
    const view = (): ProgramView => ({
      ...program(),
      // Variables that take many reads (the kernel's statics, a deep value): the step arrives as
      // a message (a macrotask) after the first.
      variables: async (_frame, read) => {
        for (let i = 0; i < 40; i++) {
          const r = await read(0x2000_0000 + i * 64, 4);
          log.push(r.ok ? 'read' : 'failed read');
          if (i === 0)
            setImmediate(() => {
              log.push('step arrives');
              step = svc!.step('over');
            });
        }
        return [{ name: 'Locals', variables: [] }];
      },
    });
    const s = service(project({ nrf52840dk: 2000 }), view);
    svc = s.svc;
    // The step's calls to the target (a range step, or an instruction step off a line).
    const stepOne = s.target.step.bind(s.target);
    s.target.step = () => {
      log.push('step runs');
      return stepOne();
    };
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1 }]);
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    s.target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
    await settle();
    expect(s.last('session.state')).toMatchObject({ phase: 'halted' });
    const vars = await svc.variables(0);
    // The step came in after the first read and ran before the next one; the rest gave way
    // (each failed fast) and the answer is stale.
    expect(log.slice(0, 3)).toEqual(['read', 'step arrives', 'step runs']);
    expect(log.slice(3)).toEqual(Array(39).fill('failed read'));
    expect(vars).toMatchObject({ ok: false, error: { code: 'stale' } });
    expect(await step).toMatchObject({ ok: true });
    // The step's stop reads as usual; a read asked for while a step leaves a stop is stale at once.
    expect(await svc.stack()).toMatchObject({ ok: true });
    const next = svc.step('over');
    expect(await svc.stack()).toMatchObject({ ok: false, error: { code: 'stale' } });
    expect(await next).toMatchObject({ ok: true });
    expect(await svc.stack()).toMatchObject({ ok: true });
    await svc.stop();
  });

  it('reads the stop shown again when a step that left it fails', async () => {
    const { svc, target, events } = service(project({ nrf52840dk: 2000 }));
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1 }]);
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
    await settle();
    const states = () => events.filter((e) => e.name === 'session.state').length;
    const before = states();
    const failed = async (): Promise<Result<StopInfo>> => ({
      ok: false,
      error: 'the probe went away',
    });
    target.stepRange = failed;
    target.step = failed;
    const stack = svc.stack();
    const r = await svc.step('over');
    expect(r).toMatchObject({ ok: false, error: { code: 'io' } });
    expect(await stack).toMatchObject({ ok: false, error: { code: 'stale' } });
    // Published again (the window reads it anew), and its reads answer.
    expect(states()).toBe(before + 1);
    expect(await svc.stack()).toMatchObject({ ok: true });
    await svc.stop();
  });

  it('decides conditions and hit counts in the host, and counts hits', async () => {
    const { svc, target, last } = service(project({ nrf52840dk: 2000 }));
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1, hitCondition: '2' }]);
    expect(last('breakpoints.changed').breakpoints[0]).toMatchObject({ status: 'pending' });
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    expect([...target.breakpoints]).toEqual([0x1000]);
    expect(last('breakpoints.changed').breakpoints[0]).toMatchObject({
      status: 'verified',
      addresses: [0x1000],
    });
    const hit = async () => {
      target.stopWith({ kind: 'breakpoint', address: 0x1000 }, 0x1000);
      await settle();
    };
    await hit();
    expect(last('session.state').phase).toBe('running');
    await hit();
    expect(last('session.state')).toMatchObject({
      phase: 'halted',
      stop: { reason: 'breakpoint' },
    });
    expect(last('breakpoints.changed').breakpoints[0]!.hits).toBe(2);
    // A condition that is false lets the target run on.
    await svc.resume();
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1, condition: 'command == 1' }]);
    await hit();
    expect(last('session.state').phase).toBe('running');
  });

  it('ends the session with the cause when the worker dies; breakpoints go back to pending', async () => {
    const { svc, target, last } = service(project({ nrf52840dk: 2000 }));
    await svc.setBreakpoints('capsules/src/console.rs', [{ line: 1 }]);
    await svc.start({ mode: 'debug', board: 'nrf52840dk' });
    target.hub.emit({ kind: 'closed', reason: 'the emulator worker crashed: out of cheese' });
    await settle();
    expect(last('session.state')).toMatchObject({
      phase: 'ended',
      ended: 'the emulator worker crashed: out of cheese',
    });
    expect(last('breakpoints.changed').breakpoints[0]).toMatchObject({ status: 'pending' });
    expect(svc.target).toBeNull();
    expect(await svc.pause()).toMatchObject({ ok: false, error: { code: 'no-session' } });
  });
});

/** A studio host on `root` (the test's temp folders, the one-line program view). */
const testHost = (root: string, debug: Partial<DebugServiceOptions>) =>
  createHost({
    projectRoot: root,
    appRoot: root,
    transport: 'browser',
    watchTree: false,
    recoveryDir: mkdtempSync(path.join(os.tmpdir(), 'debug-rec-')),
    debug: {
      breakpointDir: mkdtempSync(path.join(os.tmpdir(), 'debug-bp-')),
      loadProgram: program,
      ...debug,
    },
  });

describe('the host and its windows', () => {
  it('ends the running session when the last window closes', async () => {
    const root = project({ nrf52840dk: 2000 });
    const target = new ScriptedTarget();
    const host = testHost(root, { startEmulator: async () => ok(target) });
    const a = host.connect(() => {});
    const b = host.connect(() => {});
    expect((await a.call(1, 'session.start', { mode: 'run', board: 'nrf52840dk' })).ok).toBe(true);
    a.close();
    await settle();
    expect(target.st).toBe('running');
    b.close();
    await settle();
    expect(target.st).toBe('closed');
    expect(host.debug.session?.ended).toBe('Capsule Studio closed the session');
    host.dispose();
  });

  it('keeps a spare emulator worker while a window is open; Run takes it; closing ends it', async () => {
    const root = project({ 'mps2-an386': 2000 });
    const loop = ['.syntax unified', '.thumb', '.section .vectors, "a"', '.word 0x20010000'];
    const { bytes } = buildElf(
      'spare-loop',
      [...loop, '.word start', '.text', '.thumb_func', 'start: b start', ''].join('\n'),
    );
    const elf = path.join(root, 'target', 'images', 'mps2-an386', 'kernel.elf');
    writeFileSync(elf, bytes);
    utimesSync(elf, 2000, 2000);
    const host = testHost(root, { spareWorker: true });
    const until = async (what: () => boolean): Promise<void> => {
      for (let i = 0; i < 6000 && !what(); i++) await settle();
      expect(what()).toBe(true);
    };
    try {
      expect(host.debug.spareWorkers).toBe(0); // no window yet
      const a = host.connect(() => {});
      expect(host.debug.spareWorkers).toBe(1);
      expect(await host.debug.spareReady()).toBe(true);
      const started = await a.call(1, 'session.start', { mode: 'run', board: 'mps2-an386' });
      expect(started.ok, JSON.stringify(started)).toBe(true);
      expect(host.debug.target?.state()).toBe('running');
      expect(host.debug.spareWorkers).toBe(0); // Run took it; none loads while it runs
      expect((await a.call(2, 'session.stop', {})).ok).toBe(true);
      expect(host.debug.spareWorkers).toBe(1); // the next Run's, after the session ended
      a.close(); // the last window: the spare ends with the session
      await until(() => host.debug.spareWorkers === 0);
      const b = host.connect(() => {}); // a window again (a reload): a spare again
      expect(host.debug.spareWorkers).toBe(1);
      b.close();
      await until(() => host.debug.spareWorkers === 0);
    } finally {
      host.dispose();
    }
  }, 120_000);
});
