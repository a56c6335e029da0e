/**
 * A built board's kernel and apps on an in-process emulator target, with its console captured:
 * the start-up the kernel suites that read the running kernel through DWARF share.
 *
 * @example
 *   const i = kernelImage('nrf52840dk');
 *   const b = emulatedBoard(i, new Uint8Array(readFileSync(i.kernelElf)));
 *   unwrap(await b.target.resume());
 *   await b.waitFor(/process 'hello' exited/);
 */
import { readFileSync } from 'node:fs';
import { createEmulatorTarget, type EmulatorTarget } from '../../emulator/debug/emulator-target';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { nodeScheduler } from '../../emulator/node/scheduler';
import type { kernelImage } from './qemu';

export interface EmulatedBoard {
  target: EmulatorTarget;
  /** Everything the console printed so far. */
  output(): string;
  /** Waits until `pattern` matches the console output from offset `from` on. */
  waitFor(pattern: RegExp, from?: number, ms?: number): Promise<void>;
}

/** The target (not yet resumed) for the board `image` was built for, with `kernel` (its ELF's bytes) and its apps. */
export function emulatedBoard(
  image: ReturnType<typeof kernelImage>,
  kernel: Uint8Array,
  defaultWaitMs = 30_000,
): EmulatedBoard {
  const target = unwrap(
    createEmulatorTarget(
      {
        machine: image.board,
        files: [
          { name: 'kernel.elf', bytes: kernel },
          {
            name: 'apps.bin',
            bytes: new Uint8Array(readFileSync(image.appsBin)),
            address: image.manifest.appsStart,
          },
        ],
      },
      nodeScheduler,
    ),
  );
  let out = '';
  target.onEvent((e) => {
    if (e.kind === 'console') out += new TextDecoder().decode(e.bytes);
  });
  return {
    target,
    output: () => out,
    async waitFor(pattern, from = 0, ms = defaultWaitMs) {
      const until = Date.now() + ms;
      while (!pattern.test(out.slice(from))) {
        if (Date.now() > until)
          throw new Error(`no ${pattern} on the console; it printed:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
