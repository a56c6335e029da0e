/**
 * An independent witness for the emulated nRF52 boards: a bare-metal C program written from the
 * nRF52840 Product Specification alone (main.c: CLOCK start, UARTE0 EasyDMA printing, FICR
 * identification, RTC1 compare interrupts with WFI sleep, LED1 toggling), built with Debian's
 * arm-none-eabi-gcc, run on the `nrf52840dk` and `microbit-v2` machines through the session API.
 *
 * The test checks the exact lines the firmware prints (PART/RAM/FLASH per chip, five ticks),
 * that the RTC COUNTER values and the virtual time between ticks agree with the prescaler and
 * compare period the firmware programmed (read from main.c, not repeated here), that LED1
 * (P0.13) toggled at each tick, and that the board costs almost nothing once the firmware
 * sleeps for good. A variant built with -DDMA_FROM_FLASH hands EasyDMA a buffer in flash and
 * must fault as the PS allows (HardFault) without printing or hurting the host; a snapshot taken
 * mid-line between two ticks must replay the same bytes, pin changes and cycles. The ELF layout
 * itself (vector table, flash/RAM placement per chip) is checked without the emulator. Skips
 * only when arm-none-eabi-gcc is missing, and never under CI=true (tests/tools.ts).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseElf, type ElfFile } from '../../../emulator/formats/elf';
import { createSession, type EmulatorSession } from '../../../emulator/session/session';
import { nrf52Of } from '../../../emulator/machines/nrf52';
import { skipWithoutTool } from '../../tools';
import { buildBaremetal, compilerAvailable, type BaremetalChip } from './build';

const here = dirname(fileURLToPath(import.meta.url));

/** A `#define NAME <number>u` from main.c, so the test follows the firmware's settings. */
function firmwareConstant(name: string): number {
  const src = readFileSync(join(here, 'main.c'), 'utf8');
  const m = new RegExp(`^#define ${name} (\\d+)u\\b`, 'm').exec(src);
  if (!m?.[1]) throw new Error(`main.c has no '#define ${name} <n>u'`);
  return Number(m[1]);
}

const PRESCALER = firmwareConstant('RTC_PRESCALER');
const PERIOD = firmwareConstant('TICK_PERIOD');
const TICKS = firmwareConstant('TICKS');
const LED_PIN = firmwareConstant('LED1_PIN');
const LFCLK_HZ = 32768; // PS "LFCLK controller": 32.768 kHz
const RTC1_IRQ = 17; // PS "Instantiation": RTC1 has ID 17

interface Board {
  machine: string;
  chip: BaremetalChip;
  part: string;
  ramKiB: number;
  flashKiB: number;
}

const BOARDS: Board[] = [
  { machine: 'nrf52840dk', chip: 'nrf52840', part: '52840', ramKiB: 256, flashKiB: 1024 },
  { machine: 'microbit-v2', chip: 'nrf52833', part: '52833', ramKiB: 128, flashKiB: 512 },
];

// Skipped without the compiler on a developer's machine; under CI=true that fails instead.
const noGcc = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

function build(chip: BaremetalChip, defines: string[] = []): { bytes: Uint8Array; elf: ElfFile } {
  const r = buildBaremetal(chip, { defines });
  if (!r.ok) throw new Error(r.error);
  const bytes = new Uint8Array(readFileSync(r.value));
  return { bytes, elf: parseElf(bytes) };
}

function symbol(elf: ElfFile, name: string): number {
  const s = elf.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`ELF has no symbol '${name}'`);
  return s.value >>> 0;
}

interface Line {
  text: string;
  /** Virtual cycle at which the line's last byte left the UART. */
  cycle: number;
  /** LED1's driven level (true = high = off: the LED is active low; null = not driven). */
  led: boolean | null | undefined;
  /** Whether the board says its LED1 is lit (boards that have an LED1 only). */
  lit: boolean | undefined;
}

interface Run {
  lines: Line[];
  /** Messages the board reported about firmware mistakes the silicon handles quietly. */
  diagnostics: string[];
  /** P0.13 level changes the board reported through its 'pin' host events. */
  ledChanges: { cycle: number; level: boolean }[];
  session: EmulatorSession;
  stop: string;
}

