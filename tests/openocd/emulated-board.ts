/**
 * An emulated nRF52840-DK as real OpenOCD sees a board: the emulator's CLI in a child process
 * with its debug port on remote_bitbang (`--remote-bitbang 0`, a free loopback port), its
 * console UART on stdout; plus the test firmware (firmware/flashed.c, images A and B) built
 * with the bare-metal demo's start-up code and linker script.
 *
 * @example
 *   const images = buildFlashedImages();
 *   const board = await startEmulatedBoard(images.value.a);
 *   await board.waitForOutput('flashed image A');
 *   openocdForEmulator(board.port, resourcesDir);
 *   await board.stop();
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { err, ok, type Result } from '../../emulator/core/result';
import { buildBaremetal } from '../programs/nrf52-baremetal/build';

const here = fileURLToPath(new URL('.', import.meta.url));
export const REPO = resolve(here, '../..');
export const RESOURCES = resolve(REPO, 'resources');

export interface FlashedImages {
  /** ELF of image A ("flashed image A"). */
  a: string;
  /** ELF of image B. */
  b: string;
  /** Intel HEX of image B (what the IDE's build produces for a board). */
  bHex: string;
}

/** Builds images A and B (cached by the bare-metal builder); B also as Intel HEX. */
export function buildFlashedImages(): Result<FlashedImages> {
  const program = { name: 'flashed', sources: [resolve(here, 'firmware/flashed.c')] };
  const a = buildBaremetal('nrf52840', { program });
  if (!a.ok) return a;
  const b = buildBaremetal('nrf52840', { program, defines: ['IMAGE_B'] });
  if (!b.ok) return b;
  const bHex = b.value.replace(/\.elf$/, '.hex');
  const r = spawnSync('arm-none-eabi-objcopy', ['-O', 'ihex', b.value, bHex], { encoding: 'utf8' });
  if (r.status !== 0) return err(`objcopy failed: ${r.stderr || r.error?.message}`);
  return ok({ a: a.value, b: b.value, bHex });
}

export interface EmulatedBoard {
  /** The remote_bitbang port on 127.0.0.1. */
  readonly port: number;
  /** Console output so far. */
  output(): string;
  /** Resolves once the console has printed `text` (after `from` characters), else rejects. */
  waitForOutput(text: string, timeoutMs?: number, from?: number): Promise<void>;
  /** The emulator's stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

export async function startEmulatedBoard(elf: string): Promise<EmulatedBoard> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'emulator/node/cli.ts',
      '--machine',
      'nrf52840dk',
      '--remote-bitbang',
      '0',
      '--timeout',
      '300',
      elf,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let errText = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  const port = await new Promise<number>((res, rej) => {
    const t = setTimeout(
      () => rej(new Error(`emulator did not open its port:\n${errText}`)),
      60_000,
    );
    child.stderr!.on('data', (d: Buffer) => {
      errText += d.toString();
      const m = /remote_bitbang \(JTAG\) on 127\.0\.0\.1:(\d+)/.exec(errText);
      if (m) {
        clearTimeout(t);
        res(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      rej(new Error(`emulator exited (${code}):\n${errText}`));
    });
  });
  return {
    port,
    output: () => out,
    log: () => errText,
    waitForOutput: (text, timeoutMs = 30_000, from = 0) =>
      new Promise<void>((res, rej) => {
        const check = (): void => {
          if (out.indexOf(text, from) >= 0) {
            clearTimeout(t);
            waiters.delete(check);
            res();
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          rej(new Error(`no '${text}' on the console; it printed:\n${out}\nemulator:\n${errText}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}
