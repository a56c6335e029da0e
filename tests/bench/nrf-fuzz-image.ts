/**
 * The busy workload of bench:nrf's A/B and trace tools: the nrf52840dk kernel (built first, as
 * bench:nrf builds it) and an apps image holding the fuzzer app alone, composed at the
 * manifest's apps start.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { createSession, EmulatorSession } from '../../emulator/session/session';

/** A kernel and an apps image to load beside it. */
export interface KernelImage {
  /** The kernel ELF's bytes. */
  kernel: Uint8Array;
  /** The apps image and the address it loads at. */
  bin: Uint8Array;
  appsStart: number;
}

/** The nrf52840dk kernel with the fuzzer's TBF alone as its apps image. */
export type FuzzImage = KernelImage;

export async function nrfFuzzImage(): Promise<FuzzImage> {
  const root = resolve(import.meta.dirname, '..', '..');
  const built = spawnSync(
    process.execPath,
    ['scripts/kernel.mjs', 'build', '--board', 'nrf52840dk'],
    { cwd: root, encoding: 'utf8' },
  );
  if (built.status !== 0) throw new Error(`kernel build failed:\n${built.stderr}`);
  const dir = join(root, 'kernel/target/images/nrf52840dk');
  const manifest = JSON.parse(readFileSync(join(dir, 'apps.json'), 'utf8')) as {
    appsStart: number;
    apps: { name: string; tbf: string; flash: number }[];
  };
  const fuzzer = manifest.apps.find((a) => a.name === 'fuzzer');
  if (!fuzzer) throw new Error('no fuzzer app in the nrf52840dk image');
  // @ts-expect-error scripts/apps.mjs is plain JavaScript without type declarations.
  const apps = (await import('../../scripts/apps.mjs')) as {
    composeApps(start: number, tbfs: unknown[]): Promise<Uint8Array>;
  };
  const bin = await apps.composeApps(manifest.appsStart, [
    { address: fuzzer.flash, bytes: new Uint8Array(readFileSync(fuzzer.tbf)) },
  ]);
  return {
    kernel: new Uint8Array(readFileSync(join(dir, 'kernel.elf'))),
    bin,
    appsStart: manifest.appsStart,
  };
}

/**
 * A session made by `create` (this tree's `createSession`, or a revision's in an A/B) on the
 * nrf52840dk with the kernel and its apps image loaded (the fuzzer's, or a benchmark's own),
 * and the UART text printed so far.
 */
export function kernelSession(
  image: KernelImage,
  create: typeof createSession,
  options: { translate?: boolean } = {},
): { session: EmulatorSession; text: () => string } {
  const made = create({ machine: 'nrf52840dk', ...options });
  if (!made.ok) throw new Error(made.error);
  const session = made.value;
  let text = '';
  session.on((e) => {
    if (e.kind === 'uart') text += String.fromCharCode(e.byte);
  });
  const loaded = session.loadFiles([
    { name: 'kernel.elf', bytes: image.kernel },
    { name: 'apps.bin', bytes: image.bin, address: image.appsStart },
  ]);
  if (!loaded.ok) throw new Error(loaded.error);
  return { session, text: () => text };
}