/** LED1's driven level through the nRF board's GPIO model (undefined on other boards). */
function ledLevel(session: EmulatorSession): boolean | null | undefined {
  return nrf52Of(session.machine)?.gpio.outputLevel(0, LED_PIN);
}

/** Boot the firmware and run until it prints "done" or `limitSeconds` of virtual time pass. */
function runFirmware(machine: string, bytes: Uint8Array, limitSeconds: number): Run {
  const created = createSession({ machine });
  if (!created.ok) throw new Error(created.error);
  const session = created.value;
  const lines: Line[] = [];
  const ledChanges: Run['ledChanges'] = [];
  const diagnostics: string[] = [];
  let pending = '';
  session.on((e) => {
    if (e.kind === 'diagnostic') diagnostics.push(e.message);
    if (e.kind === 'pin' && e.port === 0 && e.pin === LED_PIN) {
      ledChanges.push({ cycle: session.cycles, level: e.level });
    }
    if (e.kind !== 'uart' || e.index !== 0) return;
    if (e.byte === 0x0a) {
      lines.push({
        text: pending.replace(/\r$/, ''),
        cycle: session.cycles,
        led: ledLevel(session),
        lit: session.leds().find((l) => l.name === 'LED1')?.lit,
      });
      pending = '';
    } else {
      pending += String.fromCharCode(e.byte);
    }
  });
  const loaded = session.load(bytes);
  if (!loaded.ok) throw new Error(`${machine}: ${loaded.error}`);
  const limit = Math.round(limitSeconds * session.core.clock.frequencyHz);
  let stop = 'time limit';
  while (!lines.some((l) => l.text === 'done') && session.cycles < limit) {
    const r = session.runSlice({ instructions: 5_000_000, untilCycle: limit });
    if (r.kind !== 'limit') {
      stop = r.kind;
      break;
    }
  }
  if (pending)
    lines.push({
      text: `${pending}(unterminated)`,
      cycle: session.cycles,
      led: undefined,
      lit: undefined,
    });
  return { lines, diagnostics, ledChanges, session, stop };
}

/** What to show when the firmware did not get to "done": output, PC, unexpected exceptions. */
function diagnose(run: Run, elf: ElfFile): string {
  const exc = run.session.readWord(symbol(elf, 'unexpected_exception'));
  return [
    `stopped: ${run.stop} at ${run.session.virtualSeconds.toFixed(3)} s virtual`,
    `pc 0x${run.session.readRegister(15).toString(16)}`,
    `unexpected exception: ${exc.ok ? exc.value : exc.error}`,
    'output:',
    ...run.lines.map((l) => `  ${l.text}`),
  ].join('\n');
}

describe.skipIf(noGcc)('nrf52 bare-metal program: the ELF', () => {
  it.each(BOARDS)('$chip image: vectors at 0, RTC1 handler in slot 16+17, data in RAM', (b) => {
    const { elf } = build(b.chip);
    const text = elf.sections.find((s) => s.name === '.text');
    expect(text?.addr).toBe(0);
    const word = (i: number) =>
      new DataView(text!.data.buffer, text!.data.byteOffset).getUint32(i * 4, true);
    // Initial SP = top of the chip's Data RAM; reset vector = reset_handler (Thumb bit set).
    expect(word(0)).toBe(0x20000000 + b.ramKiB * 1024);
    expect(word(1)).toBe(symbol(elf, 'reset_handler') | 1);
    expect(word(16 + RTC1_IRQ)).toBe(symbol(elf, 'rtc1_irq') | 1);
    // Every one of the 16 + 48 vectors points into the image (or is a reserved 0).
    for (let i = 2; i < 64; i++) expect(word(i) === 0 || word(i) < text!.size).toBe(true);
    // .data runs in RAM but is stored in flash right behind the code (LMA != VMA).
    const data = elf.segments.find((s) => s.vaddr === 0x20000000);
    expect(data).toBeDefined();
    expect(data!.paddr).toBeLessThan(b.flashKiB * 1024);
    expect(data!.filesz).toBeGreaterThan(0);
  });
});

