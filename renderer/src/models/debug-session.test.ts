// The debug-session model, fed the host's events as a transport delivers them: a stop refreshes
// the stack, registers, variables and watches in one round; registers that changed since the
// previous stop are marked; a new session resets the panels and the console; the console log
// keeps bytes (and gives ANSI-free text to save); the status line says each state in words.
import { describe, expect, it } from 'vitest';
import type {
  HostError,
  HostEventName,
  HostEvents,
  RegisterValue,
  Result,
  SessionInfo,
  StackFrame,
} from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { ConsoleLog, DebugSessionModel, describeSession } from './debug-session';

/** An answer that is the host's error (a fake host's answers are values otherwise). */
class Failure {
  constructor(readonly error: HostError) {}
}

function fakeHost(answers: Record<string, (args: unknown) => unknown>) {
  let push: (events: { name: HostEventName; payload: unknown }[]) => void = () => {};
  const calls: { method: string; args: unknown }[] = [];
  const transport: Transport = {
    call: async (method, args) => {
      calls.push({ method, args });
      const a = answers[method];
      const v: unknown = a ? await a(args) : null;
      return (
        v instanceof Failure ? { ok: false, error: v.error } : { ok: true, value: v }
      ) as Result<unknown>;
    },
    onEvents: (l) => {
      push = l as typeof push;
      return () => {};
    },
  };
  return {
    conn: hostConnection(transport),
    calls,
    emit<K extends HostEventName>(name: K, payload: HostEvents[K]) {
      push([{ name, payload }]);
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

const session = (patch: Partial<SessionInfo> = {}): SessionInfo => ({
  id: 1,
  mode: 'debug',
  board: 'nrf52840dk',
  target: 'emulated nrf52840dk',
  targetKind: 'emulator',
  phase: 'running',
  stop: null,
  ended: null,
  staleFiles: [],
  builtAt: 0,
  apps: ['hello'],
  sourceLevel: true,
  consoles: [0],
  unavailableRegisters: [],
  ...patch,
});

const halted = (pc: number, id = 1): SessionInfo =>
  session({
    id,
    phase: 'halted',
    stop: {
      reason: 'breakpoint',
      description: 'Breakpoint at console.rs:155',
      pc,
      function: 'command',
      location: { path: 'capsules/src/console.rs', inProject: true, line: 155, column: 1 },
    },
  });

function memoryStore() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
  };
}

/** A stop's only frame, in the console capsule's command handler (no source). */
const local = (value: string) => ({ name: 'x', value, type: 'u32', ref: 0, editable: false });

const commandFrame: StackFrame = {
  index: 0,
  function: 'command',
  pc: 0x100,
  location: null,
  program: 'kernel',
  inlined: false,
  hasSource: false,
};

describe('DebugSessionModel', () => {
  it("hands each stop's stack to its listeners (the read-ahead) and says while a step is unanswered", async () => {
    let answerStep: () => void = () => {};
    const stepped = new Promise<void>((r) => (answerStep = r));
    const frames = [commandFrame];
    const transport: Transport = {
      call: async (method) => {
        if (method === 'session.step') await stepped;
        return { ok: true, value: method === 'session.stack' ? frames : [] } as Result<unknown>;
      },
      onEvents: () => () => {},
    };
    const m = new DebugSessionModel(hostConnection(transport));
    const seen: string[][] = [];
    m.onStack((f) => seen.push(f.map((x) => x.function)));
    await m.refresh();
    expect(seen).toEqual([['command']]);
    expect(m.controlPending).toBe(false);
    const step = m.step('over');
    expect(m.controlPending).toBe(true);
    answerStep();
    expect(await step).toBeNull();
    expect(m.controlPending).toBe(false);
  });

  it('refreshes the panels at a stop and marks registers that changed since the last one', async () => {
    let r0 = 1;
    const regs = (): RegisterValue[] => [
      { name: 'r0', value: r0, available: true },
      { name: 'pc', value: 0x100, available: true },
    ];
    const h = fakeHost({
      'session.stack': () => [commandFrame],
      'session.registers': regs,
      'session.variables': () => [
        {
          name: 'Arguments',
          variables: [{ name: 'command', value: '1', type: 'u32', ref: 0, editable: false }],
        },
      ],
      'session.evaluate': (a) => ({
        name: (a as { expression: string }).expression,
        value: '21',
        type: 'u32',
        ref: 0,
        editable: false,
      }),
    });
    const store = memoryStore();
    const m = new DebugSessionModel(h.conn, store);
    for (const part of ['registers', 'variables', 'watches'] as const) m.show(part, 'view', true);
    await m.addWatch('arg1');
    h.emit('session.state', session());
    await settle();
    expect(m.active).toBe(true);
    expect(m.halted).toBe(false);
    h.emit('session.state', halted(0x100));
    await settle();
    await settle();
    const s = m.snapshot();
    expect(s.frames.map((f) => f.function)).toEqual(['command']);
    expect(s.scopes[0]!.variables[0]!.value).toBe('1');
    expect(s.watches[0]).toMatchObject({ expression: 'arg1', value: { value: '21' } });
    expect(s.changed).toEqual([]);
    // Next stop: r0 changed, pc did not.
    r0 = 2;
    h.emit('session.state', halted(0x102));
    await settle();
    await settle();
    expect(m.snapshot().changed).toEqual(['r0']);
    // Watches are kept for the next window.
    expect(JSON.parse(store.getItem('capsule.watches')!)).toEqual(['arg1']);
    expect(
      new DebugSessionModel(h.conn, store).snapshot().watches.map((w) => w.expression),
    ).toEqual(['arg1']);
  });

  it('reads registers, variables and watches at a stop only while a view shows them, and when one is shown there later', async () => {
    let r0 = 1;
    const h = fakeHost({
      'session.stack': () => [commandFrame],
      'session.registers': (): RegisterValue[] => [{ name: 'r0', value: r0, available: true }],
      'session.variables': () => [{ name: 'Locals', variables: [] }],
      'session.evaluate': () => ({ name: 'x', value: '1', type: 'u32', ref: 0, editable: false }),
    });
    const m = new DebugSessionModel(h.conn);
    await m.addWatch('x');
    const asked = (): string[] =>
      h.calls.splice(0).flatMap((c) => (c.method === 'session.stack' ? [] : [c.method]));
    h.emit('session.state', halted(0x100));
    await settle();
    await settle();
    // No view: only the stack (the editor's line) is read; nothing of a stop is shown as this one's.
    expect(asked()).toEqual([]);
    expect(m.snapshot().frames).toHaveLength(1);
    expect(m.snapshot().registers).toEqual([]);
    // The Registers panel shown at this stop: read now, once; shown again, not again.
    m.show('registers', 'view', true);
    await settle();
    expect(asked()).toEqual(['session.registers']);
    expect(m.snapshot().registers).toEqual([{ name: 'r0', value: 1, available: true }]);
    m.show('registers', 'view', false);
    m.show('registers', 'view', true);
    await settle();
    expect(asked()).toEqual([]);
    // The Variables view shown: its part only (the registers already read at this stop).
    m.show('variables', 'view', true);
    await settle();
    expect(asked()).toEqual(['session.variables']);
    expect(m.snapshot().scopes.map((s) => s.name)).toEqual(['Locals']);
    // Next stop with both shown: both read with the stack; the watches (hidden) are not.
    r0 = 2;
    h.emit('session.state', halted(0x102));
    await settle();
    await settle();
    expect(asked().sort()).toEqual(['session.registers', 'session.variables']);
    expect(m.snapshot().changed).toEqual(['r0']);
    expect(m.snapshot().watches[0]!.value).toBeNull();
    // Hidden at a stop: emptied, and read when shown again.
    m.show('registers', 'view', false);
    m.show('variables', 'view', false);
    h.emit('session.state', halted(0x104));
    await settle();
    await settle();
    expect(asked()).toEqual([]);
    expect(m.snapshot().registers).toEqual([]);
    expect(m.snapshot().scopes).toEqual([]);
    m.show('watches', 'view', true);
    await settle();
    expect(asked()).toEqual(['session.evaluate']);
    expect(m.snapshot().watches[0]!.value).toMatchObject({ value: '1' });
    // Running: shown views wait for the next stop.
    h.emit('session.state', session({ phase: 'running' }));
    m.show('registers', 'view', true);
    await settle();
    expect(asked()).toEqual([]);
  });

  it("never shows a read the host dropped as stale, nor the last stop's values as this one's", async () => {
    let answer: () => unknown = () => [{ name: 'Locals', variables: [local('1')] }];
    const h = fakeHost({
      'session.stack': () => [commandFrame],
      'session.variables': () => answer(),
    });
    const m = new DebugSessionModel(h.conn);
    m.show('variables', 'view', true);
    h.emit('session.state', halted(0x100));
    await settle();
    await settle();
    const shown = (): { value: string | undefined; current: boolean; error: unknown } => {
      const d = m.snapshot();
      return {
        value: d.scopes[0]?.variables[0]?.value,
        current: d.scopesAt === d.stopSeq,
        error: d.error,
      };
    };
    expect(shown()).toEqual({ value: '1', current: true, error: null });
    // The next stop's read is dropped by the host (a step left that stop while it ran): the
    // values shown stay, marked as the previous stop's, with no error and nothing blanked.
    answer = () =>
      new Failure({ code: 'stale', message: 'the stop was left before this read ended' });
    h.emit('session.state', halted(0x102));
    await settle();
    await settle();
    expect(shown()).toEqual({ value: '1', current: false, error: null });
    // Its stop's own read makes them current again.
    answer = () => [{ name: 'Locals', variables: [local('3')] }];
    h.emit('session.state', halted(0x104));
    await settle();
    await settle();
    expect(shown()).toEqual({ value: '3', current: true, error: null });
    // A stale stack keeps the frames, marked as the previous stop's, and reads no variables.
    const frames = m.snapshot().frames;
    const stack = (): unknown => new Failure({ code: 'stale', message: 'left' });
    const h2 = fakeHost({ 'session.stack': stack, 'session.variables': () => answer() });
    const m2 = new DebugSessionModel(h2.conn);
    m2.show('variables', 'view', true);
    h2.emit('session.state', halted(0x100));
    await settle();
    await settle();
    expect(h2.calls.map((c) => c.method)).toEqual(['session.stack']);
    expect(m2.snapshot().framesAt).not.toBe(m2.snapshot().stopSeq);
    expect(frames).toHaveLength(1);
  });

  it('reads the statics only while their group is open', async () => {
    const h = fakeHost({
      'session.stack': () => [commandFrame],
      'session.variables': (a) =>
        (a as { statics?: boolean }).statics
          ? [{ name: 'Statics', variables: [local('7')] }]
          : [{ name: 'Statics', variables: [], unread: true }],
    });
    const m = new DebugSessionModel(h.conn);
    m.show('variables', 'view', true);
    h.emit('session.state', halted(0x100));
    await settle();
    await settle();
    const asked = (): unknown[] =>
      h.calls.splice(0).flatMap((c) => (c.method === 'session.variables' ? [c.args] : []));
    expect(asked()).toEqual([{ frame: 0, statics: false }]);
    expect(m.snapshot().scopes[0]).toMatchObject({ unread: true });
    await m.openStatics(true);
    expect(asked()).toEqual([{ frame: 0, statics: true }]);
    expect(m.snapshot().scopes[0]!.variables[0]!.value).toBe('7');
    h.emit('session.state', halted(0x102));
    await settle();
    await settle();
    expect(asked()).toEqual([{ frame: 0, statics: true }]);
    await m.openStatics(false);
    h.emit('session.state', halted(0x104));
    await settle();
    await settle();
    expect(asked()).toEqual([{ frame: 0, statics: false }]);
  });

  it('starts a new session clean: frames, faults and the console', async () => {
    const h = fakeHost({
      'session.stack': () => [],
      'session.registers': () => [],
      'session.variables': () => [],
    });
    const m = new DebugSessionModel(h.conn);
    h.emit('session.state', session());
    h.emit('session.console', {
      id: 1,
      port: 0,
      bytes: new TextEncoder().encode('hello\r\n'),
      source: 'uart',
    });
    h.emit('session.fault', {
      id: 1,
      fault: {
        exception: 'MemManage',
        cfsr: 0x82,
        hfsr: 0,
        mmfar: 0x2000_0000,
        bfar: 0,
        causes: ['x'],
        pc: 0x40000,
        function: null,
        location: null,
        process: 'peek',
        handled: true,
        at: null,
      },
    });
    await settle();
    expect(m.snapshot().faults).toHaveLength(1);
    expect(m.console.text()).toBe('hello\r\n');
    h.emit('session.state', session({ id: 2 }));
    await settle();
    expect(m.snapshot().faults).toHaveLength(0);
    expect(m.console.all().length).toBe(0);
  });

  it('tells the session state in words', () => {
    expect(describeSession(null, null)).toBe('No session');
    expect(
      describeSession(session(), { instructions: 5e6, virtualSeconds: 2.25, mips: 31.4 }),
    ).toBe('Running nrf52840dk · 2.3 s · 31.4 MIPS');
    expect(describeSession(halted(0x100), null)).toBe('Halted at console.rs:155');
    const fault = session({
      phase: 'halted',
      stop: {
        reason: 'fault',
        description: 'HardFault at 0x00001234 in main',
        pc: 0x1234,
        function: 'main',
        location: null,
      },
    });
    expect(describeSession(fault, null)).toBe('Faulted: HardFault at 0x00001234 in main');
    expect(
      describeSession(
        session({
          phase: 'halted',
          stop: {
            reason: 'lockup',
            description: 'core locked up at 0xfffffffe',
            pc: 0,
            function: null,
            location: null,
          },
        }),
        null,
      ),
    ).toBe('Locked up: core locked up at 0xfffffffe');
    expect(
      describeSession(
        session({
          phase: 'halted',
          stop: {
            reason: 'exit',
            description: 'exited',
            pc: 0,
            function: null,
            location: null,
            exitCode: 3,
          },
        }),
        null,
      ),
    ).toBe('Exited (status 3)');
    expect(
      describeSession(
        session({ phase: 'ended', ended: 'the emulator worker crashed: boom' }),
        null,
      ),
    ).toBe('Session ended: the emulator worker crashed: boom');
  });
});

describe('ConsoleLog', () => {
  it('keeps bytes for a terminal that opens later, drops the oldest past its limit, saves text without ANSI', () => {
    const log = new ConsoleLog();
    const seen: number[] = [];
    log.onData((b) => seen.push(b.length));
    log.append(new TextEncoder().encode('\x1b[32mgreen\x1b[0m text'));
    expect(log.text()).toBe('green text');
    expect(seen).toEqual([19]);
    const big = new Uint8Array(ConsoleLog.MAX_BYTES);
    log.append(big);
    log.append(Uint8Array.of(0x41));
    expect(log.all().length).toBe(1);
    let cleared = false;
    log.onClear(() => (cleared = true));
    log.clear();
    expect(cleared).toBe(true);
    expect(log.all().length).toBe(0);
  });
});
