// Side-effect-free debug access: a debugger that reads a read-sensitive register while the
// firmware runs leaves the run bit-identical (the whole machine snapshot, instruction and cycle
// counts, UART output and the MMIO access log), one test per register we model that is
// sensitive to reads. Each test also makes the same reads as firmware accesses (debug: false)
// and shows they do change the run, so none of these tests can pass by reading nothing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../tests/lockstep/assemble';
import { mps2Of } from '../machines/mps2-an386';
import { nrf52Of } from '../machines/nrf52';
import { NrfPeripheral } from '../peripherals/nrf/nrf-peripheral';
import { mps2Echo } from './test-programs';
import { createSession, type EmulatorSession, type MmioAccess } from '../session/session';

const NRF_HEADER = ['.syntax unified', '.thumb', '.section .vectors, "a"'];

function build(name: string, lines: string[]): Uint8Array {
  const r = assemble(`debug-access-${name}`, [...lines, '.ltorg', ''].join('\n'));
  if (!r.ok) throw new Error(r.error);
  return new Uint8Array(readFileSync(r.value));
}

/**
 * nRF52840 firmware that depends on every read-sensitive register it polls: the legacy UART
 * (RXD pops its FIFO: a stolen byte is never echoed or counted), SysTick's COUNTFLAG (cleared
 * by a read: a stolen flag is a lost wrap), and the RNG's VALUE (folded into a checksum).
 * Results at 0x20000200: SysTick wraps seen, RNG checksum, bytes received.
 */
const NRF_POLLER = build('nrf-poller', [
  ...NRF_HEADER,
  '.word 0x20010000',
  '.word start',
  '.text',
  '.thumb_func',
  'start:',
  'ldr r0, =0x40002000', // UART0
  'movs r1, #6',
  'str r1, [r0, #0x50c]', // PSEL.TXD
  'movs r1, #8',
  'str r1, [r0, #0x514]', // PSEL.RXD
  'movs r1, #4',
  'str r1, [r0, #0x500]', // ENABLE = UART (legacy, RXD register)
  'movs r1, #1',
  'str r1, [r0, #0]', // STARTRX
  'str r1, [r0, #8]', // STARTTX
  'ldr r4, =0x4000d000', // RNG
  'str r1, [r4, #0]', // TASKS_START
  'ldr r5, =0xe000e010', // SysTick CSR
  'ldr r1, =997',
  'str r1, [r5, #4]', // RVR
  'movs r1, #5',
  'str r1, [r5, #0]', // ENABLE | CLKSOURCE (core clock), no interrupt
  'ldr r6, =0x20000200',
  'loop:',
  'ldr r1, [r5, #0]', // CSR: COUNTFLAG clears on this read
  'lsls r1, r1, #15', // COUNTFLAG (bit 16) into the sign bit
  'bpl 1f',
  'ldr r2, [r6, #0]',
  'adds r2, #1',
  'str r2, [r6, #0]',
  '1: ldr r1, [r4, #0x100]', // RNG EVENTS_VALRDY
  'cmp r1, #0',
  'beq 2f',
  'movs r1, #0',
  'str r1, [r4, #0x100]',
  'ldr r1, [r4, #0x508]', // VALUE
  'ldr r2, [r6, #4]',
  'lsls r3, r2, #5',
  'eors r2, r3',
  'eors r2, r1',
  'str r2, [r6, #4]',
  '2: ldr r1, [r0, #0x108]', // UART EVENTS_RXDRDY
  'cmp r1, #0',
  'beq loop',
  'movs r1, #0',
  'str r1, [r0, #0x108]',
  'ldr r1, [r0, #0x518]', // RXD: takes the byte
  'str r1, [r0, #0x51c]', // TXD: echo
  'ldr r2, [r6, #8]',
  'adds r2, #1',
  'str r2, [r6, #8]',
  'b loop',
]);

/** mps2-an386 echo through UART0's RX interrupt (DATA takes the byte), sleeping between. */
const MPS2_ECHO = mps2Echo(true);

interface RunRecord {
  instructions: number;
  cycles: number;
  output: number[];
  mmio: MmioAccess[];
  snapshot: ReturnType<EmulatorSession['snapshot']>;
  counts: number[];
}

/**
 * Runs `image` in slices of 97 instructions, typing a few bytes now and then, and between
 * slices lets `between` look at the machine (or not). Everything observable is recorded.
 */
