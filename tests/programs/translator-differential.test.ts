/**
 * The translator must not change a run: the CPU benchmark, the hand-written system programs
 * (exceptions, faults, the MPU, PendSV context switches, SysTick, unprivileged SVC, exclusive
 * monitor) and the independent nRF52 bare-metal firmware run with the translator on and with
 * every instruction interpreted, and the instruction count, cycle count and register file must
 * agree at every exception entry and at the end (tests/differential/record.ts). A snapshot
 * restored in the middle of a translated run must continue identically. Skips a part only when
 * arm-none-eabi-gcc / GNU as are missing.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSession } from '../../emulator/session/session';
import { buildBench } from '../bench/build';
import { compareRuns, recordRun } from '../differential/record';
import { assemble } from '../lockstep/assemble';
import { buildBaremetal, compilerAvailable } from './nrf52-baremetal/build';
import { systemPrograms } from './programs';
import { skipWithoutTool } from '../tools';

// Skipped without the compiler on a developer's machine; under CI=true that fails instead.
const noGcc = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

describe('translator on and off give the same run', () => {
  it.skipIf(noGcc)('on the CPU benchmark (mps2-an386)', () => {
    const built = buildBench();
    if (!built.ok) throw new Error(built.error);
    const files = [{ name: 'bench.elf', bytes: new Uint8Array(readFileSync(built.value)) }];
    const opts = { machine: 'mps2-an386', semihosting: true, cmdline: 'bench 4' };
    const off = recordRun(opts, files, 5e6, false);
    const on = recordRun(opts, files, 5e6, true);
    expect(on.compiled).toBeGreaterThan(5);
    expect(on.stop).toContain('exit');
    expect(compareRuns(off, on)).toBeNull();
  });

  for (const p of systemPrograms()) {
    it.skipIf(noGcc)(`on the system program ${p.name}`, () => {
      const built = assemble(p.name, p.source);
      if (!built.ok) throw new Error(built.error);
      const files = [{ name: p.name, bytes: new Uint8Array(readFileSync(built.value)) }];
      const off = recordRun({ machine: 'mps2-an386' }, files, 300_000, false, 997);
      const on = recordRun({ machine: 'mps2-an386' }, files, 300_000, true, 997);
      expect(compareRuns(off, on)).toBeNull();
    });
  }

  for (const [chip, machine] of [
    ['nrf52840', 'nrf52840dk'],
    ['nrf52833', 'microbit-v2'],
  ] as const) {
    it.skipIf(noGcc)(`on the foreign bare-metal firmware (${machine})`, () => {
      const built = buildBaremetal(chip);
      if (!built.ok) throw new Error(built.error);
      const files = [{ name: 'main.elf', bytes: new Uint8Array(readFileSync(built.value)) }];
      // Until 0.6 virtual seconds: boot, the UART lines, five RTC ticks, then sleep.
      const until = 0.6 * 64e6;
      const off = recordRun({ machine }, files, 40e6, false, 100_003, until);
      const on = recordRun({ machine }, files, 40e6, true, 100_003, until);
      expect(off.points.length).toBeGreaterThan(5); // RTC interrupts were taken
      expect(off.output).toContain('tick');
      expect(on.compiled).toBeGreaterThan(0);
      expect(compareRuns(off, on)).toBeNull();
    });
  }

  it.skipIf(noGcc)('after a snapshot restored in the middle of a translated run', () => {
    const built = buildBench();
    if (!built.ok) throw new Error(built.error);
    const created = createSession({ machine: 'mps2-an386', semihosting: true, cmdline: 'bench 3' });
    if (!created.ok) throw new Error(created.error);
    const s = created.value;
    expect(s.load(new Uint8Array(readFileSync(built.value))).ok).toBe(true);
    s.runSlice({ instructions: 400_123 });
    const snap = s.snapshot();
    const state = (): number[] => [
      ...Array.from({ length: 16 }, (_, i) => s.readRegister(i)),
      s.readSpecial('xpsr'),
      s.instructions,
      s.cycles,
    ];
    s.runSlice({ instructions: 300_007 });
    const first = state();
    s.restore(snap);
    s.runSlice({ instructions: 300_007 });
    expect(state()).toEqual(first);
  });
});
