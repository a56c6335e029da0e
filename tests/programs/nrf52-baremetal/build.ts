/**
 * Builds the bare-metal nRF52 demo (main.c + startup.c + nrf52.h, linked with nrf52840.ld or
 * nrf52833.ld over sections.ld) with Debian's arm-none-eabi-gcc, the way tests/bench/build.ts
 * builds the CPU benchmark; other programs (tests/programs/nrf52-foreign) reuse the start-up
 * code and linker scripts with their own C files (`program`).
 *
 * The ELF goes to .cache/nrf52-baremetal/<chip>[-<DEFINE>...].elf (ignored by git) and is rebuilt
 * only when a source is newer. The compiler writes to a per-process temporary name that is then renamed, so
 * test workers building at the same time never read a half-written file. Returns an error value
 * naming the missing tool (callers check `compilerAvailable()` first) or the compiler's message.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../../emulator/core/result';

const here = dirname(fileURLToPath(import.meta.url));

export type BaremetalChip = 'nrf52840' | 'nrf52833';
export const BAREMETAL_CHIPS: readonly BaremetalChip[] = ['nrf52840', 'nrf52833'];

export const BAREMETAL_SOURCES = [
  'main.c',
  'startup.c',
  'nrf52.h',
  'sections.ld',
  'nrf52840.ld',
  'nrf52833.ld',
].map((f) => join(here, f));

/** The ELF's path, or what went wrong (naming the missing tool when it is one). */
export type BuildResult = Result<string>;

const COMPILER = 'arm-none-eabi-gcc';

/** True when the cross compiler can be started (the test skips, with a message, otherwise). */
export function compilerAvailable(): boolean {
  const r = spawnSync(COMPILER, ['--version'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
}

export interface BuildOptions {
  /** Preprocessor switches for firmware variants (e.g. DMA_FROM_FLASH); part of the ELF name. */
  defines?: string[];
  outDir?: string;
  /**
   * Another program on the same start-up code, headers and linker scripts: its C files (absolute
   * paths, used instead of main.c) and a name for its ELF. Its folder is on the include path.
   */
  program?: { name: string; sources: string[] };
}

export function buildBaremetal(chip: BaremetalChip, options: BuildOptions = {}): BuildResult {
  if (!BAREMETAL_CHIPS.includes(chip)) {
    return {
      ok: false,
      error: `unknown chip '${String(chip)}' (known: ${BAREMETAL_CHIPS.join(', ')})`,
    };
  }
  const defines = [...(options.defines ?? [])].sort();
  const bad = defines.find((d) => !/^[A-Z_][A-Z0-9_]*$/.test(d));
  if (bad !== undefined) {
    return { ok: false, error: `bad define '${bad}' (use NAME in capitals)` };
  }
  const outDir = options.outDir ?? resolve(here, '../../../.cache/nrf52-baremetal');
  mkdirSync(outDir, { recursive: true });
  const program = options.program;
  if (program !== undefined && !/^[a-z0-9-]+$/.test(program.name))
    return { ok: false, error: `bad program name '${program.name}'` };
  const elf = join(
    outDir,
    `${[...(program ? [program.name] : []), chip, ...defines].join('-')}.elf`,
  );
  const mains = program ? program.sources : [join(here, 'main.c')];
  const extraDirs = [...new Set(mains.map((f) => dirname(f)))];
  const headers = extraDirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.h'))
      .map((f) => join(d, f)),
  );
  // This file holds the compiler flags: editing it rebuilds too.
  const inputs = [...BAREMETAL_SOURCES, ...mains, ...headers, fileURLToPath(import.meta.url)];
  const newest = Math.max(...inputs.map((f) => statSync(f).mtimeMs));
  try {
    if (statSync(elf).mtimeMs > newest) return { ok: true, value: elf };
  } catch {
    // not built yet
  }
  const tmp = `${elf}.${process.pid}.tmp`;
  const r = spawnSync(
    COMPILER,
    [
      '-mcpu=cortex-m4',
      '-mthumb',
      '-O2',
      '-g',
      '-ffreestanding',
      '-nostdlib',
      // No C library: keep GCC from turning copy/clear loops into memcpy/memset calls.
      '-fno-tree-loop-distribute-patterns',
      '-Wall',
      '-Wextra',
      '-Werror',
      // sections.ld is INCLUDEd by the chip script and found through the library path.
      '-L',
      here,
      ...defines.map((d) => `-D${d}`),
      ...[here, ...extraDirs].flatMap((d) => ['-I', d]),
      '-T',
      join(here, `${chip}.ld`),
      join(here, 'startup.c'),
      ...mains,
      '-o',
      tmp,
    ],
    { encoding: 'utf8' },
  );
  if (r.error) {
    return {
      ok: false,
      error: `${COMPILER} not runnable (${r.error.message}); install gcc-arm-none-eabi`,
    };
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    return { ok: false, error: `nrf52 bare-metal build failed:\n${r.stderr}` };
  }
  renameSync(tmp, elf);
  return { ok: true, value: elf };
}
