/**
 * Host tools the emulator's Node side runs (QEMU, GDB, binutils), found on PATH, with the Debian
 * package that provides each when one is missing.
 *
 * Every place that spawns one of these asks `findTool` first, so a missing tool is an error that
 * names the package to install ("install the Debian package qemu-system-arm") instead of a bare
 * ENOENT from `spawn`. scripts/setup.mjs installs the same packages on Debian.
 *
 * @example
 *   const qemu = findTool('qemu-system-arm');
 *   if (!qemu.ok) return qemu; // "qemu-system-arm is not installed: install the Debian package ..."
 *   spawn(qemu.value, args);
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { err, ok, type Result } from '../core/result';

/** Tool -> the Debian package that installs it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'qemu-system-arm': 'qemu-system-arm',
  'gdb-multiarch': 'gdb-multiarch',
  'arm-none-eabi-as': 'binutils-arm-none-eabi',
  'arm-none-eabi-ld': 'binutils-arm-none-eabi',
  'arm-none-eabi-objdump': 'binutils-arm-none-eabi',
  'arm-none-eabi-readelf': 'binutils-arm-none-eabi',
  'arm-none-eabi-gcc': 'gcc-arm-none-eabi',
  'llvm-dwarfdump-14': 'llvm-14',
  openocd: 'openocd',
  socat: 'socat',
};

/** The message for a tool that is not on PATH. */
export function missingToolMessage(tool: string): string {
  const pkg = TOOL_PACKAGES[tool];
  return pkg
    ? `${tool} is not installed (not found on PATH): install the Debian package '${pkg}' (apt-get install ${pkg})`
    : `${tool} is not installed (not found on PATH)`;
}

/** The path of `tool` on PATH (an absolute or relative path is checked as given). */
export function findTool(tool: string, env: NodeJS.ProcessEnv = process.env): Result<string> {
  const candidates = tool.includes('/')
    ? [tool]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter((d) => d !== '')
        .flatMap((d) =>
          process.platform === 'win32' ? [join(d, `${tool}.exe`), join(d, tool)] : [join(d, tool)],
        );
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return ok(c);
    } catch {
      // not here; keep looking
    }
  }
  return err(missingToolMessage(tool));
}
