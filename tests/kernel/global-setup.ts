/**
 * Builds the kernel and apps once for the whole kernel suite.
 *
 * Runs `node scripts/kernel.mjs build --board mps2-an386` (which calls scripts/apps.mjs) and
 * hands the result to the test files through `inject('kernelImage')`. A failed build does not
 * abort the run: suites that need no image (TCB report, TakeCell cost) still run, and every
 * QEMU test fails with the build's own message.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

export const BOARD = 'mps2-an386';

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
  }
}

export default function setup(project: TestProject): void {
  const root = resolve(__dirname, '..', '..');
  const dir = join(root, 'kernel', 'target', 'images', BOARD);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['scripts/kernel.mjs', 'build', '--board', BOARD], {
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
    image.problem = `kernel build failed (exit ${r.status}):\n${tail.join('\n')}`;
  } else if (!existsSync(image.kernelElf) || !existsSync(image.appsBin)) {
    image.ok = false;
    image.problem = `kernel build succeeded but ${image.kernelElf} or ${image.appsBin} is missing`;
  }
  project.provide('kernelImage', image);
}
