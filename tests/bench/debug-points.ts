/**
 * The debugging load of the emulator benchmarks: 10 host breakpoints the run never reaches and
 * two DWT watchpoints on words it never touches.
 *
 * Why: `npm run bench:emulator` and the CPU-time harness (cpu-harness.ts --debug) must measure
 * the same debugging cost, so both take the points from here.
 *
 * Example: const { bps, wps } = debugPoints(bytes, 3); armDebug(session, bps, wps);
 */
import { createSession, type EmulatorSession } from '../../emulator/session/session';
import { parseElf } from '../../emulator/formats/elf';

/**
 * Sets 10 host breakpoints spread over the program's text at instructions the run never
 * reaches (found by trial: a candidate the program stops at is replaced by the next), and two
 * DWT watchpoints (one write, one read) on data words beside the program's own that it never
 * touches. Returns the addresses, for the report.
 */
export function debugPoints(bytes: Uint8Array, rounds: number): { bps: number[]; wps: number[] } {
  const elf = parseElf(bytes);
  const text = elf.sections.find((s) => s.name === '.text')!;
  const bss = elf.sections.find((s) => s.name === '.bss')!;
  const candidates: number[] = [];
  for (let a = text.addr + 0x40; a < text.addr + text.size - 4; a += 2) candidates.push(a);
  const step = Math.max(2, Math.floor(candidates.length / 40) * 2);
  const pool = candidates.filter((a) => (a - text.addr) % step === 0);
  const bps: number[] = [];
  const wps = [bss.addr + bss.size + 64, bss.addr + bss.size + 256];
  // A short run tells which candidates are reached; keep those that are not.
  for (const a of pool) {
    if (bps.length === 10) break;
    const r = emulatorRunStopping(bytes, Math.min(rounds, 3), a);
    if (r === null) bps.push(a);
  }
  return { bps, wps };
}

/** A new mps2-an386 session for a benchmark of `rounds` rounds (semihosting on). */
export function benchSession(rounds: number, translate = true): EmulatorSession {
  const created = createSession({
    machine: 'mps2-an386',
    semihosting: true,
    cmdline: `bench ${rounds}`,
    translate,
  });
  if (!created.ok) throw new Error(created.error);
  return created.value;
}

function emulatorRunStopping(bytes: Uint8Array, rounds: number, bp: number): number | null {
  const s = benchSession(rounds);
  s.load(bytes);
  s.core.hostBreakpoints.add(bp);
  let r;
  do r = s.runSlice({ instructions: 50_000_000 });
  while (r.kind === 'limit');
  return r.kind === 'breakpoint' ? r.address : null;
}

export function armDebug(s: EmulatorSession, bps: number[], wps: number[]): void {
  for (const a of bps) s.core.hostBreakpoints.add(a);
  const w = (a: number, v: number): void => s.core.writeMemory(a, 4, v);
  w(0xe000edf0, 0xa05f0001); // DHCSR: C_DEBUGEN (watchpoints halt)
  w(0xe0001020, wps[0]!); // DWT_COMP0
  w(0xe0001024, 2); // DWT_MASK0: 4 bytes
  w(0xe0001028, 6); // DWT_FUNCTION0: write
  w(0xe0001030, wps[1]!); // DWT_COMP1
  w(0xe0001034, 2);
  w(0xe0001038, 5); // DWT_FUNCTION1: read
}
