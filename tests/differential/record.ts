/**
 * Translator differential: runs one image twice, with the translator on and with every
 * instruction interpreted, and records what must be identical.
 *
 * Recorded at every exception entry (the core's `onExceptionEntry`, PC on the handler's first
 * instruction) and at the end: instruction count, cycle count, r0-r15, xPSR, MSP and PSP, plus
 * a hash of RAM and the console output at the end. The run ends after `instructions` or at
 * virtual cycle `untilCycle` (checked between slices), or earlier at any stop other than the
 * budget (exit, lockup, idle). `compare` names the first
 * difference. Used by tests/programs/translator-differential.test.ts (bare-metal programs,
 * foreign firmware) and tests/kernel/translator-differential.test.ts (the kernel on both nRF
 * boards).
 *
 * Usage:
 *   const on = recordRun({ machine: 'nrf52840dk' }, files, 5e6, true);
 *   const off = recordRun({ machine: 'nrf52840dk' }, files, 5e6, false);
 *   expect(compareRuns(off, on)).toBeNull();
 */
import { createSession, type ImageFile, type SessionOptions } from '../../emulator/session/session';

export interface Point {
  /** Exception number entered, or -1 for the end of the run. */
  exception: number;
  instructions: number;
  cycles: number;
  regs: number[];
}

export interface RunRecord {
  points: Point[];
  stop: string;
  ramHash: number;
  output: string;
  /** Basic blocks the translator compiled (0 when off): proves the translated run translated. */
  compiled: number;
}

function capture(s: ReturnType<typeof open>, exception: number): Point {
  const regs = Array.from({ length: 16 }, (_, i) => s.readRegister(i));
  regs.push(s.readSpecial('xpsr'), s.readSpecial('msp'), s.readSpecial('psp'));
  return { exception, instructions: s.instructions, cycles: s.cycles, regs };
}

function open(options: SessionOptions) {
  const created = createSession(options);
  if (!created.ok) throw new Error(created.error);
  return created.value;
}

export function recordRun(
  options: SessionOptions,
  files: ImageFile[],
  instructions: number,
  translate: boolean,
  slice = 250_000,
  untilCycle = Infinity,
): RunRecord {
  const s = open({ ...options, translate });
  let output = '';
  const decoder = new TextDecoder('latin1');
  s.on((e) => {
    if (e.kind === 'uart') output += String.fromCharCode(e.byte);
    else if (e.kind === 'console') output += decoder.decode(e.bytes);
  });
  const loaded = s.loadFiles(files);
  if (!loaded.ok) throw new Error(loaded.error);
  const points: Point[] = [];
  s.core.onExceptionEntry = (exc) => points.push(capture(s, exc));
  const stats = s.core.translatorStats;
  const before = stats.blocks;
  let stop = 'limit';
  while (s.instructions < instructions && s.cycles < untilCycle) {
    const r = s.runSlice({ instructions: Math.min(slice, instructions - s.instructions) });
    if (r.kind !== 'limit') {
      stop = JSON.stringify(r);
      break;
    }
  }
  const compiled = stats.blocks - before;
  points.push(capture(s, -1));
  let ramHash = 0;
  for (const r of s.core.bus.regions) {
    if (r.dev !== null || r.kind !== 0) continue;
    for (let i = 0; i < r.bytes.length; i++) ramHash = (Math.imul(ramHash, 31) + r.bytes[i]!) | 0;
  }
  return { points, stop, ramHash, output, compiled };
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;
const NAMES = [
  ...Array.from({ length: 13 }, (_, i) => `r${i}`),
  'sp',
  'lr',
  'pc',
  'xpsr',
  'msp',
  'psp',
];

/** The first difference between a reference run and a translated run, or null. */
export function compareRuns(ref: RunRecord, run: RunRecord): string | null {
  const n = Math.min(ref.points.length, run.points.length);
  for (let i = 0; i < n; i++) {
    const a = ref.points[i]!;
    const b = run.points[i]!;
    const where =
      a.exception < 0 ? 'at the end' : `at exception entry #${i} (exception ${a.exception})`;
    if (a.exception !== b.exception) return `${where}: exception ${a.exception} vs ${b.exception}`;
    if (a.instructions !== b.instructions)
      return `${where}: instruction count ${a.instructions} vs ${b.instructions}`;
    if (a.cycles !== b.cycles)
      return `${where}: cycles ${a.cycles} vs ${b.cycles} (count ${a.instructions})`;
    for (let k = 0; k < a.regs.length; k++) {
      if (a.regs[k] !== b.regs[k])
        return `${where} (count ${a.instructions}): ${NAMES[k]} ${hex(a.regs[k]!)} vs ${hex(b.regs[k]!)}`;
    }
  }
  if (ref.points.length !== run.points.length)
    return `${ref.points.length - 1} exception entries vs ${run.points.length - 1}`;
  if (ref.stop !== run.stop) return `stopped ${ref.stop} vs ${run.stop}`;
  if (ref.ramHash !== run.ramHash) return 'RAM contents differ at the end';
  if (ref.output !== run.output) return 'console output differs';
  return null;
}
