/**
 * Assembles lockstep programs with GNU binutils (arm-none-eabi-as + ld) into mps2-an386 ELFs.
 *
 * GNU as is an assembler independent of our decoder tables, so every program it builds also
 * cross-checks the core's decoding. Programs are cached by content hash under .cache/lockstep.
 * `disassembly` returns objdump's listing by address, used to show the last instructions
 * before a divergence.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '../../emulator/core/result';
import { findTool } from '../../emulator/node/tools';

const here = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = resolve(here, '../../.cache/lockstep');

/** Linker script: code at 0 (SSRAM1), data at 0x20000000 (SSRAM2&3), stack at its top. */
const LINK = `
MEMORY { CODE (rx) : ORIGIN = 0x00000000, LENGTH = 4M
         DATA (rw) : ORIGIN = 0x20000000, LENGTH = 1M }
ENTRY(reset_handler)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) *(.rodata*) } > CODE
  .data : { *(.data*) } > DATA
  .bss (NOLOAD) : { *(.bss*) } > DATA
  __stack_top = 0x20100000;
}
`;

/** The ELF's path, or what went wrong. */
export type AssembleResult = Result<string>;

export function assemble(name: string, source: string): AssembleResult {
  mkdirSync(CACHE_DIR, { recursive: true });
  const hash = createHash('sha256').update(source).update(LINK).digest('hex').slice(0, 16);
  const base = join(CACHE_DIR, `${name}-${hash}`);
  const elf = `${base}.elf`;
  if (existsSync(elf)) return { ok: true, value: elf };
  writeFileSync(`${base}.s`, source);
  writeFileSync(`${base}.ld`, LINK);
  const tool = findTool('arm-none-eabi-as');
  if (!tool.ok) return tool;
  const as = spawnSync(
    tool.value,
    ['-mcpu=cortex-m4', '-mthumb', '-mimplicit-it=never', `${base}.s`, '-o', `${base}.o`],
    {
      encoding: 'utf8',
    },
  );
  if (as.error) return { ok: false, error: `arm-none-eabi-as not runnable: ${as.error.message}` };
  if (as.status !== 0) return { ok: false, error: `assembling ${name} failed:\n${as.stderr}` };
  const ld = spawnSync('arm-none-eabi-ld', ['-T', `${base}.ld`, `${base}.o`, '-o', elf], {
    encoding: 'utf8',
  });
  if (ld.status !== 0) return { ok: false, error: `linking ${name} failed:\n${ld.stderr}` };
  return { ok: true, value: elf };
}

/** objdump's disassembly keyed by instruction address. */
export function disassembly(elf: string): Map<number, string> {
  const r = spawnSync('arm-none-eabi-objdump', ['-d', '--no-show-raw-insn', elf], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const out = new Map<number, string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^\s*([0-9a-f]+):\s+(.*)$/.exec(line);
    if (m) out.set(parseInt(m[1]!, 16), m[2]!.trim());
  }
  return out;
}
