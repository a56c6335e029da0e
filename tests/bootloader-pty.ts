/**
 * An emulated nRF52840-DK running our Tock bootloader, its console UART on a pseudo-terminal:
 * the stand-in for a real board plugged in over USB, for the kernel suite and the IDE's
 * end-to-end test.
 *
 * It runs the emulator's command line as a user would (`npm run emulator -- --machine
 * nrf52840dk --uart-pty [--press BUTTON1@0:D] image.hex`), reads the pty's path from its
 * stderr, and collects what the board prints (the CLI copies the UART to stdout as well).
 * Holding BUTTON1 through the reset keeps the bootloader running, as on the real DK.
 *
 * @example
 *   const board = await startEmulatedBootloader({ image, holdButtonSeconds: 0.5 });
 *   const link = await openSerialLink(board.path);
 *   ...
 *   await board.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '..');

export interface EmulatedBootloader {
  /** The pseudo-terminal the UART is on. */
  path: string;
  /** Everything the board has printed (latin1) and the emulator's stderr lines. */
  output(): string;
  stderr(): string;
  /** Waits until the output matches `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** Stops the emulator (SIGINT, then SIGKILL) and resolves once it is gone. */
  stop(): Promise<void>;
  readonly process: ChildProcess;
}

export async function startEmulatedBootloader(opts: {
  /** image.hex of the bootloader board (bootloader and kernel). */
  image: string;
  /** Hold BUTTON1 from reset for this long (virtual seconds); null: do not press it. */
  holdButtonSeconds: number | null;
  extraArgs?: string[];
}): Promise<EmulatedBootloader> {
  const args = ['--import', 'tsx', 'emulator/node/cli.ts', '--machine', 'nrf52840dk', '--uart-pty'];
  if (opts.holdButtonSeconds !== null) args.push('--press', `BUTTON1@0:${opts.holdButtonSeconds}`);
  args.push(...(opts.extraArgs ?? []), opts.image);
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    for (const w of waiters) w();
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const path = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no pty after 60 s; stderr:\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /console UART on (\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        done(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`the emulator exited (${code}) before opening its pty:\n${err}`));
    });
  });
  return {
    path,
    process: child,
    output: () => out,
    stderr: () => err,
    waitFor(re, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = (): void => {
          if (re.test(out)) {
            waiters.delete(check);
            clearTimeout(timer);
            done();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(
            new Error(
              `no ${re} in the board's output after ${timeoutMs} ms:\n${out.slice(-2000)}\nstderr:\n${err}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