describe.skipIf(noGcc).each(BOARDS)('nrf52 bare-metal program on $machine', (b) => {
  it('prints the chip identity, five RTC ticks in step with the prescaler, and toggles LED1', () => {
    const { bytes, elf } = build(b.chip);
    const run = runFirmware(b.machine, bytes, 5);
    const texts = run.lines.map((l) => l.text);
    if (!texts.includes('done'))
      throw new Error(`no "done" on ${b.machine}\n${diagnose(run, elf)}`);

    const devId = texts.find((t) => t.startsWith('DEVICEID '));
    const hfclk = texts.find((t) => t.startsWith('HFCLK '));
    expect(texts.slice(0, 7)).toEqual([
      'nrf52 bare-metal demo',
      hfclk,
      `PART ${b.part}`,
      `RAM ${b.ramKiB}`,
      `FLASH ${b.flashKiB}`,
      `CODE ${b.flashKiB}`, // CODEPAGESIZE * CODESIZE agrees with INFO.FLASH
      devId,
    ]);
    // Both crystals were requested and reported as the running sources.
    expect(hfclk).toBe('HFCLK xtal LFCLK xtal');
    // DEVICEID[1]:DEVICEID[0] as the firmware read them = the FICR words the machine holds.
    const id0 = run.session.readWord(0x10000060);
    const id1 = run.session.readWord(0x10000064);
    expect(id0.ok && id1.ok).toBe(true);
    if (id0.ok && id1.ok) {
      const hex = (v: number) => v.toString(16).padStart(8, '0');
      expect(devId).toBe(`DEVICEID ${hex(id1.value)}${hex(id0.value)}`);
    }

    const tickLines = run.lines.filter((l) => l.text.startsWith('tick '));
    expect(tickLines.map((l) => l.text.replace(/ COUNTER \d+$/, ''))).toEqual(
      Array.from({ length: TICKS }, (_, i) => `tick ${i + 1}`),
    );
    expect(texts.slice(7)).toEqual([...tickLines.map((l) => l.text), 'done']);

    // The handler reads COUNTER right after COMPARE[0]: tick n sees n * PERIOD (one RTC tick of
    // interrupt latency allowed).
    const counters = tickLines.map((l) => Number(/COUNTER (\d+)$/.exec(l.text)?.[1]));
    counters.forEach((c, i) => {
      expect(c).toBeGreaterThanOrEqual((i + 1) * PERIOD);
      expect(c).toBeLessThanOrEqual((i + 1) * PERIOD + 1);
    });

    // Virtual time between ticks = PERIOD RTC ticks at 32768 / (PRESCALER + 1) Hz.
    const hz = run.session.core.clock.frequencyHz;
    const periodCycles = (PERIOD * (PRESCALER + 1) * hz) / LFCLK_HZ;
    const rtcTickCycles = ((PRESCALER + 1) * hz) / LFCLK_HZ;
    for (let i = 1; i < tickLines.length; i++) {
      const dt = tickLines[i]!.cycle - tickLines[i - 1]!.cycle;
      expect(Math.abs(dt - periodCycles)).toBeLessThanOrEqual(rtcTickCycles);
    }

    // LED1 is active low and starts off (high); tick n leaves it on for odd n, off for even n.
    expect(tickLines.map((l) => l.led)).toEqual(
      Array.from({ length: TICKS }, (_, i) => (i + 1) % 2 === 0),
    );
    // The DK's board model agrees: LED1 is lit after odd ticks (the micro:bit has no LED1).
    if (b.machine === 'nrf52840dk') {
      expect(tickLines.map((l) => l.lit)).toEqual(
        Array.from({ length: TICKS }, (_, i) => (i + 1) % 2 === 1),
      );
    }
    // The board reported exactly one LED1 change per tick, each just before its tick's line.
    for (let i = 0; i < tickLines.length; i++) {
      const from = i === 0 ? tickLines[0]!.cycle - periodCycles : tickLines[i - 1]!.cycle;
      const changes = run.ledChanges.filter(
        (c) => c.cycle > from && c.cycle <= tickLines[i]!.cycle,
      );
      expect(changes.map((c) => c.level)).toEqual([(i + 1) % 2 === 0]);
    }
    expect(run.session.readWord(symbol(elf, 'unexpected_exception'))).toEqual({
      ok: true,
      value: 0,
    });

    // Parked in WFI with every interrupt source off: one more virtual second costs (almost) no
    // instructions, whether the core reports idle or the slice simply reaches its time limit.
    const before = run.session.instructions;
    const until = run.session.cycles + hz;
    const r = run.session.runSlice({ instructions: 1_000_000, untilCycle: until });
    expect(['idle', 'limit']).toContain(r.kind);
    expect(run.session.instructions - before).toBeLessThan(100);
  });
});

