/**
 * Boots a kernel image in Capsule Studio's own emulator (the nRF boards) with the same
 * interface the QEMU runner offers, so one test body checks both: the transcript, the process
 * console, faults and the fuzzer behave the same on mps2-an386 under QEMU and on the emulated
 * nRF52840-DK / micro:bit v2.
 *
 * The image is programmed as a flasher would (kernel ELF plus apps.bin at the apps start, or
 * one Intel HEX file). The machine runs in this process through the emulator's one run loop
 * (emulator/session/runner.ts, the one the CLI and the IDE use), which yields to the event loop
 * between slices, so `waitFor` and `type` interleave with it. By default it is paced to the
 * wall clock, as QEMU with -icount runs its board (a test that types while an app ticks sees
 * the same app states on both); `pace: 'fast'` runs flat out, skipping idle time. Either way a
 * kernel asleep with its console armed waits for typed input instead of ending.
 *
 * Usage:
 *   const run = bootEmulator({ machine: 'nrf52840dk', kernelElf, appsBin });
 *   await run.waitFor(/hello: Hello, World!/);
 */
import { readFileSync } from 'node:fs';
import { findBoard } from '../../emulator/boards/registry';
import { nodeScheduler } from '../../emulator/node/node-scheduler';
import { Runner } from '../../emulator/session/runner';
import {
  createSession,
  type EmulatorSession,
  type ImageFile,
} from '../../emulator/session/session';
import { OutputLog } from './output-log';
import type { QemuRun } from './qemu';

/** The emulator machine of a kernel board (from the board registry), or undefined. */
export function machineOfBoard(board: string): string | undefined {
  const found = findBoard(board);
  return found.ok ? found.value.board.machine : undefined;
}

/** How far virtual time may trail the wall clock before the debt is dropped. */
const MAX_LAG_SECONDS = 0.05;

export interface EmulatorRun extends QemuRun {
  /** Virtual seconds since boot. */
  readonly virtualSeconds: () => number;
  readonly session: EmulatorSession;
  /** Wakes the runner after the test drove a pin (an input it does not see). */
  nudge(): void;
}

export function bootEmulator(opts: {
  machine: string;
  kernelElf?: string;
  appsBin?: string;
  appsStart?: number;
  hex?: string;
  pace?: 'realtime' | 'fast';
  /** More files to load after the others, as the CLI loads its arguments (e.g. `app.tab`). */
  files?: ImageFile[];
}): EmulatorRun {
  const created = createSession({ machine: opts.machine });
  if (!created.ok) throw new Error(created.error);
  const session = created.value;
  const files: ImageFile[] = [];
  if (opts.hex) files.push({ name: opts.hex, bytes: new Uint8Array(readFileSync(opts.hex)) });
  if (opts.kernelElf)
    files.push({ name: opts.kernelElf, bytes: new Uint8Array(readFileSync(opts.kernelElf)) });
  if (opts.appsBin)
    files.push({
      name: opts.appsBin,
      bytes: new Uint8Array(readFileSync(opts.appsBin)),
      address: opts.appsStart ?? 0x40000,
    });
  files.push(...(opts.files ?? []));
  const log = new OutputLog();
  const decoder = new TextDecoder('latin1');
  let pending: number[] = [];
  session.on((e) => {
    if (e.kind === 'uart' && e.index === 0) pending.push(e.byte);
    else if (e.kind === 'diagnostic') log.append(`[emulator] ${e.message}\n`);
  });
  const loaded = session.loadFiles(files);
  if (!loaded.ok) throw new Error(loaded.error);

  const flush = (): void => {
    if (pending.length) {
      log.append(decoder.decode(Uint8Array.from(pending)).replace(/\r/g, ''));
      pending = [];
    }
  };
  const runner = new Runner(session, {
    scheduler: nodeScheduler,
    pace: opts.pace ?? 'realtime',
    // The tests type into UART0 and press buttons.
    inputs: { consoles: [0], buttons: true, debugger: false },
    sliceInstructions: 500_000,
    // Behind the wall clock (a loaded machine), drop the debt beyond 50 ms instead of catching
    // up in one burst, which would run seconds of virtual time (all idle, so nearly free)
    // before a test's input arrives. QEMU's -icount behaves the same way.
    maxLagMs: MAX_LAG_SECONDS * 1000,
    afterSlice: flush,
  });
  const done = runner.run().then(
    (outcome) => {
      flush();
      if (outcome.kind !== 'interrupted') log.end(`emulator stopped: ${JSON.stringify(outcome)}`);
    },
    (e: unknown) => log.end(`emulator crashed: ${(e as Error).stack ?? String(e)}`),
  );

  return {
    session,
    output: () => log.text,
    virtualSeconds: () => session.virtualSeconds,
    waitFor: (pattern, timeoutMs, from) => log.waitFor(pattern, timeoutMs, from),
    async type(input) {
      for (const ch of input) {
        session.sendUart(0, new TextEncoder().encode(ch));
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    nudge() {
      runner.wake();
    },
    async stop() {
      runner.stop();
      await done;
    },
  };
}
