/**
 * Tests for DebugTarget across a message port (a MessageChannel here; a worker in main/host):
 * calls and events pass through, bytes travel as transferred Uint8Arrays, optional methods exist
 * exactly when the target has them, a target that throws answers with an error, a failed
 * port ends the proxy with one closed event naming the cause, and the registers of a stop come
 * with it (readRegisters answered without a trip until anything may have changed them).
 */
import { describe, expect, it } from 'vitest';
import { err, ok, type Result } from '../core/result';
import {
  connectTarget,
  serveTarget,
  type TargetMessage,
  type TargetPort,
  type TargetProxy,
} from './target-rpc';
import { portPair } from './testing/port-pair';
import { CORE_REGISTER_NAMES } from './target';
import type {
  AccessLogReply,
  CoreRegisters,
  AccessLogRequest,
  AccessRecord,
  DebugTarget,
  StopInfo,
  TargetDescription,
  TargetEvent,
} from './target';

const channel = portPair;

const DESCRIPTION: TargetDescription = {
  kind: 'emulator',
  board: 'test',
  label: 'test target',
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

const STOP: StopInfo = { cause: { kind: 'halted' }, pc: 0x100, instructions: 5, cycles: 9 };

/** A target with memory, a console and a method that throws. */
function fakeTarget(): DebugTarget & {
  memory: Uint8Array;
  emit(e: TargetEvent): void;
  typed: Uint8Array[];
} {
  let listeners: ((e: TargetEvent) => void)[] = [];
  const memory = Uint8Array.from({ length: 16 }, (_, i) => i);
  const typed: Uint8Array[] = [];
  const unsupported = async (): Promise<Result<never>> => err('unsupported');
  return {
    memory,
    typed,
    description: DESCRIPTION,
    state: () => 'halted',
    emit: (e) => listeners.forEach((l) => l(e)),
    onEvent(l) {
      listeners.push(l);
      return () => (listeners = listeners.filter((x) => x !== l));
    },
    readRegisters: unsupported,
    readRegister: async () => {
      throw new Error('register file exploded');
    },
    writeRegister: unsupported,
    readMemory: async (a, n) => ok(memory.slice(a, a + n)),
    writeMemory: async (a, d) => {
      memory.set(d, a);
      return ok(undefined);
    },
    setBreakpoint: unsupported,
    clearBreakpoint: unsupported,
    setWatchpoint: unsupported,
    clearWatchpoint: unsupported,
    resume: async () => ok(undefined),
    halt: async () => ok(STOP),
    step: async () => ok(STOP),
    stepRange: async () => ok(STOP),
    reset: async () => ok(undefined),
    writeConsole: async (_p, bytes) => {
      typed.push(bytes);
      return ok(undefined);
    },
    catchFaults: async () => ok(undefined),
    close: async () => {
      listeners.forEach((l) => l({ kind: 'closed', reason: 'session closed' }));
    },
  };
}

/** `base` with a run state: resume runs it (a `running` event goes out), `haltHere()` halts it (as a breakpoint would). */
function runnable(base: ReturnType<typeof fakeTarget>) {
  let state: 'halted' | 'running' = 'halted';
  return {
    haltHere: () => void (state = 'halted'),
    state: () => state,
    resume: async (): Promise<Result<void>> => {
      state = 'running';
      base.emit({ kind: 'running' });
      return ok(undefined);
    },
  };
}

/** `target` served on one end of a channel, and its proxy on the other. */
async function proxied(target: DebugTarget): Promise<{ proxy: TargetProxy; end(): void }> {
  const [a, b, end] = channel();
  serveTarget(target, a);
  const p = await connectTarget(b);
  if (!p.ok) throw new Error(p.error);
  return { proxy: p.value, end };
}

describe('target across a message port', () => {
  it('passes calls, results and events; bytes as Uint8Arrays', async () => {
    const [a, b, end] = channel();
    const target = fakeTarget();
    serveTarget(target, a);
    const p = await connectTarget(b);
    if (!p.ok) throw new Error(p.error);
    const proxy = p.value;
    expect(proxy.description).toEqual(DESCRIPTION);
    expect(proxy.description.capabilities.breakpoints).toBe(Infinity);
    expect(typeof proxy.catchFaults).toBe('function');
    expect(proxy.programMemory).toBeUndefined();
    expect(proxy.monitor).toBeUndefined();
    const m = await proxy.readMemory(4, 4);
    expect(m).toEqual({ ok: true, value: Uint8Array.of(4, 5, 6, 7) });
    const data = Uint8Array.of(9, 9);
    expect((await proxy.writeMemory(0, data)).ok).toBe(true);
    expect(Array.from(data)).toEqual([9, 9]); // still the caller's
    expect(Array.from(target.memory.subarray(0, 3))).toEqual([9, 9, 2]);
    expect((await proxy.writeConsole(0, Uint8Array.of(0x61))).ok).toBe(true);
    expect(target.typed[0]).toEqual(Uint8Array.of(0x61));
    expect(await proxy.halt()).toEqual({ ok: true, value: STOP });
    // A Node Buffer's slice() is a view: bytes that are a view into a socket's pooled buffer
    // (a WebSocket frame) must stay the caller's, not be detached by the transfer.
    // eslint-disable-next-line no-restricted-globals -- a Node Buffer is what a host's socket hands in, and what this checks
    const pool = Buffer.allocUnsafeSlow(9);
    pool.write('..typed..');
    const view = pool.subarray(2, 7);
    expect((await proxy.writeConsole(0, view)).ok).toBe(true);
    expect((await proxy.writeMemory(0, view)).ok).toBe(true);
    expect(pool.buffer.byteLength).toBeGreaterThan(0);
    expect(pool.toString()).toBe('..typed..');
    expect(target.typed[1]).toEqual(new TextEncoder().encode('typed'));

    const got: TargetEvent[] = [];
    proxy.onEvent((e) => got.push(e));
    target.emit({ kind: 'running' });
    const bytes = new Uint8Array(8).fill(0x41);
    target.emit({ kind: 'console', port: 0, bytes: bytes.subarray(2, 4) });
    // Stamped bytes get the receiving side's stamp (the queue vs the receiving thread's turn).
    const sentAt = Date.now();
    target.emit({ kind: 'console', port: 0, bytes: Uint8Array.of(0x42), sentAt, postedAt: sentAt });
    target.emit({ kind: 'stopped', stop: STOP });
    await new Promise((r) => setTimeout(r, 10));
    expect(got[0]).toEqual({ kind: 'running' });
    expect(got[1]).toMatchObject({ kind: 'console', port: 0 });
    expect(got[1]).not.toHaveProperty('arrivedAt');
    expect((got[1] as { bytes: Uint8Array }).bytes).toEqual(Uint8Array.of(0x41, 0x41));
    expect(got[2]).toMatchObject({ kind: 'console', sentAt, postedAt: sentAt });
    expect((got[2] as { arrivedAt?: number }).arrivedAt).toBeGreaterThanOrEqual(sentAt);
    expect(proxy.state()).toBe('halted');
    end();
  });

  it('sends the calls made in one turn as one batch, answered each with its own result', async () => {
    const [a, b, end] = channel();
    const target = fakeTarget();
    serveTarget(target, a);
    const sent: TargetMessage[] = [];
    const counted: TargetPort = {
      post: (m, transfer) => (sent.push(m), b.post(m, transfer)),
      listen: (h) => b.listen(h),
    };
    const p = await connectTarget(counted);
    if (!p.ok) throw new Error(p.error);
    const proxy = p.value;
    const data = Uint8Array.of(7);
    const [r0, r1, w, r2, bad] = await Promise.all([
      proxy.readMemory(0, 2),
      proxy.readMemory(8, 2),
      proxy.writeMemory(3, data),
      proxy.readMemory(2, 3),
      proxy.readRegister('r0'),
    ]);
    expect(sent.map((m) => m.t)).toEqual(['batch']);
    expect(proxy.posted).toBe(1);
    expect(r0).toEqual({ ok: true, value: Uint8Array.of(0, 1) });
    expect(r1).toEqual({ ok: true, value: Uint8Array.of(8, 9) });
    expect(w.ok).toBe(true);
    // Started in order on the far side: the write lands before the read issued after it.
    expect(r2).toEqual({ ok: true, value: Uint8Array.of(2, 7, 4) });
    expect(bad.ok).toBe(false);
    // One call alone still goes as a plain call.
    expect((await proxy.readMemory(0, 1)).ok).toBe(true);
    expect(sent.map((m) => m.t)).toEqual(['batch', 'call']);
    end();
  });

  it("sums the serving side's time answering calls (its reply's ms)", async () => {
    const base = fakeTarget();
    const target: DebugTarget = {
      ...base,
      // Answered after a wait on the serving side: at least that long there.
      readMemory: (address, length) =>
        new Promise((resolve) => setTimeout(() => resolve(base.readMemory(address, length)), 30)),
    };
    const { proxy, end } = await proxied(target);
    expect(proxy.replies).toBe(0);
    expect((await proxy.readMemory(0, 2)).ok).toBe(true);
    expect(proxy.replies).toBe(1);
    // A lower bound only (the timer may fire a millisecond early, never much earlier).
    expect(proxy.servedMs).toBeGreaterThanOrEqual(25);
    end();
  });

  it("answers readRegisters from the stop's registers until a call or a run may change them", async () => {
    const base = fakeTarget();
    const run = runnable(base);
    const regs = Object.fromEntries(CORE_REGISTER_NAMES.map((n) => [n, 0])) as CoreRegisters;
    let served = 0;
    const target: DebugTarget = {
      ...base,
      ...run,
      readRegisters: async () => (served++, ok({ ...regs })),
      writeRegister: async (name, value) => {
        regs[name as keyof CoreRegisters] = value;
        return ok(undefined);
      },
      step: async () => {
        regs.pc += 2;
        return ok({ ...STOP, cause: { kind: 'step' }, pc: regs.pc });
      },
    };
    const { proxy, end } = await proxied(target);
    const pc = async (): Promise<number> => {
      const r = await proxy.readRegisters();
      if (!r.ok) throw new Error(r.error);
      return r.value.pc;
    };
    // A step's reply carries the registers: no trip for them, twice.
    expect((await proxy.step()).ok).toBe(true);
    const posted = proxy.posted;
    expect(await pc()).toBe(2);
    expect(await pc()).toBe(2);
    expect(proxy.posted).toBe(posted);
    // A write may change them: the next read crosses, and is kept again.
    expect((await proxy.writeRegister('pc', 0x40)).ok).toBe(true);
    expect(await pc()).toBe(0x40);
    expect(proxy.posted).toBe(posted + 2);
    expect(await pc()).toBe(0x40);
    expect(proxy.posted).toBe(posted + 2);
    // Memory reads and breakpoints keep them.
    await proxy.readMemory(0, 4);
    await proxy.setBreakpoint(0x80);
    expect(await pc()).toBe(0x40);
    expect(proxy.posted).toBe(posted + 4);
    // Running: read from the target; stopped again: the event brings them.
    expect((await proxy.resume()).ok).toBe(true);
    regs.pc = 0x80;
    expect(await pc()).toBe(0x80);
    expect(proxy.posted).toBe(posted + 6);
    regs.pc = 0x84;
    run.haltHere();
    base.emit({ kind: 'stopped', stop: { ...STOP, pc: 0x84 } });
    const stopped = new Promise<void>((r) => proxy.onEvent((e) => e.kind === 'stopped' && r()));
    await stopped;
    // Asked right at the stop event, before its registers arrived: waits for them.
    expect(await pc()).toBe(0x84);
    expect(proxy.posted).toBe(posted + 6);
    // Registers answered while a changing call is on its way are not kept: a write sent after
    // the step (its own message) but before the step's reply came back; the step's registers
    // (read before the write) must not answer the read after both.
    const before = proxy.posted;
    const stepping = proxy.step();
    await Promise.resolve();
    await Promise.resolve();
    const writing = proxy.writeRegister('pc', 0x200);
    const [stepped, wrote] = await Promise.all([stepping, writing]);
    expect(proxy.posted).toBe(before + 2);
    expect(stepped.ok && wrote.ok).toBe(true);
    expect(await pc()).toBe(0x200);
    expect(served).toBeGreaterThan(0);
    end();
  });

  it("answers a halted target's RAM and flash reads from one page per stop; peripherals cross", async () => {
    const base = fakeTarget();
    const ram = Uint8Array.from({ length: 0x3000 }, (_, i) => i & 0xff);
    const asked: string[] = [];
    const target: DebugTarget = {
      ...base,
      description: {
        ...DESCRIPTION,
        memoryMap: [
          { name: 'RAM', kind: 'ram', start: 0x2000_0000, size: 0x3000 },
          { name: 'UART', kind: 'peripheral', start: 0x4000_0000, size: 0x1000 },
        ],
      },
      ...runnable(base),
      readMemory: async (addr, n) => {
        asked.push(`${addr.toString(16)}/${n.toString(16)}`);
        if (addr >= 0x4000_0000) return ok(new Uint8Array(n).fill(0xaa));
        const o = addr - 0x2000_0000;
        return o >= 0 && o + n <= ram.length ? ok(ram.slice(o, o + n)) : err('unmapped');
      },
      writeMemory: async (addr, d) => {
        ram.set(d, addr - 0x2000_0000);
        return ok(undefined);
      },
    };
    const { proxy, end } = await proxied(target);
    const read = async (addr: number, n: number): Promise<number[]> => {
      const r = await proxy.readMemory(addr, n);
      if (!r.ok) throw new Error(r.error);
      return [...r.value];
    };
    // Two reads in one page, and one across two pages: two page reads, nothing else.
    expect(await read(0x2000_0010, 2)).toEqual([0x10, 0x11]);
    expect(await read(0x2000_0ff0, 2)).toEqual([0xf0, 0xf1]);
    expect(await read(0x2000_0ffe, 4)).toEqual([0xfe, 0xff, 0x00, 0x01]);
    expect(asked).toEqual(['20000000/1000', '20001000/1000']);
    // A peripheral read always crosses.
    expect(await read(0x4000_0000, 1)).toEqual([0xaa]);
    expect(await read(0x4000_0000, 1)).toEqual([0xaa]);
    expect(asked.length).toBe(4);
    // A write may change memory: the page is read again, and shows the write.
    expect((await proxy.writeMemory(0x2000_0010, Uint8Array.of(7))).ok).toBe(true);
    expect(await read(0x2000_0010, 2)).toEqual([7, 0x11]);
    expect(asked.slice(4)).toEqual(['20000000/1000']);
    // Running: every read crosses, as asked.
    await proxy.resume();
    await read(0x2000_0020, 2);
    await read(0x2000_0020, 2);
    expect(asked.slice(5)).toEqual(['20000020/2', '20000020/2']);
    end();
  });

  it("sends the stop's stack pages with its registers: the unwind's reads do not cross", async () => {
    const base = fakeTarget();
    const run = runnable(base);
    const ram = Uint8Array.from({ length: 0x4000 }, (_, i) => (i * 7) & 0xff);
    const asked: string[] = [];
    const regs = Object.fromEntries(CORE_REGISTER_NAMES.map((n) => [n, 0])) as CoreRegisters;
    // SP in its page's last KiB (the next page goes too); PSP on another page.
    regs.sp = regs.msp = 0x2000_0f80;
    regs.psp = 0x2000_3100;
    const target: DebugTarget = {
      ...base,
      ...run,
      description: {
        ...DESCRIPTION,
        memoryMap: [{ name: 'RAM', kind: 'ram', start: 0x2000_0000, size: 0x4000 }],
      },
      readRegisters: async () => ok({ ...regs }),
      readMemory: async (addr, n) => {
        asked.push(`${addr.toString(16)}/${n.toString(16)}`);
        return ok(ram.slice(addr - 0x2000_0000, addr - 0x2000_0000 + n));
      },
      // A step stops as the emulator does: the `stopped` event, then the answer.
      step: async () => {
        run.haltHere();
        base.emit({ kind: 'stopped', stop: { ...STOP, cause: { kind: 'step' } } });
        return ok({ ...STOP, cause: { kind: 'step' } });
      },
    };
    const { proxy, end } = await proxied(target);
    const read = async (addr: number, n: number): Promise<number[]> => {
      const r = await proxy.readMemory(addr, n);
      if (!r.ok) throw new Error(r.error);
      return [...r.value];
    };
    const at = (addr: number, n: number): number[] => [
      ...ram.slice(addr - 0x2000_0000, addr - 0x2000_0000 + n),
    ];
    expect((await proxy.step()).ok).toBe(true);
    // Read once each, for the step's answer (not again for its `stopped` event's registers).
    expect(asked).toEqual(['20000000/1000', '20001000/1000', '20003000/1000']);
    const posted = proxy.posted;
    expect(await read(0x2000_0f80, 8)).toEqual(at(0x2000_0f80, 8));
    expect(await read(0x2000_0ffc, 8)).toEqual(at(0x2000_0ffc, 8));
    expect(await read(0x2000_3120, 32)).toEqual(at(0x2000_3120, 32));
    expect(proxy.posted).toBe(posted);
    // Another page still crosses, once.
    expect(await read(0x2000_2000, 4)).toEqual(at(0x2000_2000, 4));
    expect(proxy.posted).toBe(posted + 1);
    // A stop after a run: the pages come with the `stopped` event's registers.
    await proxy.resume();
    ram[0xf80] = 0x5a;
    regs.sp = regs.msp = 0x2000_0800;
    asked.length = 0;
    run.haltHere();
    const stopped = new Promise<void>((r) => proxy.onEvent((e) => e.kind === 'stopped' && r()));
    base.emit({ kind: 'stopped', stop: STOP });
    await stopped;
    expect((await proxy.readRegisters()).ok).toBe(true);
    const again = proxy.posted;
    expect(await read(0x2000_0f80, 2)).toEqual([0x5a, ram[0xf81]]);
    expect(await read(0x2000_3100, 2)).toEqual(at(0x2000_3100, 2));
    expect(proxy.posted).toBe(again);
    expect(asked).toEqual(['20000000/1000', '20003000/1000']);
    end();
  });

  it('answers a throwing target and an unknown method with errors', async () => {
    const [a, b, end] = channel();
    serveTarget(fakeTarget(), a);
    const p = await connectTarget(b);
    if (!p.ok) throw new Error(p.error);
    const r = await p.value.readRegister('r0');
    expect(r).toEqual({
      ok: false,
      error: 'readRegister failed inside the target: register file exploded',
    });
    const replies: TargetMessage[] = [];
    b.listen((m) => replies.push(m));
    b.post({ t: 'call', id: 999, method: 'constructor' as never, args: [] }, []);
    await new Promise((r) => setTimeout(r, 10));
    expect(replies).toContainEqual({
      t: 'reply',
      id: 999,
      result: err("'constructor' is not a target method"),
      ms: expect.any(Number),
    });
    end();
  });

  it('reports a start failure, and ends a failed proxy with one closed event', async () => {
    const [a, b, end] = channel();
    a.post({ t: 'failed', error: 'unknown machine' }, []);
    expect(await connectTarget(b)).toEqual(err('unknown machine'));
    end();

    const [c, d, end2] = channel();
    serveTarget(fakeTarget(), c);
    const p = await connectTarget(d);
    if (!p.ok) throw new Error(p.error);
    const events: TargetEvent[] = [];
    p.value.onEvent((e) => events.push(e));
    p.value.fail('the emulator worker crashed: boom');
    p.value.fail('again');
    expect(events).toEqual([{ kind: 'closed', reason: 'the emulator worker crashed: boom' }]);
    expect(p.value.state()).toBe('closed');
    expect(await p.value.resume()).toEqual(err('the emulator worker crashed: boom'));
    end2();
  });

  it('closes through the port and runs the host hook after', async () => {
    const [a, b, end] = channel();
    serveTarget(fakeTarget(), a);
    let after = 0;
    const p = await connectTarget(b, () => void after++);
    if (!p.ok) throw new Error(p.error);
    const events: TargetEvent[] = [];
    p.value.onEvent((e) => events.push(e));
    await p.value.close();
    expect(after).toBe(1);
    expect(events).toEqual([{ kind: 'closed', reason: 'session closed' }]);
    expect(p.value.state()).toBe('closed');
    end();
  });

  it('carries access-log pages as columns and rebuilds the same entries', async () => {
    const [a, b, end] = channel();
    const entries: AccessRecord[] = [
      {
        seq: 7,
        cycle: 1e12 + 3,
        write: true,
        size: 4,
        address: 0x4000251c,
        value: 0xffffffff,
        pc: 0x2001,
        debugger: false,
      },
      {
        seq: 8,
        cycle: 1e12 + 9,
        write: false,
        size: 1,
        address: 0x40002518,
        value: 0x41,
        pc: 0,
        debugger: true,
      },
      {
        seq: 9,
        cycle: 2,
        write: false,
        size: 2,
        address: 0x50000504,
        value: 3,
        pc: 0x8000,
        debugger: false,
        callers: [0x1235, 0x4567],
      },
      {
        seq: 10,
        cycle: 5,
        write: false,
        size: 4,
        address: 0x20001000,
        value: 12,
        pc: 0x40002000,
        debugger: false,
        dma: true,
        callers: [],
      },
    ];
    const reply: AccessLogReply = { on: true, entries, next: 11, missed: 7, frequencyHz: 64e6 };
    let asked: AccessLogRequest | null = null;
    serveTarget(
      {
        ...fakeTarget(),
        accessLog: async (r: AccessLogRequest) => ((asked = r), ok(reply)),
      },
      a,
    );
    const p = await connectTarget(b);
    if (!p.ok) throw new Error(p.error);
    const request = {
      since: 7,
      max: 10,
      filter: { ranges: [0x40002000, 0x40003000], debugger: true },
    };
    expect(await p.value.accessLog!(request)).toEqual(ok(reply));
    expect(asked).toEqual(request);
    // A newest read: the flag goes out, the count of entries left out comes back.
    reply.passed = 3;
    const newest = { ...request, newest: true };
    expect(await p.value.accessLog!(newest)).toEqual(ok(reply));
    expect(asked).toEqual(newest);
    end();
  });

  it('settles a call the target never answered when it closes (the worker is gone after)', async () => {
    const [a, b, end] = channel();
    // A read still inside the target when the session ends: the host ends the worker after
    // close, so no reply will ever come.
    serveTarget({ ...fakeTarget(), readMemory: () => new Promise(() => undefined) }, a);
    const p = await connectTarget(b);
    if (!p.ok) throw new Error(p.error);
    const pending = p.value.readMemory(0, 4);
    await p.value.close();
    const settled = await Promise.race([
      pending,
      new Promise((resolve) => setTimeout(() => resolve('no answer in 2 s'), 2000)),
    ]);
    expect(settled).toEqual(err('session closed'));
    expect(await p.value.readMemory(0, 4)).toEqual(err('session closed'));
    end();
  });
});
