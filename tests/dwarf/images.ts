/**
 * The images the DWARF checks run on: the kernels the global setup built, every app ELF of the
 * mps2-an386 build (from its apps.json), and the mixed DWARF 4/5 C fixture rebuilt from source.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
// @ts-expect-error plain JavaScript build script without type declarations.
import { buildMixedElf } from '../../emulator/formats/dwarf/fixtures/build.mjs';
import type { AppManifestEntry } from '../../emulator/formats/dwarf';

export interface TestImage {
  label: string;
  path: string;
}

export interface AppsJson {
  board: string;
  appsStart: number;
  apps: (AppManifestEntry & { elf: string; tbf: string })[];
}

export function kernelElf(board: string): string {
  const image = inject('dwarfImages')[board];
  if (!image) throw new Error(`no image was built for ${board}`);
  if (!image.ok) throw new Error(image.problem ?? `the ${board} build failed`);
  return image.kernelElf;
}

export function appsJson(board: string): AppsJson {
  const image = inject('dwarfImages')[board]!;
  return JSON.parse(readFileSync(join(image.dir, 'apps.json'), 'utf8')) as AppsJson;
}

/** Every image of the checks: kernels, the apps of the mps2-an386 build, the C fixture. */
export function allImages(): TestImage[] {
  const out: TestImage[] = [
    { label: 'kernel mps2-an386', path: kernelElf('mps2-an386') },
    { label: 'kernel nrf52840dk', path: kernelElf('nrf52840dk') },
  ];
  for (const app of appsJson('mps2-an386').apps) {
    if (!existsSync(app.elf)) throw new Error(`apps.json names ${app.elf}, which does not exist`);
    out.push({ label: `app ${app.name}`, path: app.elf });
  }
  out.push({ label: 'C fixture (DWARF 4 + 5)', path: buildMixedElf() as string });
  return out;
}
