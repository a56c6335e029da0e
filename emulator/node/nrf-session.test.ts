/**
 * nRF52 sessions driven by real code (GNU as): the NVMC's write-enable and erase rules seen
 * from the CPU, a halfword flash write faulting as the Product Specification says, loading
 * kernel-plus-apps images as a flasher does (later files over earlier ones; oversized ones refused), flash
 * surviving a reset, and snapshots reproducing a run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../tests/lockstep/assemble';
import { createSession, type EmulatorSession, type SessionEvent } from '../session/session';

const VECTORS = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.word fault', // NMI
  '.word fault', // HardFault
  '.text',
  '.thumb_func',
  'fault:',
  'ldr r0, =0x20000100',
  'ldr r1, =0xfa17fa17',
  'str r1, [r0]',
  'b .',
  '.thumb_func',
  'start:',
];

function program(name: string, body: string[]): Uint8Array {
  const r = assemble(`nrf-${name}`, [...VECTORS, ...body, '.ltorg', ''].join('\n'));
  if (!r.ok) throw new Error(r.error);
  return new Uint8Array(readFileSync(r.value));
}

function session(machine = 'nrf52840dk'): { s: EmulatorSession; events: SessionEvent[] } {
  const c = createSession({ machine });
  if (!c.ok) throw new Error(c.error);
  const events: SessionEvent[] = [];
  c.value.on((e) => events.push(e));
  return { s: c.value, events };
}

const word = (s: EmulatorSession, a: number): number => {
  const r = s.readWord(a);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

const NVMC = [
  'ldr r0, =0x00010000',
  'ldr r1, =0x12345678',
  'ldr r3, =0x20000000',
  'ldr r4, =0x4001e504', // CONFIG
  'ldr r6, =0x4001e400', // READY
  'str r1, [r0]', // no write enable: ignored
  'ldr r2, [r0]',
  'str r2, [r3]',
  'movs r5, #1', // Wen
  'str r5, [r4]',
  'str r1, [r0]',
  '1: ldr r7, [r6]',
  'cmp r7, #0',
  'beq 1b',
  'ldr r2, [r0]',
  'str r2, [r3, #4]',
  'ldr r1, =0xffff00ff', // writes only clear bits
  'str r1, [r0]',
  '2: ldr r7, [r6]',
  'cmp r7, #0',
  'beq 2b',
  'ldr r2, [r0]',
  'str r2, [r3, #8]',
  'movs r5, #2', // Een
  'str r5, [r4]',
  'ldr r7, =0x4001e508', // ERASEPAGE
  'str r0, [r7]',
  '3: ldr r7, [r6]',
  'cmp r7, #0',
  'beq 3b',
  'ldr r2, [r0]',
  'str r2, [r3, #12]',
  'movs r5, #1',
  'str r5, [r4]',
  'strh r1, [r0]', // halfword write: a fault
  'movs r2, #0x77', // not reached
  'str r2, [r3, #16]',
  'b .',
];

describe('nRF52 sessions', () => {
  it('applies the NVMC write-enable, bit-clearing and page-erase rules to CPU writes', () => {
    const { s, events } = session();
    const r = s.load(program('nvmc', NVMC));
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    s.runSlice({ instructions: 20_000_000 });
    expect(word(s, 0x20000000)).toBe(0xffffffff); // ignored without CONFIG.WEN
    expect(word(s, 0x20000004)).toBe(0x12345678);
    expect(word(s, 0x20000008)).toBe(0x12340078);
    expect(word(s, 0x2000000c)).toBe(0xffffffff); // page erased
    expect(word(s, 0x20000100)).toBe(0xfa17fa17); // the halfword write faulted
    expect(word(s, 0x20000010)).toBe(0); // and execution did not go on after it
    const diag = events.filter((e) => e.kind === 'diagnostic');
    expect(diag.map((e) => (e.kind === 'diagnostic' ? e.message : ''))).toEqual([
      'flash write of 0x12345678 at 0x00010000 ignored: NVMC CONFIG.WEN does not enable writing',
      // The halfword write's fault, told once because the program's handler spins.
      expect.stringMatching(
        /^HardFault \(escalated from precise BusFault at 0x10000, pc 0x[0-9a-f]+ in start\+0x[0-9a-f]+\); the firmware's handler spins/,
      ),
    ]);
  });

  it('halts code running from flash while the NVMC programs a word (tWRITE), so READY reads 1 at once', () => {
    const { s } = session();
    const r = s.load(
      program('nvmc-stall', [
        'ldr r0, =0x00010000',
        'ldr r1, =0x12345678',
        'ldr r4, =0x4001e504', // CONFIG
        'ldr r6, =0x4001e400', // READY
        'movs r5, #1', // Wen
        'str r5, [r4]',
        'movs r2, #0',
        'str r1, [r0]', // programs the word: the CPU (fetching from flash) is halted tWRITE
        '1: adds r2, #1',
        'ldr r7, [r6]',
        'cmp r7, #0',
        'beq 1b',
        'ldr r3, =0x20000000',
        'str r2, [r3]',
        'ldr r2, [r0]',
        'str r2, [r3, #4]',
        'b .',
      ]),
    );
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    s.runSlice({ instructions: 200 });
    expect(word(s, 0x20000000)).toBe(1); // one READY read: the operation was over
    expect(word(s, 0x20000004)).toBe(0x12345678);
    // tWRITE (41 us at 64 MHz) passed on the clock, awake.
    expect(s.cycles).toBeGreaterThanOrEqual(41 * 64);
    expect(s.core.sleptCycles).toBe(0);
  });

  it('faults a STARTTX whose EasyDMA pointer is outside Data RAM, as the PS allows', () => {
    const { s, events } = session();
    s.load(
      program('dma-flash', [
        'ldr r0, =0x40002000',
        'movs r1, #6',
        'str r1, [r0, #0x50c]', // PSEL.TXD = P0.06
        'movs r1, #8',
        'str r1, [r0, #0x500]', // ENABLE = UARTE
        'ldr r1, =0x00000100', // a string in flash: EasyDMA cannot reach it
        'str r1, [r0, #0x544]',
        'movs r1, #4',
        'str r1, [r0, #0x548]',
        'movs r1, #1',
        'str r1, [r0, #8]', // STARTTX
        'ldr r3, =0x20000010',
        'movs r2, #0x77', // not reached
        'str r2, [r3]',
        'b .',
      ]),
    );
    s.runSlice({ instructions: 100_000 });
    expect(word(s, 0x20000100)).toBe(0xfa17fa17);
    expect(word(s, 0x20000010)).toBe(0);
    expect(events.some((e) => e.kind === 'uart')).toBe(false);
    const diag = events.flatMap((e) => (e.kind === 'diagnostic' ? [e.message] : []));
    expect(diag.join('\n')).toMatch(/EasyDMA/);
    expect(diag.join('\n')).toMatch(/0x0*100/);
  });

  // WFI with TIMER0's interrupt as the only wake-up (PRIMASK set, so no handler runs), after
  // starting a ~1 ms watchdog whose CONFIG says whether it runs while the CPU sleeps.
  const sleepUnderWatchdog = (config: number): Uint8Array =>
    program(`sleep-wdt-${config}`, [
      'ldr r0, =0x40000400', // POWER.RESETREAS
      'ldr r1, [r0]',
      'cbz r1, 1f',
      'ldr r2, =0x20000300',
      'str r1, [r2]', // a reset happened: keep its reason
      'b .',
      '1: ldr r0, =0x40010000', // WDT
      `movs r1, #${config}`,
      'str r1, [r0, #0x50c]', // CONFIG
      'movs r1, #32',
      'str r1, [r0, #0x504]', // CRV: 33 LFCLK ticks, about 1 ms
      'movs r1, #1',
      'str r1, [r0]', // TASKS_START
      'ldr r0, =0x40008000', // TIMER0, 1 MHz at its reset prescaler
      'ldr r1, =5000',
      'str r1, [r0, #0x540]', // CC[0]: 5 ms
      'ldr r1, =0x10000',
      'str r1, [r0, #0x304]', // INTENSET COMPARE0
      'movs r1, #1',
      'str r1, [r0]', // TASKS_START
      'ldr r0, =0xe000e100',
      'movs r1, #0x100',
      'str r1, [r0]', // NVIC: TIMER0 (line 8)
      'cpsid i',
      'wfi',
      'ldr r0, =0x40000000',
      'ldr r2, =0x20000200',
      'ldr r1, [r0, #0x114]', // EVENTS_SLEEPENTER
      'str r1, [r2]',
      'ldr r1, [r0, #0x118]', // EVENTS_SLEEPEXIT
      'str r1, [r2, #4]',
      'movs r1, #1',
      'str r1, [r2, #8]',
      'b .',
    ]);

  it('raises POWER SLEEPENTER/SLEEPEXIT around WFI and pauses a watchdog set to pause in sleep', () => {
    const { s } = session();
    s.load(sleepUnderWatchdog(0));
    s.runSlice({ instructions: 5_000 });
    expect(word(s, 0x20000208)).toBe(1); // woke from the 5 ms sleep without a reset
    expect(word(s, 0x20000200)).toBe(1);
    expect(word(s, 0x20000204)).toBe(1);
    expect(word(s, 0x20000300)).toBe(0);
    expect(word(s, 0x40010100)).toBe(0); // WDT EVENTS_TIMEOUT: its 1 ms did not pass asleep
  });

  it('lets a watchdog set to run in sleep reset the chip during a longer sleep', () => {
    const { s } = session();
    s.load(sleepUnderWatchdog(1));
    s.runSlice({ instructions: 5_000 });
    expect(word(s, 0x20000208)).toBe(0);
    expect(word(s, 0x20000300)).toBe(2); // RESETREAS.DOG
  });

  it('keeps RAM across SYSRESETREQ and reports it in POWER.RESETREAS', () => {
    const { s } = session();
    s.load(
      program('resetreas', [
        'ldr r0, =0x40000400', // RESETREAS
        'ldr r1, [r0]',
        'ldr r2, =0x20000200',
        'ldr r3, [r2]', // boots so far (RAM survives a soft reset)
        'adds r3, #1',
        'str r3, [r2]',
        'str r1, [r2, r3, lsl #2]',
        'cmp r3, #2',
        'bge 1f',
        'ldr r0, =0xe000ed0c', // AIRCR: SYSRESETREQ
        'ldr r1, =0x05fa0004',
        'dsb',
        'str r1, [r0]',
        'b .',
        '1: b .',
      ]),
    );
    s.runSlice({ instructions: 10_000 });
    expect(word(s, 0x20000200)).toBe(2);
    expect(word(s, 0x20000204)).toBe(0); // power-on: no reason
    expect(word(s, 0x20000208)).toBe(4); // SREQ
  });

  it('keeps flash written through the NVMC across a reset, and erases it on a new load', () => {
    const { s } = session();
    const elf = program('nvmc', NVMC);
    s.load(elf);
    s.runSlice({ instructions: 20_000_000 });
    // The page was erased, then the halfword write faulted; write one word by the debugger
    // path and reset: flash keeps it (the chip's flash is not reloaded on reset).
    s.writeMemory(0x00020000, Uint8Array.from([1, 2, 3, 4]));
    s.reset();
    expect(word(s, 0x00020000)).toBe(0x04030201);
    s.load(elf);
    expect(word(s, 0x00020000)).toBe(0xffffffff);
  });

  it('programs several files as one image, later ones over earlier ones, and refuses oversized ones', () => {
    const { s } = session('microbit-v2');
    const elf = program('spin', ['b .']);
    const apps = new Uint8Array(0x100).fill(0x5a);
    const ok = s.loadFiles([
      { name: 'kernel.elf', bytes: elf },
      { name: 'apps.bin', bytes: apps, address: 0x40000 },
    ]);
    expect(ok.ok).toBe(true);
    expect(word(s, 0x40000)).toBe(0x5a5a5a5a);

    const big = s.loadFiles([
      { name: 'apps.bin', bytes: new Uint8Array(0x40001), address: 0x40000 },
    ]);
    expect(big).toEqual({
      ok: false,
      error:
        "apps.bin at 0x00040000 (262145 bytes) runs 1 bytes past the end of microbit-v2's flash (512 KiB at 0x00000000)",
    });
    // The failed load changed nothing: the first image is still there.
    expect(word(s, 0x40000)).toBe(0x5a5a5a5a);
    // A kernel ELF with a placeholder where the apps go, then the apps over it: as a flasher
    // programs them, the apps win there and the load says so.
    const placeholder = program('spin', ['b .']);
    const over = s.loadFiles([
      { name: 'kernel.elf', bytes: placeholder },
      { name: 'patch.bin', bytes: Uint8Array.of(1, 2, 3, 4), address: 0x4 },
    ]);
    if (!over.ok) throw new Error(over.error);
    expect(word(s, 0x4)).toBe(0x04030201);
    expect(over.value.notices).toEqual([
      expect.stringMatching(
        /^patch\.bin overwrites 4 byte\(s\) of kernel\.elf segment 0 at 0x00000004-0x00000007/,
      ),
    ]);
  });

  it('reproduces a run from a snapshot', () => {
    const { s } = session();
    s.load(program('nvmc', NVMC));
    s.runSlice({ instructions: 20 });
    const snap = s.snapshot();
    s.runSlice({ instructions: 20_000_000 });
    const after = [0, 4, 8, 12].map((o) => word(s, 0x20000000 + o));
    const cycles = s.cycles;
    s.restore(snap);
    s.runSlice({ instructions: 20_000_000 });
    expect([0, 4, 8, 12].map((o) => word(s, 0x20000000 + o))).toEqual(after);
    expect(s.cycles).toBe(cycles);
  });
});
