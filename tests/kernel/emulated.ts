/**
 * Boots a kernel image in Capsule Studio's own emulator (the nRF boards) with the same
 * interface the QEMU runner offers, so one test body checks both: the transcript, the process
 * console, faults and the fuzzer behave the same on mps2-an386 under QEMU and on the emulated
 * nRF52840-DK / micro:bit v2.
 *
 * The image is programmed as a flasher would (kernel ELF plus apps.bin at the apps start, or
 * one Intel HEX file). The machine runs in this process in slices that yield to the event loop,
 * so `waitFor` and `type` interleave with it. By default it is paced to the wall clock, as QEMU
 * with -icount runs its board (a test that types while an app ticks sees the same app states on
 * both); `pace: 'fast'` runs flat out, skipping idle time, and waits for input when the kernel
 * sleeps with nothing scheduled.
 *
 * Usage:
 *   const run = bootEmulator({ machine: 'nrf52840dk', kernelElf, appsBin });
 *   await run.waitFor(/hello: Hello, World!/);
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createSession, type ImageFile } from '../../emulator/session/session';
import { OutputLog } from './output-log';
import type { QemuRun } from './qemu';

/** Kernel board name (kernel/boards/<board>) -> emulator machine name. */
export const MACHINE_OF_BOARD: Record<string, string> = {
  nrf52840dk: 'nrf52840dk',
  microbit_v2: 'microbit-v2',
};

/** How far virtual time may trail the wall clock before the debt is dropped. */
const MAX_LAG_SECONDS = 0.05;

export interface EmulatorRun extends QemuRun {
  /** Virtual seconds since boot. */
  readonly virtualSeconds: () => number;
  readonly session: NonNullable<ReturnType<typeof createSession> & { ok: true }>['value'];
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
  let running = true;
  const decoder = new TextDecoder('latin1');
  let pending: number[] = [];
  session.on((e) => {
    if (e.kind === 'uart' && e.index === 0) pending.push(e.byte);
    else if (e.kind === 'diagnostic') log.append(`[emulator] ${e.message}\n`);
  });
  const loaded = session.loadFiles(files);
  if (!loaded.ok) throw new Error(loaded.error);

  let wake: (() => void) | undefined;
  const freq = session.core.clock.frequencyHz;
  const start = { wall: performance.now(), cycle: session.cycles };
  const flush = (): void => {
    if (pending.length) {
      log.append(decoder.decode(Uint8Array.from(pending)).replace(/\r/g, ''));
      pending = [];
    }
  };
  const sleep = (ms: number): Promise<void> =>
    new Promise<void>((res) => {
      const t = setTimeout(res, ms);
      wake = () => {
        clearTimeout(t);
        res();
      };
    }).then(() => {
      wake = undefined;
    });
  const loop = async (): Promise<void> => {
    while (running) {
      let r;
      if (opts.pace === 'fast') {
        r = session.runSlice({ instructions: 500_000 });
      } else {
        let target = start.cycle + ((performance.now() - start.wall) / 1000) * freq;
        if (target - session.cycles > MAX_LAG_SECONDS * freq) {
          // Behind the wall clock (a loaded machine): drop the debt instead of catching up in
          // one burst, which would run seconds of virtual time (all idle, so nearly free)
          // before a test's input arrives. QEMU's -icount behaves the same way.
          start.wall = performance.now();
          start.cycle = session.cycles;
          target = session.cycles + MAX_LAG_SECONDS * freq;
        }
        r = session.runPaced(target, 500_000);
        if (r.kind === 'limit' && session.cycles >= target) {
          // Ahead of the wall clock: wait for it (or for input).
          flush();
          await sleep(Math.min(20, Math.max(1, ((session.nextEventCycle - target) / freq) * 1000)));
          continue;
        }
      }
      flush();
      if (r.kind === 'idle') {
        // Asleep with nothing scheduled: only input can wake the board.
        await sleep(1e9);
        continue;
      }
      if (r.kind !== 'limit') {
        log.end(`emulator stopped: ${JSON.stringify(r)}`);
        return;
      }
      await new Promise((res) => setImmediate(res));
    }
  };
  const done = loop().catch((e: unknown) => {
    log.end(`emulator crashed: ${(e as Error).stack ?? String(e)}`);
  });

  return {
    session,
    output: () => log.text,
    virtualSeconds: () => session.virtualSeconds,
    waitFor: (pattern, timeoutMs, from) => log.waitFor(pattern, timeoutMs, from),
    async type(input) {
      for (const ch of input) {
        session.sendUart(0, new TextEncoder().encode(ch));
        wake?.();
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    nudge() {
      wake?.();
    },
    async stop() {
      running = false;
      wake?.();
      await done;
    },
  };
}
