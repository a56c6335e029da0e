/**
 * Reverse execution on the emulator target (time-travel.ts through EmulatorTarget): reverse
 * step lands on the previous instruction with the registers it had, reverse continue on the
 * previous breakpoint or watchpoint hit (data address included) and on the start of the history,
 * and replay is exact: console input recorded while running is delivered again at the same
 * instruction, so stepping forward after stepping back gives the very same machine state.
 */
import { describe, expect, it } from 'vitest';
import { gapFor, History, type HistoryOptions } from './time-travel';
import {
  emulatorTargets,
  type FixtureTarget,
  type FixtureTargetOptions,
} from './testing/emulator-fixture';
import { runToStop, unwrap } from './testing/target-helpers';

const VAR = 0x20000000;
const MIX = 0x20000004;

/** Counts in r1 (stored to VAR); UART0 RX mixes each byte and the interrupted r1 into MIX. */
const SOURCE = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.rept 14',
  '.word other',
  '.endr',
  '.word uart0rx',
  '.rept 31',
  '.word other',
  '.endr',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =0x40004000', // CMSDK UART0
  'movs r1, #0xb', // TX_EN | RX_EN | RX_INTEN
  'str r1, [r0, #8]',
  'ldr r2, =0xe000e100', // NVIC_ISER0: UART0 RX is IRQ 0
  'movs r1, #1',
  'str r1, [r2]',
  'ldr r0, =var',
  'movs r1, #0',
  'loop: adds r1, #1',
  'store: str r1, [r0]',
  'ldr r2, [r0]',
  'after: b loop',
  '.thumb_func',
  'uart0rx:',
  'ldr r0, =0x40004000',
  'ldr r1, [r0]',
  'movs r2, #2', // INTCLEAR RX
  'str r2, [r0, #12]',
  'ldr r3, [sp, #4]', // the interrupted code's r1
  'ldr r0, =mix',
  'ldr r2, [r0]',
  'movs r12, #33',
  'mul r2, r2, r12',
  'add r2, r2, r1',
  'add r2, r2, r3',
  'str r2, [r0]',
  'bx lr',
  '.thumb_func',
  'other: b .',
  '.ltorg',
  '.data',
  '.align 2',
  'var: .word 0',
  'mix: .word 0',
  '',
].join('\n');

const targets = emulatorTargets();
const boot = (options: FixtureTargetOptions = {}): FixtureTarget =>
  targets.fromSource('time-travel', SOURCE, options);

/** Byte-for-byte equality, a word at a time (region copies are whole words). */
const equal = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length || a.length % 4 !== 0) return false;
  const wa = new Int32Array(a.buffer, a.byteOffset, a.length >> 2);
  const wb = new Int32Array(b.buffer, b.byteOffset, b.length >> 2);
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
  return true;
};

