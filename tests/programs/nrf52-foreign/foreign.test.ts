/**
 * Firmware we did not write the emulator for: a serial console built the way nRF52 firmware is
 * written (Nordic-style SystemInit applying every errata workaround, a one-byte receive re-armed
 * per character, Tock-style interrupt handling with NVIC ICER/ICPR/ISER, no periodic tick),
 * compiled with Debian's arm-none-eabi-gcc and run unchanged on both nRF boards.
 *
 * It proves, against the silicon's documents rather than our kernel's habits:
 *  - the start-up's stores to undocumented words (errata 16 at 0x4007C074 and the rest of
 *    machines/nrf52.ts UNDOCUMENTED_REGISTERS) complete and read back, with no fault, and
 *    --trace-mmio names them "undocumented (errata N)";
 *  - with nothing but the UART to wake it, the firmware sleeps with no clock event pending;
 *  - 1,000 characters pasted at once are all echoed, in order, with no receive error, whether
 *    the receive is re-armed with STARTRX alone or with STOPRX then STARTRX back to back.
 * Skips only when arm-none-eabi-gcc is missing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSession, type EmulatorSession } from '../../../emulator/session/session';
import { buildBaremetal, compilerAvailable, type BaremetalChip } from '../nrf52-baremetal/build';
import { skipWithoutTool } from '../../tools';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['system_init.c', 'console.c'].map((f) => join(here, f));
// Skipped without the compiler on a developer's machine; under CI=true that fails instead.
const noGcc = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

const BOARDS: { machine: string; chip: BaremetalChip; part: string }[] = [
  { machine: 'nrf52840dk', chip: 'nrf52840', part: '0x08' },
  { machine: 'microbit-v2', chip: 'nrf52833', part: '0x0d' },
];

function build(chip: BaremetalChip, defines: string[] = []): { path: string; bytes: Uint8Array } {
  const r = buildBaremetal(chip, { defines, program: { name: 'console', sources: SOURCES } });
  if (!r.ok) throw new Error(r.error);
  return { path: r.value, bytes: new Uint8Array(readFileSync(r.value)) };
}

interface Board {
  s: EmulatorSession;
  out: () => string;
  diagnostics: string[];
  /** Run until `done()` or `seconds` of virtual time pass. */
  run: (seconds: number, done?: () => boolean) => void;
}

function boot(machine: string, elf: Uint8Array): Board {
  const c = createSession({ machine });
  if (!c.ok) throw new Error(c.error);
  const s = c.value;
  const bytes: number[] = [];
  const diagnostics: string[] = [];
  s.on((e) => {
    if (e.kind === 'uart' && e.index === 0) bytes.push(e.byte);
    else if (e.kind === 'diagnostic') diagnostics.push(e.message);
  });
  const loaded = s.loadFiles([{ name: 'console.elf', bytes: elf }]);
  if (!loaded.ok) throw new Error(loaded.error);
  const out = (): string => String.fromCharCode(...bytes);
  const run = (seconds: number, done: () => boolean = () => false): void => {
    const end = s.cycles + seconds * s.core.clock.frequencyHz;
    while (s.cycles < end && !done()) {
      const r = s.runPaced(Math.min(end, s.cycles + 0.01 * s.core.clock.frequencyHz), 2_000_000);
      // 'idle': asleep with nothing scheduled; only input can go on (the caller sends some).
      if (r.kind === 'idle') return;
      if (r.kind !== 'limit') throw new Error(`stopped: ${JSON.stringify(r)}`);
    }
  };
  return { s, out, diagnostics, run };
}

/** 1,000 printable characters, '#' (the stats command) left out. */
const PASTE = Array.from({ length: 1000 }, (_, i) =>
  String.fromCharCode(0x24 + ((i * 37 + (i >> 4)) % 91)),
).join('');

describe.skipIf(noGcc)('foreign nRF52 firmware: Nordic start-up, re-armed console', () => {
  it.each(BOARDS)('$machine: the errata stores complete; it sleeps with nothing scheduled', (b) => {
    const { s, out, diagnostics, run } = boot(b.machine, build(b.chip).bytes);
    run(0.05, () => out().endsWith('> '));
    expect(out()).toBe(`nordic console: part ${b.part} errata16 0xbaadf00d\r\n> `);
    expect(diagnostics).toEqual([]);
    run(0.01);
    // Tickless: asleep in WFI, no clock event left; only the UART can wake it.
    expect(s.sleeping).toBe(true);
    expect(s.nextEventCycle).toBe(Infinity);
    expect(s.readWord(0xe000ed28)).toEqual({ ok: true, value: 0 }); // CFSR: no fault
  });

  it.each([
    ...BOARDS.map((b) => ({ ...b, defines: [] as string[], how: 'STARTRX' })),
    ...BOARDS.map((b) => ({ ...b, defines: ['REARM_WITH_STOPRX'], how: 'STOPRX+STARTRX' })),
  ])('$machine, re-armed with $how: 1,000 pasted characters all come back', (b) => {
    expect(PASTE).not.toContain('#');
    const { s, out, run } = boot(b.machine, build(b.chip, b.defines).bytes);
    run(0.05, () => out().endsWith('> '));
    const prompt = out().length;
    s.sendUart(0, new TextEncoder().encode(PASTE));
    // 1,000 frames at 115200 baud take 87 ms; the echo trails by a frame or two.
    run(0.5, () => out().length >= prompt + PASTE.length);
    expect(out().slice(prompt)).toBe(PASTE);
    s.sendUart(0, new TextEncoder().encode('#'));
    run(0.05, () => out().endsWith('\r\n') && out().includes('stats'));
    expect(out().slice(prompt + PASTE.length)).toBe('\r\nstats: received 1001 errors 0\r\n');
    run(0.01);
    expect(s.sleeping).toBe(true);
    expect(s.nextEventCycle).toBe(Infinity);
  });

  it('--trace-mmio names the errata words "undocumented (errata N)"', () => {
    const elf = build('nrf52840').path;
    const traced = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'emulator/node/cli.ts',
        '--machine',
        'nrf52840dk',
        '--trace-mmio',
        '--pace',
        'fast',
        '--max-instructions',
        '3000',
        elf,
      ],
      { encoding: 'utf8', timeout: 60_000, input: '' },
    );
    expect(traced.stderr).toMatch(
      /W32 undocumented \(errata 16\) \(0x4007c074\) <= 0xbaadf00d\n.*R32 undocumented \(errata 16\) \(0x4007c074\) => 0xbaadf00d/,
    );
    expect(traced.stderr).toMatch(/W32 undocumented \(errata 108, 115, 217\) \(0x40000ee4\)/);
    expect(traced.stderr).toMatch(/W32 undocumented \(errata 171, 187\) \(0x4006ec00\) <= 0x9375/);
    expect(traced.stderr).toMatch(/W32 APPROTECT\.DISABLE \(0x40000558\)/);
    expect(traced.stderr).not.toMatch(/HardFault|BusFault/);
  });
});
