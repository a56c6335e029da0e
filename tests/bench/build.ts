/**
 * Builds the mps2-an386 CPU benchmark (bench.c + startup.s + link.ld) with arm-none-eabi-gcc.
 *
 * The ELF goes to .cache/bench/ (ignored by git) and is rebuilt only when a source is newer.
 * Returns an error value naming the missing tool or the compiler's message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_SOURCES = ['bench.c', 'startup.s', 'link.ld'].map((f) => join(here, f));

export function buildBench(
  outDir = resolve(here, '../../.cache/bench'),
): { ok: true; elf: string } | { ok: false; error: string } {
  mkdirSync(outDir, { recursive: true });
  const elf = join(outDir, 'bench.elf');
  const newest = Math.max(...BENCH_SOURCES.map((f) => statSync(f).mtimeMs));
  try {
    if (statSync(elf).mtimeMs > newest) return { ok: true, elf };
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
      '-T',
      join(here, 'link.ld'),
      join(here, 'startup.s'),
      join(here, 'bench.c'),
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
  return { ok: true, elf };
}
