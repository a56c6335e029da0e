/**
 * Tests for the GDB remote target over a scripted stub: registers mapped from the target
 * description (and the ones it lacks reported), stop causes from T replies (breakpoint by PC,
 * swbreak, watch/rwatch/awatch, interrupt), breakpoints changed while running without events,
 * range stepping with and without vCont;r, monitor reset, exit, and a lost connection.
 * tests/kernel/debug-targets.test.ts proves the same target against QEMU's gdbstub.
 */
import { describe, expect, it } from 'vitest';
import { CORE_REGISTER_NAMES, type TargetEvent } from '../debug/target';
import { GdbRemoteClient } from './client';
import { hexToLeWord, leWordToHex, textToHex } from './framing';
import { openGdbRemoteTarget, type GdbRemoteTarget } from './remote-target';
import { FakeStub } from './testing/fake-stub';

const TARGET_XML =
  '<target><architecture>arm</architecture><feature name="org.gnu.gdb.arm.m-profile">' +
  [...Array.from({ length: 13 }, (_, i) => `r${i}`), 'sp', 'lr', 'pc']
    .map((n) => `<reg name="${n}" bitsize="32"/>`)
    .join('') +
  '<reg name="xpsr" bitsize="32" regnum="25"/></feature>' +
  '<feature name="org.gnu.gdb.arm.vfp"><reg name="d0" bitsize="64"/><reg name="fpscr" bitsize="32"/></feature></target>';

/** A tiny machine behind the stub: 17 core registers, d0, and the resume it is waiting on. */
class Machine {
  regs = Array.from({ length: 17 }, (_, i) => i * 0x11);
  d0 = [0x11111111, 0x22222222];
  points = new Set<string>();
  resumed: string | null = null;
  rangeSteps = true;
  stub: FakeStub;

  constructor(extra: (p: string) => string | null | undefined = () => undefined) {
    this.stub = new FakeStub((p) => {
      if (p.startsWith('qSupported')) return 'PacketSize=1000;qXfer:features:read+';
      if (p === 'vCont?') return this.rangeSteps ? 'vCont;c;C;s;S;r' : 'vCont;c;C;s;S';
      if (p.startsWith('qXfer:features:read:target.xml:')) return `l${TARGET_XML}`;
      if (p === '?') return 'T05thread:p01.01;';
      if (p === 'qqemu.sstepbits') return 'ENABLE=1,NOIRQ=2,NOTIMER=4';
      if (p === 'g') return this.regs.map(leWordToHex).join('');
      const pr = /^p([0-9a-f]+)$/.exec(p);
      if (pr) {
        const n = parseInt(pr[1]!, 16);
        if (n === 0x1a) return leWordToHex(this.d0[0]!) + leWordToHex(this.d0[1]!);
        if (n === 0x1b) return leWordToHex(0x123);
        return 'E01';
      }
      const pw = /^P([0-9a-f]+)=([0-9a-f]+)$/.exec(p);
      if (pw) {
        const n = parseInt(pw[1]!, 16);
        if (n < 16) this.regs[n] = hexToLeWord(pw[2]!);
        else if (n === 0x19) this.regs[16] = hexToLeWord(pw[2]!);
        else if (n === 0x1a) this.d0 = [hexToLeWord(pw[2]!), hexToLeWord(pw[2]!.slice(8))];
        return 'OK';
      }
      if (/^[Zz][0-4],/.test(p)) {
        if (p[0] === 'Z') this.points.add(p.slice(1));
        else this.points.delete(p.slice(1));
        return 'OK';
      }
      if (p.startsWith('vCont;') || p === 'c' || p === 's') {
        this.resumed = p;
        if (p === 'vCont;s' || p === 's') {
          this.regs[15] += 2;
          return 'T05thread:p01.01;';
        }
        return null;
      }
      if (p === `qRcmd,${textToHex('system_reset')}`) {
        this.regs[15] = 0x2e6;
        return 'OK';
      }
      if (p === 'D') return 'OK';
      return extra(p);
    });
  }
}

async function open(m: Machine): Promise<{ t: GdbRemoteTarget; events: TargetEvent[] }> {
  const c = await GdbRemoteClient.open(m.stub.transport);
  if (!c.ok) throw new Error(c.error);
  const t = await openGdbRemoteTarget(c.value, { label: 'fake stub' });
  if (!t.ok) throw new Error(t.error);
  const events: TargetEvent[] = [];
  t.value.onEvent((e) => events.push(e));
  return { t: t.value, events };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));

function nextStop(t: GdbRemoteTarget): Promise<TargetEvent & { kind: 'stopped' }> {
  return new Promise((resolve) => {
    const off = t.onEvent((e) => {
      if (e.kind === 'stopped') {
        off();
        resolve(e);
      }
    });
  });
}