const word = (b: Uint8Array): number =>
  (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;

/**
 * Runs `t` in slices of uneven length under a History, keeping `snapshot()` at each checkpoint;
 * then each of several checkpoints must restore those bytes exactly, also after running on from
 * the restore (what runs after a restore is tracked as well). `onCheckpoint` sees each one made.
 */
const checkpointsRestoreExactly = (
  t: FixtureTarget['t'],
  snapshot: () => Uint8Array[],
  onCheckpoint: () => void = () => undefined,
  options: HistoryOptions = {},
): { h: History; at: number[] } => {
  const h = new History(t.session, { interval: 7_001, ...options });
  h.start();
  const copies = new Map<number, Uint8Array[]>();
  for (let slice = 0; slice < 12; slice++) {
    t.session.runSlice({ instructions: 3_000 + slice * 17 });
    const before = h.memory().checkpoints;
    h.tick();
    if (h.memory().checkpoints > before) {
      copies.set(t.session.instructions, snapshot());
      onCheckpoint();
    }
  }
  expect(copies.size).toBeGreaterThan(3);
  const at = [...copies.keys()];
  const same = (now: Uint8Array[], then: Uint8Array[]): void =>
    now.forEach((b, i) => expect(equal(b, then[i]!), `copy ${i}`).toBe(true));
  for (const n of [at[1]!, at[at.length - 1]!, at[0]!, at[2]!]) {
    const c = h.checkpointBefore(n)!;
    expect(c.instructions).toBe(n);
    h.restore(c);
    same(snapshot(), copies.get(n)!);
    t.session.runSlice({ instructions: 1_234 });
    h.mark();
    const m = h.checkpointBefore(t.session.instructions)!;
    const now = snapshot();
    t.session.runSlice({ instructions: 999 });
    h.restore(m);
    same(snapshot(), now);
  }
  return { h, at };
};

describe('reverse execution', () => {
  it('steps back one instruction, with the registers it had', async () => {
    const { t, symbol } = boot();
    unwrap(await t.setBreakpoint(symbol('store')));
    for (let i = 0; i < 5; i++) await runToStop(t);
    const at = unwrap(await t.readRegisters());
    expect(at.pc).toBe(symbol('store'));
    expect(at.r1).toBe(5);
    const back = unwrap(await t.reverseStep());
    expect(back.cause).toEqual({ kind: 'step' });
    expect(back.pc).toBe(symbol('loop'));
    expect(unwrap(await t.readRegister('r1'))).toBe(4);
    const again = unwrap(await t.reverseStep());
    expect(again.pc).toBe(symbol('after'));
    // Forward again: the same instruction, the same result.
    unwrap(await t.step());
    const fwd = unwrap(await t.step());
    expect(fwd.pc).toBe(symbol('store'));
    expect(unwrap(await t.readRegister('r1'))).toBe(5);
  });

  it('continues back to the previous breakpoint hit, then to the start of the history', async () => {
    const { t, symbol } = boot({ history: { interval: 7 } });
    unwrap(await t.setBreakpoint(symbol('store')));
    for (let i = 0; i < 6; i++) await runToStop(t);
    expect(unwrap(await t.readRegister('r1'))).toBe(6);
    for (const expected of [5, 4, 3, 2, 1]) {
      const s = unwrap(await t.reverseContinue());
      expect(s.cause).toEqual({ kind: 'breakpoint', address: symbol('store') });
      expect(s.pc).toBe(symbol('store'));
      expect(unwrap(await t.readRegister('r1'))).toBe(expected);
    }
    const start = unwrap(await t.reverseContinue());
    expect(start.history).toBe('begin');
    expect(start.pc).toBe(symbol('start'));
    // Forward from the start hits the first breakpoint again.
    const first = await runToStop(t);
    expect(first.pc).toBe(symbol('store'));
    expect(unwrap(await t.readRegister('r1'))).toBe(1);
  });

  it('continues back to the previous watchpoint hit with its data address', async () => {
    const { t, symbol } = boot();
    const w = { address: VAR, length: 4, access: 'write' as const };
    unwrap(await t.setWatchpoint(w));
    for (let i = 0; i < 3; i++) await runToStop(t);
    expect(word(unwrap(await t.readMemory(VAR, 4)))).toBe(3);
    const s = unwrap(await t.reverseContinue());
    expect(s.cause).toEqual({ kind: 'watchpoint', watch: w, dataAddress: VAR, access: 'write' });
    expect(word(unwrap(await t.readMemory(VAR, 4)))).toBe(2);
    expect(s.pc).toBe(symbol('store') + 2);
  });

  it('replays recorded console input at the instruction it arrived', async () => {
    const { t } = boot();
    unwrap(await t.resume());
    for (const ch of 'replay') {
      await new Promise((r) => setTimeout(r, 3));
      unwrap(await t.writeConsole(0, new TextEncoder().encode(ch)));
    }
    await new Promise((r) => setTimeout(r, 3));
    const stop = unwrap(await t.halt());
    const regs = unwrap(await t.readRegisters());
    const ram = unwrap(await t.readMemory(0x20000000, 0x100));
    expect(word(ram.subarray(4, 8))).not.toBe(0); // the handler ran
    expect(t.history.memory().inputs).toBe(6);
    // Back one instruction (re-run from the first checkpoint with the six inputs), then forward.
    unwrap(await t.reverseStep());
    unwrap(await t.step());
    expect(unwrap(await t.readRegisters())).toEqual(regs);
    expect(unwrap(await t.readMemory(0x20000000, 0x100))).toEqual(ram);
    expect(t.session.instructions).toBe(stop.instructions);
    void MIX;
  });

  it('records from the first stop when asked (historyFrom), running the very same instructions', async () => {
    const from = boot({ historyFrom: 'first-stop', history: { interval: 1_000 } });
    const always = boot({ history: { interval: 1_000 } });
    for (const { t, symbol } of [from, always]) unwrap(await t.setBreakpoint(symbol('store')));
    // The free run from reset: no checkpoint yet.
    const first = await runToStop(from.t);
    expect(from.t.history.started).toBe(false);
    expect(from.t.history.memory().inputs).toBe(0);
    const begin = unwrap(await from.t.reverseContinue());
    expect(begin.history).toBe('begin');
    expect(begin.instructions).toBe(first.instructions);
    // Recording starts when it runs on from that stop; back to it, no further.
    for (let i = 0; i < 4; i++) await runToStop(from.t);
    expect(from.t.history.started).toBe(true);
    expect(unwrap(await from.t.readRegister('r1'))).toBe(5);
    for (const expected of [4, 3, 2]) {
      const s = unwrap(await from.t.reverseContinue());
      expect(s.cause).toEqual({ kind: 'breakpoint', address: from.symbol('store') });
      expect(unwrap(await from.t.readRegister('r1'))).toBe(expected);
    }
    let back = unwrap(await from.t.reverseContinue());
    if (back.history !== 'begin') back = unwrap(await from.t.reverseContinue());
    expect(back.history).toBe('begin');
    expect(back.instructions).toBe(first.instructions);
    // The same machine either way: stop for stop, the same instruction counts and registers.
    for (let i = 0; i < 5; i++) await runToStop(always.t);
    const a = await runToStop(always.t);
    for (let i = 0; i < 4; i++) await runToStop(from.t);
    const f = await runToStop(from.t);
    expect(f.instructions).toBe(a.instructions);
    expect(unwrap(await from.t.readRegisters())).toEqual(unwrap(await always.t.readRegisters()));
  });

  it('runs a session recorded from its first stop with input applied live, not recorded', async () => {
    const { t } = boot({ historyFrom: 'first-stop' });
    unwrap(await t.resume());
    for (const ch of 'live') {
      await new Promise((r) => setTimeout(r, 3));
      unwrap(await t.writeConsole(0, new TextEncoder().encode(ch)));
    }
    await new Promise((r) => setTimeout(r, 3));
    unwrap(await t.halt());
    expect(word(unwrap(await t.readMemory(MIX, 4)))).not.toBe(0); // the handler ran
    expect(t.history.started).toBe(false);
    expect(t.history.memory().inputs).toBe(0);
  });

  it('shares unchanged memory between checkpoints and reports what they take', async () => {
    const { t } = boot({ history: { interval: 50_000, maxCheckpoints: 8 } });
    unwrap(await t.resume());
    // Until a few checkpoints were made (not a fixed time: a loaded host runs fewer
    // instructions in it), then some more running.
    for (let i = 0; i < 6000 && t.history.memory().checkpoints < 3; i++)
      await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 20));
    unwrap(await t.halt());
    const m = t.history.memory();
    expect(m.checkpoints).toBeGreaterThan(1);
    expect(m.checkpoints).toBeLessThanOrEqual(8);
    // The code region never changes: only one copy of it is kept.
    const regionBytes = t.session.core.bus.regions
      .filter((r) => r.dev === null)
      .reduce((n, r) => n + r.size, 0);
    expect(m.bytes).toBeLessThan(regionBytes * m.checkpoints);
  });

  /**
   * Writes land four ways: the core's fast path (SSRAM2&3), a RAM mirror (SSRAM1 through its
   * 0x00400000 alias, block RAM through 0x01004000: devices writing the RAM's bytes), and the
   * bit-band alias (a read-modify-write through the bus). PSRAM is never written.
   */
  const dirtyPages = (): FixtureTarget =>
    targets.fromSource(
      'dirty-pages',
      [
        '.syntax unified',
        '.thumb',
        '.section .vectors, "a"',
        '.word 0x20010000',
        '.word start',
        '.text',
        '.thumb_func',
        'start:',
        'ldr r0, =0x20000100',
        'ldr r1, =0x00500000', // SSRAM1 + 0x100000 through the mirror
        'ldr r2, =0x22006000', // bit 0 of 0x20000300
        'ldr r3, =0x01004010', // block RAM + 0x10 through its first mirror
        'movs r4, #0',
        'loop: adds r4, #1',
        'str r4, [r0]',
        'str r4, [r1]',
        'str r4, [r2]',
        'str r4, [r3]',
        'b loop',
        '.ltorg',
        '',
      ].join('\n'),
    );

  it('checkpoints read only regions written since the last one, and restore them exactly', () => {
    const { t } = dirtyPages();
    // Compared byte for byte below: all RAM but the 16 MiB of PSRAM (shown untouched apart).
    const regions = t.session.core.bus.regions.filter((r) => r.dev === null && r.name !== 'psram');
    const { h, at } = checkpointsRestoreExactly(t, () => regions.map((r) => r.bytes.slice()));
    // PSRAM was not read again: every checkpoint holds the very same paged copy of it.
    const psram = at.map((n) => h.checkpointBefore(n)!.memory.find((m) => m.name === 'psram'));
    expect(psram[0]).toBeDefined();
    for (const p of psram) expect(p).toBe(psram[0]);
  });

  it("with the host's byte comparison, checkpoints keep the same pages and restore exactly", () => {
    // The worker passes Node's memcmp (HistoryOptions.sameBytes); this stands in for it.
    let calls = 0;
    const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
      calls++;
      return equal(a, b);
    };
    const kept = [{}, { sameBytes }].map((options) => {
      const { t } = dirtyPages();
      const regions = t.session.core.bus.regions.filter(
        (r) => r.dev === null && r.name !== 'psram',
      );
      const { h } = checkpointsRestoreExactly(
        t,
        () => regions.map((r) => r.bytes.slice()),
        undefined,
        options,
      );
      return h.memory();
    });
    expect(calls).toBeGreaterThan(0);
    // Pages shared (and zero pages found) exactly as the plain comparison does.
    expect(kept[1]).toEqual(kept[0]);
  });

  it('restores exactly with the MPU on, across switches between access contexts', async () => {
    // An unprivileged thread (PSP, MPU region 0: 4 KiB of PSRAM read-write, region 1: the code
    // read-only) stores into PSRAM and calls SVC; the handler (privileged, MSP, the default map
    // through PRIVDEFENA) counts in SSRAM2&3. Each return to the thread brings its saved fast
    // write slot back without the slow path (per-context slots): those writes must still mark
    // PSRAM dirty, or a later checkpoint keeps a stale copy of it.
    // MPU registers and RASR fields: ARMv7-M ARM B3.5 (MPU_CTRL, MPU_RNR, MPU_RBAR, MPU_RASR).
    const { t } = targets.fromSource(
      'mpu-contexts',
      [
        '.syntax unified',
        '.thumb',
        '.section .vectors, "a"',
        '.word 0x20010000',
        '.word start',
        '.rept 9',
        '.word other',
        '.endr',
        '.word svc', // SVCall, exception 11
        '.rept 4',
        '.word other',
        '.endr',
        '.text',
        '.thumb_func',
        'start:',
        'ldr r0, =0xe000ed9c', // MPU_RBAR (with VALID and REGION: no RNR write needed)
        'ldr r1, =0x21000010', // region 0 at PSRAM
        'ldr r2, =0x13000017', // XN, AP=011 (full access), SIZE=11 (4 KiB), ENABLE
        'ldr r3, =0x00000011', // region 1 at 0
        'ldr r4, =0x0600001f', // AP=110 (read-only), SIZE=15 (64 KiB), ENABLE
        'stm r0, {r1, r2, r3, r4}', // RBAR, RASR, RBAR alias 1, RASR alias 1
        'ldr r0, =0xe000ed94', // MPU_CTRL
        'movs r1, #5', // ENABLE | PRIVDEFENA
        'str r1, [r0]',
        'dsb',
        'isb',
        'ldr r0, =0x21001000',
        'msr psp, r0',
        'movs r0, #3', // SPSEL (PSP) | nPRIV
        'msr control, r0',
        'isb',
        'ldr r0, =0x21000000',
        'movs r4, #0',
        'loop: adds r4, #1',
        'lsls r1, r4, #2',
        'ubfx r1, r1, #0, #11', // an offset in the first 2 KiB
        'str r4, [r0, r1]',
        'ands r2, r4, #7',
        'bne loop',
        'svc 0',
        'b loop',
        '.thumb_func',
        'svc:',
        'ldr r0, =0x20000200',
        'movs r2, #40', // long enough that slices end in the handler too
        'count: ldr r1, [r0]',
        'adds r1, #3',
        'str r1, [r0]',
        'subs r2, #1',
        'bne count',
        'bx lr',
        '.thumb_func',
        'other: b .',
        '.ltorg',
        '',
      ].join('\n'),
    );
    const bus = t.session.core.bus;
    const regions = bus.regions.filter((r) => r.dev === null && r.name !== 'psram');
    const psram = bus.regions.find((r) => r.name === 'psram')!;
    const ipsr: number[] = [];
    checkpointsRestoreExactly(
      t,
      () => [...regions.map((r) => r.bytes.slice()), psram.bytes.slice(0, 0x1000)],
      () => ipsr.push(t.session.core.readSpecial('xpsr') & 0x1ff),
    );
    // The program ran as meant: unprivileged thread on PSP, both contexts wrote, and
    // checkpoints fell in both (the handler's case is the one whose return restores slots).
    expect(t.session.core.readSpecial('control') & 1).toBe(1); // nPRIV (SPSEL reads 0 in a handler)
    expect(word(psram.bytes.subarray(4, 8))).not.toBe(0);
    expect(word(unwrap(await t.readMemory(0x20000200, 4)))).not.toBe(0);
    expect(new Set(ipsr)).toEqual(new Set([0, 11]));
  });

  it('spaces checkpoints so a replay across one gap takes at most replayMs at the running speed', () => {
    // 10,000 instructions per host ms (a slow host): 5 ms of replay covers 50,000 instructions,
    // less than the 200,000-instruction interval, so the gap shrinks to 50,000.
    const { t } = boot();
    let clock = 0;
    const h = new History(t.session, { interval: 200_000, replayMs: 5, now: () => clock });
    h.start();
    const made: number[] = [];
    for (let slice = 0; slice < 60; slice++) {
      t.session.runSlice({ instructions: 10_000 });
      clock += 1; // the slice's host time, also seen by the clock
      const before = h.memory().checkpoints;
      h.tick(1);
      if (h.memory().checkpoints > before) made.push(t.session.instructions);
    }
    const m = h.memory();
    expect(h.runningSpeed).toBe(10_000);
    expect(m.gap).toBe(50_000);
    expect(m.replayMs).toBe(5);
    // The first gap is the interval (speed unknown), every later one the replay bound.
    expect(made[0]).toBe(200_000);
    expect(made.slice(1).map((n, i) => n - made[i]!)).toEqual(Array(made.length - 1).fill(50_000));
  });

  it('sizes the gap: replay bound first, then ~2% checkpoint cost, never under 20,000', () => {
    // Fast host, cheap checkpoint: the interval.
    expect(gapFor(100_000, 0.1, 1_000_000, 100)).toBe(1_000_000);
    // Costly checkpoint (1 ms at 100 MIPS): stretched to 50 ms of running (2%)...
    expect(gapFor(100_000, 1, 1_000_000, 100)).toBe(5_000_000);
    // ...but never beyond what 100 ms of replay covers.
    expect(gapFor(100_000, 5, 1_000_000, 100)).toBe(10_000_000);
    // Slow host: the replay bound is below the interval and wins.
    expect(gapFor(5_000, 0.5, 1_000_000, 100)).toBe(500_000);
    // Absurdly slow: a floor, so checkpoints do not swamp the run.
    expect(gapFor(10, 0.5, 1_000_000, 100)).toBe(20_000);
  });
});
