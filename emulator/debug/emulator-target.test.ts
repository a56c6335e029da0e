/**
 * Emulator target tests: programs assembled with GNU as run on mps2-an386 (and a raw image on
 * the nRF52840-DK for flash programming) through the DebugTarget interface only: breakpoints,
 * steps and range steps, watchpoints (write, read, false hits of a comparator's wider block),
 * fault stops with the fault registers, lockup, BKPT under halting debug, console bytes both
 * ways (input waking a sleeping core), halt while running with stats, reset run/halt,
 * snapshots, flash programming rules, and errors as values.
 */
import { describe, expect, it } from 'vitest';
import {
  emulatorTargets,
  type FixtureTarget,
  type FixtureTargetOptions,
  NRF_IMAGES,
} from './testing/emulator-fixture';
import { nextEvent, runToStop, unwrap } from './testing/target-helpers';
import { buildElf } from '../../tests/programs/elf';
import { nodeScheduler } from '../node/scheduler';
import { createSession } from '../session/session';
import { EmulatorTarget } from './emulator-target';

const VAR = 0x20000000;

function program(body: string[], handlers: Record<string, string[]> = {}): string {
  const handler = (name: string): string[] => [
    '.thumb_func',
    `${name}:`,
    ...(handlers[name] ?? ['b .']),
  ];
  return [
    '.syntax unified',
    '.thumb',
    '.section .vectors, "a"',
    '.word 0x20010000',
    '.word start',
    '.word nmi',
    '.word hardfault',
    '.word memmanage',
    '.word busfault',
    '.word usagefault',
    '.rept 9',
    '.word other',
    '.endr',
    '.word uart0rx',
    '.rept 31',
    '.word other',
    '.endr',
    '.text',
    '.thumb_func',
    'start:',
    ...body,
    ...['nmi', 'hardfault', 'memmanage', 'busfault', 'usagefault', 'other', 'uart0rx'].flatMap(
      handler,
    ),
    '.ltorg',
    '.data',
    '.align 2',
    'var: .word 0',
    '',
  ].join('\n');
}

const targets = emulatorTargets();

const boot = (name: string, source: string, options: FixtureTargetOptions = {}): FixtureTarget =>
  targets.fromSource(`target-${name}`, source, options);

const COUNT = [
  'ldr r0, =var',
  'movs r1, #0',
  'loop: adds r1, #1',
  'store: str r1, [r0]',
  'ldr r2, [r0]',
  'after: b loop',
];