describe('GdbRemoteTarget', () => {
  it('maps registers from the description and reports the ones it lacks', async () => {
    const m = new Machine();
    const { t } = await open(m);
    expect(t.flavor).toBe('qemu');
    expect(t.description.kind).toBe('gdb-remote');
    // The description has no system registers (as QEMU 7.2's): everything after xpsr.
    expect(t.description.unavailableRegisters).toEqual(
      CORE_REGISTER_NAMES.slice(CORE_REGISTER_NAMES.indexOf('xpsr') + 1),
    );
    expect(t.description.capabilities.fpu).toBe(true);
    const regs = await t.readRegisters();
    expect(regs.ok && [regs.value.r1, regs.value.pc, regs.value.xpsr, regs.value.msp]).toEqual([
      0x11,
      15 * 0x11,
      16 * 0x11,
      0,
    ]);
    expect(await t.readRegister('s1')).toEqual({ ok: true, value: 0x22222222 });
    expect(await t.readRegister('fpscr')).toEqual({ ok: true, value: 0x123 });
    expect((await t.readRegister('msp')).ok).toBe(false);
    expect((await t.writeRegister('pc', 0x400)).ok).toBe(true);
    expect(await t.readRegister('pc')).toEqual({ ok: true, value: 0x400 });
    expect((await t.writeRegister('s0', 0xabc)).ok).toBe(true);
    expect(m.d0).toEqual([0xabc, 0x22222222]);
  });

  it('names stop causes: breakpoint by PC, watchpoints by kind, interrupt', async () => {
    const m = new Machine();
    const { t, events } = await open(m);
    await t.setBreakpoint(0x200);
    expect(m.points.has('0,200,2')).toBe(true);
    let stop = nextStop(t);
    await t.resume();
    expect(events.at(-1)).toEqual({ kind: 'running' });
    m.regs[15] = 0x200;
    m.stub.send('T05thread:p01.01;');
    expect((await stop).stop).toMatchObject({
      cause: { kind: 'breakpoint', address: 0x200 },
      pc: 0x200,
    });

    const w = { address: 0x20000000, length: 4, access: 'access' as const };
    await t.setWatchpoint(w);
    expect(m.points.has('4,20000000,4')).toBe(true);
    stop = nextStop(t);
    await t.resume();
    m.stub.send('T05thread:p01.01;awatch:20000002;');
    expect((await stop).stop.cause).toEqual({
      kind: 'watchpoint',
      watch: w,
      dataAddress: 0x20000002,
      access: 'access',
    });

    await t.resume();
    const h = await t.halt();
    expect(h.ok && h.value.cause).toEqual({ kind: 'halted' });
    expect(events.filter((e) => e.kind === 'stopped')).toHaveLength(3);
  });

  it('changes breakpoints while running without stop events in between', async () => {
    const m = new Machine();
    const { t, events } = await open(m);
    await t.resume();
    const before = events.length;
    expect((await t.setBreakpoint(0x300)).ok).toBe(true);
    expect(m.points.has('0,300,2')).toBe(true);
    expect(t.state()).toBe('running');
    expect(m.resumed).toBe('vCont;c');
    expect(events.slice(before)).toEqual([]);
    expect((await t.readMemory(0, 4)).ok).toBe(false); // all-stop: memory needs a halt
  });

  it('range-steps with vCont;r when offered, else step by step', async () => {
    const m = new Machine();
    const { t } = await open(m);
    const r = t.stepRange(0x100, 0x120);
    await tick();
    expect(m.resumed).toBe('vCont;r100,120');
    m.stub.send('T05thread:p01.01;');
    expect((await r).ok && (await r).ok).toBe(true);

    const plain = new Machine();
    plain.rangeSteps = false;
    plain.regs[15] = 0x100;
    const p = await open(plain);
    const s = await p.t.stepRange(0x100, 0x108);
    expect(s.ok && s.value).toMatchObject({ cause: { kind: 'step' }, pc: 0x108 });
    expect(plain.stub.received.filter((x) => x === 'vCont;s')).toHaveLength(4);
  });

  it('resets through the monitor and ends on exit or a lost connection', async () => {
    const m = new Machine();
    const { t, events } = await open(m);
    await t.resume();
    const stop = nextStop(t);
    expect((await t.reset({ halt: true })).ok).toBe(true);
    expect((await stop).stop.pc).toBe(0x2e6);
    expect(events.filter((e) => e.kind === 'stopped')).toHaveLength(1);

    await t.resume();
    m.stub.send('W03');
    await tick();
    expect(events.slice(-2)).toEqual([
      {
        kind: 'stopped',
        stop: { cause: { kind: 'exit', code: 3 }, pc: 0x2e6, instructions: null, cycles: null },
      },
      { kind: 'closed', reason: 'fake stub: the target exited (status 3)' },
    ]);

    const n = new Machine();
    const other = await open(n);
    n.stub.drop('connection reset by peer');
    await tick();
    expect(other.events.at(-1)).toEqual({
      kind: 'closed',
      reason: 'connection to fake stub lost: connection reset by peer',
    });
    expect((await other.t.readRegisters()).ok).toBe(false);
  });

  it('detaches on close', async () => {
    const m = new Machine();
    const { t, events } = await open(m);
    await t.close();
    expect(m.stub.received.at(-1)).toBe('D');
    expect(events.at(-1)).toEqual({ kind: 'closed', reason: 'closed by the debugger' });
  });
});
