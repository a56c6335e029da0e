/**
 * Builds the kernels (and their apps) the DWARF checks read: mps2-an386 (also booted in QEMU
 * for the GDB comparison) and nrf52840dk (the benchmark's image). Same build as the kernel
 * suite's (scripts/kernel.mjs build), so after that suite ran this is a quick no-op build.
 */
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildBoard, type KernelImage } from '../kernel/global-setup';

export const DWARF_BOARDS = ['mps2-an386', 'nrf52840dk'] as const;

declare module 'vitest' {
  export interface ProvidedContext {
    dwarfImages: Record<string, KernelImage>;
  }
}

export default function setup(project: TestProject): void {
  const root = resolve(__dirname, '..', '..');
  const images: Record<string, KernelImage> = {};
  for (const board of DWARF_BOARDS) images[board] = buildBoard(root, board);
  project.provide('dwarfImages', images);
}