function record(
  machine: string,
  image: Uint8Array,
  between: ((s: EmulatorSession) => void) | null,
): RunRecord {
  const created = createSession({ machine, traceMmio: true });
  if (!created.ok) throw new Error(created.error);
  const s = created.value;
  const output: number[] = [];
  const mmio: MmioAccess[] = [];
  s.on((e) => {
    if (e.kind === 'uart') output.push(e.byte);
    else if (e.kind === 'mmio') mmio.push(e.access);
  });
  const loaded = s.load(image);
  if (!loaded.ok) throw new Error(loaded.error);
  for (let slice = 0; slice < 1500; slice++) {
    if (slice % 300 === 10) s.sendUart(0, new TextEncoder().encode(`ab${slice}`));
    const r = s.runSlice({ instructions: 97 });
    if (r.kind !== 'limit' && r.kind !== 'idle') throw new Error(`stopped: ${JSON.stringify(r)}`);
    between?.(s);
  }
  const nrf = nrf52Of(s.machine);
  const mps2 = mps2Of(s.machine);
  return {
    instructions: s.instructions,
    cycles: s.cycles,
    output,
    mmio,
    snapshot: s.snapshot(),
    // Access counters that are not part of a snapshot.
    counts: [
      ...(nrf?.recorded.map((d) => d.accessCount) ?? []),
      ...(mps2?.placeholders.flatMap((p) => [p.reads, p.writes]) ?? []),
    ],
  };
}

/** Reads `addresses` between slices, as a debugger (default) or as firmware accesses. */
function reading(addresses: number[], debug = true): (s: EmulatorSession) => void {
  return (s) => {
    for (const a of addresses) {
      const r = s.readMemory(a, 4, { debug });
      if (!r.ok) throw new Error(r.error);
    }
  };
}

