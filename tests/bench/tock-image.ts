/**
 * The Tock benches' common start: the built nRF52840-DK image (kernel, apps, manifest), run in
 * the emulator worker with the host's TockService over it (as the IDE does), or booted in this
 * thread's own session (the in-process A/Bs).
 *
 * @example
 *   const img = builtTockImage();
 *   const { target, tock } = await startTockWorker(img);
 *   const session = bootTockSession(img, 2_000_000);
 *   await warmUp(target, 40_000_000); // halted past boot and the translator's first compiles
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startEmulatorWorker, type WorkerOptions } from '../../main/host/emulator-worker-target';
import { TockService } from '../../main/host/tock-service';
import { createSession } from '../../emulator/session/session';
import type { Result } from '../../emulator/core/result';
import type { StopInfo } from '../../emulator/debug/target';

export interface TockImage {
  elf: Uint8Array;
  apps: Uint8Array;
  manifest: { appsStart: number; apps: { name: string; ram: number | null; inImage?: boolean }[] };
}

/** Where `node scripts/kernel.mjs build --board nrf52840dk` puts the image. */
export const NRF_DIR = path.resolve(
  import.meta.dirname,
  '..',
  '..',
  'kernel',
  'target',
  'images',
  'nrf52840dk',
);

/** The built image, or the bench ends (status 2) naming the command that builds it. */
export function builtTockImage(): TockImage {
  if (!existsSync(path.join(NRF_DIR, 'kernel.elf'))) {
    console.error(
      `no nRF52840-DK image in ${NRF_DIR}: node scripts/kernel.mjs build --board nrf52840dk`,
    );
    process.exit(2);
  }
  return tockImage(NRF_DIR);
}

export function tockImage(dir: string): TockImage {
  return {
    elf: new Uint8Array(readFileSync(path.join(dir, 'kernel.elf'))),
    apps: new Uint8Array(readFileSync(path.join(dir, 'apps.bin'))),
    manifest: JSON.parse(
      readFileSync(path.join(dir, 'apps.json'), 'utf8'),
    ) as TockImage['manifest'],
  };
}

/**
 * The image in the emulator worker (pace 'fast', as the IDE runs it), with a TockService;
 * `options` picks another worker entry (bench tock-timeline-split's timed one).
 */
export async function startTockWorker(img: TockImage, options: WorkerOptions = {}) {
  const started = await startEmulatorWorker(
    {
      machine: 'nrf52840dk',
      board: 'nrf52840dk',
      files: [
        { name: 'kernel.elf', bytes: img.elf.slice() },
        { name: 'apps.bin', bytes: img.apps.slice(), address: img.manifest.appsStart },
      ],
      target: { pace: 'fast' },
    },
    options,
  );
  if (!started.ok) throw new Error(started.error);
  const target = started.value;
  const tock = new TockService(() => ({
    target,
    kernel: { name: 'kernel.elf', bytes: img.elf },
    apps: img.manifest.apps,
  }));
  return { target, tock };
}

/** The image in a session on this thread, booted and warmed up by ten slices. */
export function bootTockSession(img: TockImage, instructions: number) {
  const s = createSession({ machine: 'nrf52840dk' });
  if (!s.ok) throw new Error(s.error);
  const session = s.value;
  const loaded = session.loadFiles([
    { name: 'kernel.elf', bytes: img.elf },
    { name: 'apps.bin', bytes: img.apps, address: img.manifest.appsStart },
  ]);
  if (!loaded.ok) throw new Error(loaded.error);
  for (let i = 0; i < 10; i++) session.runSlice({ instructions });
  return session;
}

/**
 * Runs the worker's machine until it has executed `instructions` in all, and leaves it halted.
 * The benches measure from the same instruction on in every configuration: a wall-time warm-up
 * left a slower configuration earlier in the kernel's boot, where the translator still compiles
 * most of what runs (V8's compiler threads are charged to the process), so whatever slowed it
 * was counted again as compile time.
 */
export async function warmUp(
  target: { resume(): Promise<unknown>; halt(): Promise<Result<StopInfo>> },
  instructions: number,
): Promise<StopInfo> {
  for (;;) {
    await target.resume();
    await new Promise<void>((r) => setTimeout(r, 200));
    const h = await target.halt();
    if (!h.ok) throw new Error(h.error);
    if ((h.value.instructions ?? 0) >= instructions) return h.value;
  }
}
