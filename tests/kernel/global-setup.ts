/**
 * Builds the kernel and apps once for the whole kernel suite, for every board the suite boots.
 *
 * Runs `node scripts/kernel.mjs build --board <board>` (which calls scripts/apps.mjs) for
 * mps2-an386 (booted in QEMU) and the nRF boards (booted in Capsule Studio's emulator) and hands
 * the results to the test files through `inject('kernelImage')` (mps2-an386) and
 * `inject('kernelImages')` (all boards). A failed build does not
 * abort the run: suites that need no image (TCB report, TakeCell cost) still run, and every
 * QEMU test fails with the build's own message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { BOARD_NAMES, BOARDS as REGISTRY } from '../../emulator/boards/registry';

export const BOARD = 'mps2-an386';
/** Every board the suite builds (the board registry's): QEMU's, then the emulated nRF boards. */
export const BOARDS = BOARD_NAMES;
/** Bootloader boards (their build writes bootloader.elf, kernel.elf after it and image.hex). */
export const BOOTLOADER_BOARDS: readonly string[] = REGISTRY.flatMap((b) =>
  b.bootloader?.build ? [b.bootloader.build] : [],
);

export interface KernelImage {
  ok: boolean;
  problem?: string;
  dir: string;
  kernelElf: string;
  appsBin: string;
  seconds: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    kernelImage: KernelImage;
    kernelImages: Record<string, KernelImage>;
  }
}

export function buildBoard(root: string, board: string, bootloader = false): KernelImage {
  const dir = join(root, 'kernel', 'target', 'images', board);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['scripts/kernel.mjs', 'build', '--board', board], {
    cwd: root,
    encoding: 'utf8',
    timeout: 280_000,
  });
  const image: KernelImage = {
    ok: r.status === 0,
    dir,
    kernelElf: join(dir, 'kernel.elf'),
    appsBin: join(dir, 'apps.bin'),
    seconds: (Date.now() - started) / 1000,
  };
  if (!image.ok) {
    const tail = `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim().split('\n').slice(-25);
    image.problem = `kernel build for ${board} failed (exit ${r.status}):\n${tail.join('\n')}`;
  } else if (bootloader) {
    if (!existsSync(join(dir, 'image.hex'))) {
      image.ok = false;
      image.problem = `bootloader build succeeded but ${join(dir, 'image.hex')} is missing`;
    }
  } else if (!existsSync(image.kernelElf) || !existsSync(image.appsBin)) {
    image.ok = false;
    image.problem = `kernel build succeeded but ${image.kernelElf} or ${image.appsBin} is missing`;
  }
  return image;
}

export default function setup(project: TestProject): void {
  const root = resolve(__dirname, '..', '..');
  const images: Record<string, KernelImage> = {};
  for (const board of BOARDS) images[board] = buildBoard(root, board);
  for (const board of BOOTLOADER_BOARDS) images[board] = buildBoard(root, board, true);
  project.provide('kernelImage', images[BOARD]!);
  project.provide('kernelImages', images);
}