/** The first path where two plain-data values differ, or null (a short message, no huge diff). */
function firstDifference(a: unknown, b: unknown, path = 'snapshot'): string | null {
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const x = a as Uint8Array;
    const y = b as Uint8Array;
    if (x.length !== y.length) return `${path}: length ${x.length} vs ${y.length}`;
    for (let i = 0; i < x.length; i++)
      if (x[i] !== y[i]) return `${path}[${i}]: ${x[i]} vs ${y[i]}`;
    return null;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        `${path}.${k}`,
      );
      if (d !== null) return d;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${path}: ${String(a)} vs ${String(b)}`;
}

function expectIdentical(a: RunRecord, b: RunRecord): void {
  expect(a.instructions).toBe(b.instructions);
  expect(a.cycles).toBe(b.cycles);
  expect(String.fromCharCode(...a.output)).toBe(String.fromCharCode(...b.output));
  expect(a.mmio.length).toBe(b.mmio.length);
  expect(firstDifference(a.mmio, b.mmio, 'mmio')).toBe(null);
  expect(a.counts).toEqual(b.counts);
  expect(firstDifference(a.snapshot, b.snapshot)).toBe(null);
}

function expectDifferent(a: RunRecord, b: RunRecord): void {
  expect(
    a.instructions !== b.instructions ||
      JSON.stringify(a.output) !== JSON.stringify(b.output) ||
      a.mmio.length !== b.mmio.length ||
      JSON.stringify(a.counts) !== JSON.stringify(b.counts),
  ).toBe(true);
}

describe('debug reads leave the run bit-identical', () => {
  const nrfBaseline = record('nrf52840dk', NRF_POLLER, null);

  it('the nRF baseline really exercises the registers (bytes echoed, wraps and values seen)', () => {
    expect(String.fromCharCode(...nrfBaseline.output)).toBe('ab10ab310ab610ab910ab1210');
    const results = nrfBaseline.snapshot.core.memory.find((m) => m.name === 'ram')!.bytes;
    const word = (o: number): number =>
      (results[o]! | (results[o + 1]! << 8) | (results[o + 2]! << 16) | (results[o + 3]! << 24)) >>>
      0;
    expect(word(0x200)).toBeGreaterThan(10); // SysTick wraps
    expect(word(0x204)).not.toBe(0); // RNG checksum
    expect(word(0x208)).toBe(25); // bytes received
  });

  it('UART RXD (legacy UART on UARTE0): a debug read does not take the byte', () => {
    expectIdentical(record('nrf52840dk', NRF_POLLER, reading([0x40002518])), nrfBaseline);
    expectDifferent(record('nrf52840dk', NRF_POLLER, reading([0x40002518], false)), nrfBaseline);
  });

  it('SysTick CSR: a debug read does not clear COUNTFLAG', () => {
    expectIdentical(record('nrf52840dk', NRF_POLLER, reading([0xe000e010])), nrfBaseline);
    expectDifferent(record('nrf52840dk', NRF_POLLER, reading([0xe000e010], false)), nrfBaseline);
  });

  it('RNG VALUE: a debug read is neither a firmware access nor a change', () => {
    expectIdentical(record('nrf52840dk', NRF_POLLER, reading([0x4000d508])), nrfBaseline);
    // Read by firmware it shows in the access log.
    expectDifferent(record('nrf52840dk', NRF_POLLER, reading([0x4000d508], false)), nrfBaseline);
  });

  it('every EVENTS_* register of every nRF peripheral, and the recorded blocks', () => {
    // All 32 event registers of each modelled peripheral, and the first words of each block
    // the emulator only records (whose reads are counted when firmware makes them).
    const probe = createSession({ machine: 'nrf52840dk' });
    if (!probe.ok) throw new Error(probe.error);
    const nrf = nrf52Of(probe.value.machine)!;
    const events = nrf.devices
      .filter((d) => d.dev instanceof NrfPeripheral)
      .flatMap((d) => Array.from({ length: 32 }, (_, n) => d.base + 0x100 + 4 * n));
    const recorded = nrf.devices
      .filter((d) => nrf.recorded.includes(d.dev as never))
      .map((d) => d.base + 0x100);
    expect(events.length).toBeGreaterThan(20 * 32);
    expectIdentical(
      record('nrf52840dk', NRF_POLLER, reading([...events, ...recorded])),
      nrfBaseline,
    );
    expectDifferent(record('nrf52840dk', NRF_POLLER, reading(recorded, false)), nrfBaseline);
  });

  it('MPS2 UART DATA, and the placeholders whose reads are counted', () => {
    const baseline = record('mps2-an386', MPS2_ECHO, null);
    expect(String.fromCharCode(...baseline.output)).toBe('ab10ab310ab610ab910ab1210');
    const addresses = [0x40004000, 0x40020000];
    expectIdentical(record('mps2-an386', MPS2_ECHO, reading(addresses)), baseline);
    expectDifferent(record('mps2-an386', MPS2_ECHO, reading(addresses, false)), baseline);
  });
});

describe('debug access paths', () => {
  it('a debug write is not logged as a firmware access, and reaches the device', () => {
    const created = createSession({ machine: 'nrf52840dk', traceMmio: true });
    if (!created.ok) throw new Error(created.error);
    const s = created.value;
    const log: MmioAccess[] = [];
    s.on((e) => e.kind === 'mmio' && log.push(e.access));
    // GPIO P0.OUTSET: LED1 (P0.13) driven low once it is an output.
    expect(s.writeMemory(0x50000514, Uint8Array.of(0, 0x20, 0, 0)).ok).toBe(true); // DIRSET
    expect(s.writeMemory(0x50000504, Uint8Array.of(0, 0, 0, 0)).ok).toBe(true); // OUT = 0
    expect(s.leds().find((l) => l.name === 'LED1')?.lit).toBe(true);
    expect(log).toEqual([]);
    // An ordinary access is.
    expect(s.readWord(0x50000504, 4, { debug: false }).ok).toBe(true);
    expect(log.length).toBe(1);
  });

  it('refuses a debug read of a device without a side-effect-free path, naming it', () => {
    const created = createSession({ machine: 'mps2-an386' });
    if (!created.ok) throw new Error(created.error);
    const s = created.value;
    s.core.bus.mapDevice(0x50000000, 0x1000, {
      name: 'fifo without peek',
      read: () => 1,
      write: () => undefined,
    });
    expect(s.readMemory(0x50000000, 4)).toEqual({
      ok: false,
      error: 'bus error at 0x50000000: fifo without peek cannot be read without side effects',
    });
    expect(s.readWord(0x50000000, 4, { debug: false })).toEqual({ ok: true, value: 1 });
  });

  it('every device of every machine answers debug reads (a peek for each)', () => {
    for (const machine of ['mps2-an386', 'nrf52840dk', 'microbit-v2']) {
      const created = createSession({ machine });
      if (!created.ok) throw new Error(created.error);
      const s = created.value;
      for (const r of s.core.bus.regions) {
        if (r.dev === null) continue;
        expect(typeof r.dev.peek, `${machine}: ${r.name} has no peek`).toBe('function');
      }
    }
  });
});