describe('EmulatorTarget', () => {
  it('stops at breakpoints, resumes from them, and steps over one under the PC', async () => {
    const { t, symbol, events } = boot('bp', program(COUNT));
    expect(t.state()).toBe('halted');
    expect(unwrap(await t.setBreakpoint(symbol('loop')))).toBeUndefined();
    const s1 = await runToStop(t);
    expect(s1.cause).toEqual({ kind: 'breakpoint', address: symbol('loop') });
    expect(s1.pc).toBe(symbol('loop'));
    expect(unwrap(await t.readRegisters()).r1).toBe(0);
    const s2 = await runToStop(t);
    expect(s2.cause.kind).toBe('breakpoint');
    expect(unwrap(await t.readRegister('r1'))).toBe(1);
    // Stepping from the breakpoint executes the instruction under it.
    const st = unwrap(await t.step());
    expect(st.cause).toEqual({ kind: 'step' });
    expect(st.pc).toBe(symbol('store'));
    expect(unwrap(await t.readRegister('r1'))).toBe(2);
    expect(st.instructions).toBeGreaterThan(s2.instructions!);
    // Exactly one stopped event per transition, one running event per resume.
    expect(events.filter((e) => e.kind === 'stopped')).toHaveLength(3);
    expect(events.filter((e) => e.kind === 'running')).toHaveLength(2);
    expect(unwrap(await t.clearBreakpoint(symbol('loop')))).toBeUndefined();
    expect((await t.clearBreakpoint(symbol('loop'))).ok).toBe(false);
  });

  it('resumes past a breakpoint a step landed on', async () => {
    const { t, symbol } = boot('bp-step', program(COUNT));
    await t.setBreakpoint(symbol('store'));
    unwrap(await t.step()); // ldr r0
    unwrap(await t.step()); // movs
    const s = unwrap(await t.step()); // adds: now on the breakpoint without having stopped at it
    expect(s.pc).toBe(symbol('store'));
    const again = await runToStop(t);
    expect(again.cause).toEqual({ kind: 'breakpoint', address: symbol('store') });
    expect(unwrap(await t.readRegister('r1'))).toBe(2);
  });

  it('steps through a range and stops when the PC leaves it', async () => {
    const { t, symbol } = boot('range', program(COUNT));
    const r = unwrap(await t.stepRange(symbol('start'), symbol('after')));
    expect(r.cause).toEqual({ kind: 'step' });
    expect(r.pc).toBe(symbol('after'));
    expect(unwrap(await t.readMemory(VAR, 4))).toEqual(Uint8Array.of(1, 0, 0, 0));
  });

  it("stays in a range step's further ranges ('also') and stops outside all of them", async () => {
    const { t, symbol } = boot('range-also', program(COUNT));
    const lo = symbol('start');
    const r = unwrap(await t.stepRange(lo, symbol('store'), [[symbol('store'), symbol('after')]]));
    expect(r.cause).toEqual({ kind: 'step' });
    expect(r.pc).toBe(symbol('after'));
    // Without them the step ends where its own range does.
    const again = unwrap(await t.stepRange(symbol('after'), symbol('after') + 2));
    expect(again.pc).toBe(symbol('loop'));
    const one = unwrap(await t.stepRange(symbol('loop'), symbol('store')));
    expect(one.pc).toBe(symbol('store'));
  });

  it('reports write and read watchpoints with the data address and resumes false hits', async () => {
    const { t, symbol } = boot('watch', program(COUNT));
    expect(t.description.capabilities.watchpoints).toBe(4);
    const w = { address: VAR, length: 4, access: 'write' as const };
    unwrap(await t.setWatchpoint(w));
    const s = await runToStop(t);
    expect(s.cause).toEqual({ kind: 'watchpoint', watch: w, dataAddress: VAR, access: 'write' });
    expect(s.pc).toBe(symbol('store') + 2);
    unwrap(await t.clearWatchpoint(w));
    const rw = { address: VAR, length: 4, access: 'read' as const };
    unwrap(await t.setWatchpoint(rw));
    const r = await runToStop(t);
    expect(r.cause).toMatchObject({ kind: 'watchpoint', watch: rw, access: 'read' });
    expect(r.pc).toBe(symbol('after'));
  });

  it('filters hits of the comparator block outside the watched bytes', async () => {
    const { t, symbol } = boot(
      'watch-narrow',
      program([
        'ldr r0, =var',
        'movs r1, #7',
        'strb r1, [r0, #3]',
        'strb r1, [r0, #0]',
        'strb r1, [r0, #2]',
        'after: b after',
      ]),
    );
    // Bytes var+1..var+2: one comparator covers the aligned word var..var+3.
    const w = { address: VAR + 1, length: 2, access: 'write' as const };
    unwrap(await t.setWatchpoint(w));
    const s = await runToStop(t);
    expect(s.cause).toEqual({
      kind: 'watchpoint',
      watch: w,
      dataAddress: VAR + 2,
      access: 'write',
    });
    expect(s.pc).toBe(symbol('after'));
  });

  it('stops on a fault with the fault registers, and on lockup', async () => {
    const bad = ['ldr r0, =0x60000000', 'movs r2, #1', 'ldr r1, [r0]', 'b .'];
    const { t, symbol } = boot('fault', program(bad));
    unwrap(await t.catchFaults(true));
    const s = await runToStop(t);
    expect(s.pc).toBe(symbol('hardfault'));
    expect(s.cause.kind).toBe('fault');
    if (s.cause.kind === 'fault') {
      expect(s.cause.name).toBe('HardFault');
      expect(s.cause.exception).toBe(3);
      // BusFault disabled: escalated (HFSR.FORCED); precise data bus error at BFAR.
      expect(s.cause.registers.hfsr >>> 30).toBe(1);
      expect(s.cause.registers.cfsr & ((1 << 9) | (1 << 15))).toBe((1 << 9) | (1 << 15));
      expect(s.cause.registers.bfar).toBe(0x60000000);
    }
    const l = boot('lockup', program(bad, { hardfault: ['ldr r1, [r0]', 'b .'] }));
    const lock = await runToStop(l.t);
    expect(lock.cause.kind).toBe('lockup');
  });

  it('runs through faults when not catching them', async () => {
    const { t, symbol } = boot('nofault', program(['ldr r0, =0x60000000', 'ldr r1, [r0]', 'b .']));
    await t.resume();
    await new Promise((r) => setTimeout(r, 20));
    const h = unwrap(await t.halt());
    expect(h.cause).toEqual({ kind: 'halted' });
    expect(h.pc).toBe(symbol('hardfault'));
  });

  it('halts on BKPT with halting debug, and takes HardFault without it', async () => {
    const src = program(['movs r0, #1', 'bp: bkpt #7', 'b .']);
    const a = boot('bkpt', src);
    const s = await runToStop(a.t);
    expect(s.cause).toEqual({ kind: 'bkpt', imm: 7, address: a.symbol('bp') });
    const b = boot('bkpt-nodebug', src, { haltingDebug: false });
    expect(b.t.description.capabilities.watchpoints).toBe(0);
    expect((await b.t.setWatchpoint({ address: VAR, length: 4, access: 'write' })).ok).toBe(false);
    await b.t.setBreakpoint(b.symbol('hardfault'));
    expect((await runToStop(b.t)).cause.kind).toBe('breakpoint');
  });

  it('carries console bytes out, and input wakes a core asleep with nothing scheduled', async () => {
    const { t } = boot(
      'echo',
      program(
        [
          'ldr r0, =0x40004000',
          'movs r1, #0xb', // TX_EN | RX_EN | RX_INTEN
          'str r1, [r0, #8]',
          'movs r1, #0x3e', // '>'
          'str r1, [r0]',
          'ldr r2, =0xe000e100', // NVIC_ISER0: UART0 RX is IRQ 0
          'movs r1, #1',
          'str r1, [r2]',
          'idle: wfi',
          'b idle',
        ],
        {
          uart0rx: [
            'ldr r0, =0x40004000',
            'ldr r1, [r0]',
            'movs r2, #2', // INTCLEAR RX
            'str r2, [r0, #12]',
            'adds r1, #1',
            'str r1, [r0]',
            'bx lr',
          ],
        },
      ),
    );
    expect(t.description.capabilities.consoles).toContain(0);
    const prompt = nextEvent(t, 'console');
    await t.resume();
    expect(Array.from((await prompt).bytes)).toEqual([0x3e]);
    await new Promise((r) => setTimeout(r, 20)); // asleep: idle, nothing scheduled
    const echo = nextEvent(t, 'console');
    unwrap(await t.writeConsole(0, new TextEncoder().encode('a')));
    const e = await echo;
    expect(e).toMatchObject({ port: 0 });
    expect(new TextDecoder().decode(e.bytes)).toBe('b');
    expect((await t.writeConsole(9, Uint8Array.of(1))).ok).toBe(false);
  });

  it('sends console output as the UART transmits it with consoleFlushMs, else when the slice ends', async () => {
    const source = program([
      'ldr r0, =0x40004000',
      'movs r1, #1', // TX_EN
      'str r1, [r0, #8]',
      'movs r1, #0x41', // 'A'
      'str r1, [r0]',
      'movs r2, #10',
      'wait: subs r2, #1',
      'bne wait',
      'movs r1, #0x42', // 'B', a few dozen instructions later: the same slice
      'str r1, [r0]',
      'movs r1, #0x43', // 'C'
      'str r1, [r0]',
      'done: b done',
    ]);
    const sent = async (options: FixtureTargetOptions): Promise<string[]> => {
      const { t, symbol, events } = boot('flush', source, options);
      unwrap(await t.setBreakpoint(symbol('done')));
      expect((await runToStop(t)).cause.kind).toBe('breakpoint');
      return events.flatMap((e) =>
        e.kind === 'console' ? [new TextDecoder().decode(e.bytes)] : [],
      );
    };
    expect(await sent({})).toEqual(['ABC']);
    // Each byte as it is sent (0 ms apart at least); or the first at once, then the rest held
    // until the interval passed or the slice ended.
    expect(await sent({ consoleFlushMs: 0 })).toEqual(['A', 'B', 'C']);
    expect(await sent({ consoleFlushMs: 60_000 })).toEqual(['A', 'BC']);
  });

  it('sends held console bytes within about consoleFlushMs even when the code after them runs 1000 times slower', async () => {
    // The host clock is the instruction count: 1000 instructions per host microsecond until the
    // 'B' is sent, 1 per microsecond after it (code run for the first time, translated as it
    // goes). 'B' comes right after 'A' (held: less than consoleFlushMs since 'A' left); then 4
    // million slow instructions. It was sent when the slice ended, sized by the fast rate: up
    // to 2 million instructions later (2 s of this host); it must leave within ~consoleFlushMs.
    const elf = buildElf(
      'target-held-console',
      program([
        'ldr r0, =0x40004000',
        'movs r1, #1', // TX_EN
        'str r1, [r0, #8]',
        'ldr r2, =1100000',
        'warm: subs r2, #1',
        'bne warm',
        'movs r1, #0x41', // 'A': sent at once
        'str r1, [r0]',
        'movs r1, #0x42', // 'B': held
        'str r1, [r0]',
        'ldr r2, =2000000',
        'slow: subs r2, #1',
        'bne slow',
        'done: b done',
      ]),
    );
    const session = unwrap(createSession({ machine: 'mps2-an386' }));
    unwrap(session.loadFiles([{ name: 'held.elf', bytes: elf.bytes, format: 'elf' }]));
    // 'B' is stored by instruction 2,200,008: 4 to set up, the warm loop's 2,200,000, 4 more
    // (early in a slice: the slices are 2,000,000 instructions from the second on).
    // (The count is fixed here: read during a compiled region, as in a device's event, the
    // session's count lags until the region ends.)
    const B = 2_200_008;
    const now = (): number => {
      const n = session.instructions;
      return n < B ? n / 1e6 : B / 1e6 + (n - B) / 1000;
    };
    const t = new EmulatorTarget({
      session,
      scheduler: { ...nodeScheduler, now },
      pace: 'fast',
      consoleFlushMs: 4,
    });
    const sent: { text: string; at: number }[] = [];
    t.onEvent((e) => {
      if (e.kind === 'console')
        sent.push({ text: new TextDecoder().decode(e.bytes), at: session.instructions });
    });
    try {
      unwrap(await t.setBreakpoint(elf.symbol('done')));
      expect((await runToStop(t)).cause.kind).toBe('breakpoint');
    } finally {
      await t.close();
    }
    expect(sent.map((s) => s.text)).toEqual(['A', 'B']);
    const late = sent[1]!.at - B;
    // 4 ms of this host is 4,000 slow instructions; a slice after the cut may run twice the
    // last one's, so allow a few times that.
    expect(late).toBeLessThan(20_000);
  });

  it('sends held console bytes before the core compiles a region (a pause its instruction count does not see)', async () => {
    // The host clock: one instruction per ns, and 100 ms per region compiled (a cold JIT on a
    // loaded host). 'B' is held (0 ms after 'A' left); the loop after it gets hot and is
    // compiled within the cut's instructions. Held until the slice ended, 'B' left after the
    // compile, 100 ms late; it must leave before it.
    const elf = buildElf(
      'target-compile-console',
      program([
        'ldr r0, =0x40004000',
        'movs r1, #1', // TX_EN
        'str r1, [r0, #8]',
        'movs r1, #0x41', // 'A': sent at once
        'str r1, [r0]',
        'movs r1, #0x42', // 'B': held
        'str r1, [r0]',
        'ldr r2, =200',
        'hot: subs r2, #1', // compiled once hot (BLOCK_HEAT passes: 64)
        'bne hot',
        'done: b done',
      ]),
    );
    const session = unwrap(createSession({ machine: 'mps2-an386' }));
    unwrap(session.loadFiles([{ name: 'compile.elf', bytes: elf.bytes, format: 'elf' }]));
    const stats = session.core.translatorStats;
    const now = (): number => session.instructions / 1e6 + stats.regions * 100;
    const t = new EmulatorTarget({
      session,
      scheduler: { ...nodeScheduler, now, epochMs: now },
      pace: 'fast',
      consoleFlushMs: 4,
    });
    const sent: { text: string; late: number }[] = [];
    t.onEvent((e) => {
      if (e.kind === 'console')
        sent.push({ text: new TextDecoder().decode(e.bytes), late: now() - e.sentAt! });
    });
    try {
      unwrap(await t.setBreakpoint(elf.symbol('done')));
      expect((await runToStop(t)).cause.kind).toBe('breakpoint');
    } finally {
      await t.close();
    }
    expect(stats.regions).toBeGreaterThan(0);
    expect(sent.map((s) => s.text)).toEqual(['A', 'B']);
    expect(sent[1]!.late).toBeLessThan(1);
  });

  it('reports stats while running and halts on request', async () => {
    const { t } = boot('stats', program(COUNT), { statsIntervalMs: 20 });
    const stats = nextEvent(t, 'stats');
    await t.resume();
    expect(t.state()).toBe('running');
    const { stats: s } = await stats;
    expect(s.instructions).toBeGreaterThan(0);
    expect(s.mips).toBeGreaterThan(0);
    expect(s.virtualSeconds).toBeGreaterThan(0);
    expect((await t.step()).ok).toBe(false); // running: refused with a message
    const h = unwrap(await t.halt());
    expect(h.cause).toEqual({ kind: 'halted' });
    expect(t.state()).toBe('halted');
    expect(unwrap(await t.halt())).toEqual(h);
  });

  it('resets into halt or run, and keeps watchpoints armed across a reset', async () => {
    const { t, symbol, events } = boot('reset', program(COUNT));
    unwrap(await t.step());
    unwrap(await t.step());
    const stopped = nextEvent(t, 'stopped');
    unwrap(await t.reset({ halt: true }));
    expect((await stopped).stop.pc).toBe(symbol('start'));
    const w = { address: VAR, length: 4, access: 'write' as const };
    unwrap(await t.setWatchpoint(w));
    unwrap(await t.reset({ halt: false }));
    expect(events.at(-1)).toEqual({ kind: 'running' });
    const s = await nextEvent(t, 'stopped');
    expect(s.stop.cause.kind).toBe('watchpoint');
  });

  it('restores snapshots', async () => {
    const { t } = boot('snap', program(COUNT));
    for (let i = 0; i < 3; i++) unwrap(await t.step());
    unwrap(await t.saveSnapshot('a'));
    const r1 = unwrap(await t.readRegister('r1'));
    for (let i = 0; i < 10; i++) unwrap(await t.step());
    expect(unwrap(await t.readRegister('r1'))).not.toBe(r1);
    unwrap(await t.restoreSnapshot('a'));
    expect(unwrap(await t.readRegister('r1'))).toBe(r1);
    expect((await t.restoreSnapshot('nope')).ok).toBe(false);
  });

  it('answers bad requests with errors and ends with a closed event', async () => {
    const { t, events } = boot('errors', program(COUNT));
    expect((await t.readRegister('s0')).ok).toBe(false);
    expect((await t.readMemory(0x60000000, 4)).ok).toBe(false);
    expect((await t.setBreakpoint(0x101)).ok).toBe(false);
    expect((await t.programMemory(0, Uint8Array.of(1))).ok).toBe(false);
    await t.close();
    expect(events.at(-1)).toEqual({ kind: 'closed', reason: 'session closed' });
    expect(t.state()).toBe('closed');
    expect((await t.resume()).ok).toBe(false);
    expect((await t.readRegisters()).ok).toBe(false);
  });
});