describe.skipIf(noGcc)('nrf52 bare-metal program: EasyDMA handed a buffer in flash', () => {
  it('faults on the STARTTX store instead of sending, and the board keeps running', () => {
    // PS "EasyDMA": a pointer outside Data RAM "may result in a HardFault or RAM corruption";
    // the board models the HardFault (a precise BusFault escalated, BusFault being disabled).
    const { bytes, elf } = build('nrf52840', ['DMA_FROM_FLASH']);
    const run = runFirmware('nrf52840dk', bytes, 1);
    const texts = run.lines.map((l) => l.text);
    expect(texts.at(-1), diagnose(run, elf)).toMatch(/^DEVICEID [0-9a-f]{16}$/);
    expect(texts.join('\n')).not.toContain('from flash');
    const HARDFAULT = 3;
    const PRECISERR = 1 << 9; // CFSR.BFSR bit 1: precise data bus error
    expect(run.session.readWord(symbol(elf, 'unexpected_exception'))).toEqual({
      ok: true,
      value: HARDFAULT,
    });
    const cfsr = run.session.readWord(symbol(elf, 'fault_cfsr'));
    expect(cfsr.ok && (cfsr.value & PRECISERR) !== 0).toBe(true);
    expect(run.diagnostics.some((m) => /UARTE0 TXD\.PTR .* outside Data RAM/.test(m))).toBe(true);
    // The fault handler sleeps with nothing left to wake it: the board goes idle, no host error.
    expect(run.stop).toBe('idle');
  });
});

describe.skipIf(noGcc)('nrf52 bare-metal program: snapshots', () => {
  it('replays the same bytes, pins and cycles from a snapshot taken between two ticks', () => {
    const { bytes } = build('nrf52840');
    const created = createSession({ machine: 'nrf52840dk' });
    if (!created.ok) throw new Error(created.error);
    const session = created.value;
    let text = '';
    let trace: string[] = [];
    let marker = '';
    session.on((e) => {
      if (e.kind === 'uart') {
        text += String.fromCharCode(e.byte);
        trace.push(`uart${e.index} ${e.byte} @${session.cycles}`);
        // Stop the slice right there (a slice would otherwise run on past the marker).
        if (text.endsWith(marker)) session.pause();
      } else if (e.kind === 'pin') {
        trace.push(`P${e.port}.${e.pin}=${Number(e.level)} @${session.cycles}`);
      }
    });
    const runUntil = (until: string): void => {
      marker = until;
      const from = text.length;
      const limit = session.cycles + 5 * session.core.clock.frequencyHz;
      while (!text.slice(from).includes(until) && session.cycles < limit) {
        const r = session.runSlice({ instructions: 5_000_000, untilCycle: limit });
        if (r.kind !== 'limit' && r.kind !== 'halted') break;
      }
      expect(text.slice(from)).toContain(until);
    };
    const loaded = session.load(bytes);
    if (!loaded.ok) throw new Error(loaded.error);
    runUntil('tick 2 COUNTER');
    // Mid-line, with the UARTE transmitting and the next RTC compare pending.
    const snap = structuredClone(session.snapshot());
    const textAtSnap = text;
    expect(textAtSnap.endsWith('tick 2 COUNTER')).toBe(true);
    trace = [];
    runUntil('done');
    const first = trace;

    session.restore(snap);
    text = textAtSnap;
    trace = [];
    runUntil('done');
    expect(trace).toEqual(first);
    expect(first.length).toBeGreaterThan(3 * 20); // ticks 3-5 at least were replayed
  });
});
