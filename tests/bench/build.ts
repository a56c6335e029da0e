/**
 * Builds the mps2-an386 CPU benchmarks with arm-none-eabi-gcc: `bench` (bench.c: CRC, matrix
 * multiply, copies, list walk, state machine) and `bench2` (bench2.c: DSP and saturating
 * arithmetic, unaligned and byte traffic, deep call chains, a bytecode VM), each with
 * startup.s and link.ld.
 *
 * The ELF goes to .cache/bench/ (ignored by git) and is rebuilt only when a source is newer.
 * Returns an error value naming the missing tool or the compiler's message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../emulator/core/result';

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_SOURCES = ['bench.c', 'startup.s', 'link.ld'].map((f) => join(here, f));

/** The benchmark programs: their C file beside this one. */
export const BENCHMARKS = ['bench', 'bench2'] as const;
export type BenchmarkName = (typeof BENCHMARKS)[number];

export function buildBench(
  outDir = resolve(here, '../../.cache/bench'),
  name: BenchmarkName = 'bench',
  /** bench.c only: run this many times the command line's round count (-DROUNDS_SCALE). */
  roundsScale = 1,
): Result<string> {
  mkdirSync(outDir, { recursive: true });
  const elf = join(outDir, roundsScale === 1 ? `${name}.elf` : `${name}-x${roundsScale}.elf`);
  const sources = [`${name}.c`, 'startup.s', 'link.ld'].map((f) => join(here, f));
  const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs));
  try {
    if (statSync(elf).mtimeMs > newest) return { ok: true, value: elf };
  } catch {
    // not built yet
  }
  const r = spawnSync(
    'arm-none-eabi-gcc',
    [
      '-mcpu=cortex-m4',
      '-mthumb',
      '-O2',
      '-ffreestanding',
      '-nostdlib',
      '-Wall',
      '-Wextra',
      '-Werror',
      ...(roundsScale === 1 ? [] : [`-DROUNDS_SCALE=${roundsScale}u`]),
      '-T',
      join(here, 'link.ld'),
      join(here, 'startup.s'),
      join(here, `${name}.c`),
      '-o',
      elf,
    ],
    { encoding: 'utf8' },
  );
  if (r.error)
    return {
      ok: false,
      error: `arm-none-eabi-gcc not runnable (${r.error.message}); install gcc-arm-none-eabi`,
    };
  if (r.status !== 0) return { ok: false, error: `benchmark build failed:\n${r.stderr}` };
  return { ok: true, value: elf };
}