describe('EmulatorTarget flash (nRF52840-DK)', () => {
  it('programs flash by NOR rules and erases whole pages', async () => {
    const { t } = targets.fromFiles('nrf52840dk', [
      { name: 'tiny.bin', bytes: NRF_IMAGES.idle, address: 0 },
    ]);
    expect(t.description.capabilities.programming).toBe(true);
    const flash = t.description.memoryMap.find((r) => r.name === 'flash');
    expect(flash).toMatchObject({ kind: 'flash', start: 0, blockSize: 4096 });
    const write = await t.writeMemory(0x1000, Uint8Array.of(1));
    expect(!write.ok && write.error).toMatch(/programMemory/);
    unwrap(await t.programMemory(0x1000, Uint8Array.of(0x12, 0x34)));
    expect(unwrap(await t.readMemory(0x1000, 2))).toEqual(Uint8Array.of(0x12, 0x34));
    const over = await t.programMemory(0x1000, Uint8Array.of(0x34));
    expect(!over.ok && over.error).toMatch(/0x00001000 holds 0x12 and cannot become 0x34/);
    expect((await t.eraseMemory(0x1001, 4096)).ok).toBe(false);
    unwrap(await t.eraseMemory(0x1000, 4096));
    expect(unwrap(await t.readMemory(0x1000, 2))).toEqual(Uint8Array.of(0xff, 0xff));
    const ram = await t.programMemory(0x20000000, Uint8Array.of(1));
    expect(!ram.ok && ram.error).toMatch(/not inside one programmable memory/);
  });
});
