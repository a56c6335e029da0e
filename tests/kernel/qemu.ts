/**
 * Boots a kernel image in qemu-system-arm (mps2-an386) and drives its UART for the kernel tests.
 *
 * The serial port is QEMU's stdio: everything the kernel and apps print accumulates in
 * `output`, `waitFor` resolves when a pattern appears (or rejects with the transcript so far
 * when it does not in time), and `type` sends characters to the UART as a user would. `-icount`
 * ties virtual time to executed instructions, so alarms and timeslices behave the same on a
 * loaded machine; the time limits below are in real seconds and generous for that reason.
 * Helpers here also compose test images from the built TBFs (scripts/apps.mjs does the layout).
 *
 * Usage:
 *   const q = bootQemu({ kernelElf, appsBin });
 *   await q.waitFor(/hello: Hello, World!/);
 *   q.type('list\r');
 *   await q.stop();
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
// @ts-expect-error scripts/apps.mjs is plain JavaScript without type declarations.
import * as appsScript from '../../scripts/apps.mjs';
import { parseTbfHeader, tbfChecksum } from '../../emulator/formats/tbf';
import { findTool } from '../../emulator/node/tools';
import { bootEmulator, machineOfBoard } from './emulated';
import { OutputLog } from './output-log';

export interface AppsManifest {
  board: string;
  appsStart: number;
  apps: {
    name: string;
    tbf: string;
    /** The app as a TAB (tar: metadata.toml + one TBF per architecture). */
    tab: string;
    flash: number;
    /** RAM address; null for position-independent apps. */
    ram: number | null;
    minimumRamSize: number;
    positionIndependent?: boolean;
    /** False for apps built beside the image but not in apps.bin (PIC and test-only apps). */
    inImage?: boolean;
  }[];
}

export interface QemuRun {
  /** Everything QEMU's serial port has printed so far (CR removed). */
  readonly output: () => string;
  /** Resolves with the match once `pattern` appears in the output after `from` (default 0). */
  waitFor(pattern: RegExp, timeoutMs?: number, from?: number): Promise<RegExpMatchArray>;
  /** Types `text` into the UART, one character at a time as a terminal would. */
  type(text: string): Promise<void>;
  stop(): Promise<void>;
}

/** The image the global setup built for `board`; throws the build's message when there is none. */
export function kernelImage(board = 'mps2-an386'): {
  board: string;
  kernelElf: string;
  appsBin: string;
  dir: string;
  manifest: AppsManifest;
} {
  const image = board === 'mps2-an386' ? inject('kernelImage') : inject('kernelImages')[board];
  if (!image) throw new Error(`no kernel image was built for board ${board}`);
  if (!image.ok) throw new Error(image.problem ?? 'kernel image not built');
  const manifest = JSON.parse(readFileSync(join(image.dir, 'apps.json'), 'utf8')) as AppsManifest;
  return { board, kernelElf: image.kernelElf, appsBin: image.appsBin, dir: image.dir, manifest };
}

/**
 * Boots a board's kernel with `appsBin` at its apps start: mps2-an386 in QEMU, the nRF boards in
 * Capsule Studio's emulator. Both runs offer the same interface. `pace` applies to the emulator
 * (paced to the wall clock by default, like QEMU; 'fast' skips idle time).
 */
export function bootBoard(
  board: string,
  opts: { kernelElf: string; appsBin: string; pace?: 'realtime' | 'fast' },
): QemuRun {
  if (board === 'mps2-an386') return bootQemu({ kernelElf: opts.kernelElf, appsBin: opts.appsBin });
  const machine = machineOfBoard(board);
  if (!machine) throw new Error(`no emulator machine for board ${board}`);
  return bootEmulator({ machine, ...opts });
}

/** Boots `kernelElf` with `appsBin` at the apps start, or only what `extraArgs` loads. */
export function bootQemu(opts: {
  kernelElf?: string;
  appsBin?: string;
  extraArgs?: string[];
}): QemuRun {
  const args = [
    '-M',
    'mps2-an386',
    '-nographic',
    '-icount',
    'shift=0',
    ...(opts.kernelElf ? ['-kernel', opts.kernelElf] : []),
    ...(opts.appsBin ? ['-device', `loader,file=${opts.appsBin},addr=0x40000`] : []),
    ...(opts.extraArgs ?? []),
  ];
  const log = new OutputLog();
  const qemu = findTool('qemu-system-arm');
  if (!qemu.ok) {
    log.end(qemu.error);
    return {
      output: () => log.text,
      waitFor: (pattern, timeoutMs, from) => log.waitFor(pattern, timeoutMs, from),
      type: async () => undefined,
      stop: async () => undefined,
    };
  }
  const child: ChildProcessWithoutNullStreams = spawn(qemu.value, args, { stdio: 'pipe' });
  child.stdout.on('data', (d: Buffer) => log.append(d.toString('latin1').replace(/\r/g, '')));
  child.stderr.on('data', (d: Buffer) => log.append(`[qemu stderr] ${d.toString('latin1')}`));
  child.on('exit', (code, signal) => log.end(`QEMU exited (code ${code}, signal ${signal})`));
  child.on('error', (e) => log.end(`QEMU could not start: ${e.message}`));

  return {
    output: () => log.text,
    waitFor: (pattern, timeoutMs, from) => log.waitFor(pattern, timeoutMs, from),
    async type(input) {
      for (const ch of input) {
        child.stdin.write(ch);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    stop() {
      return new Promise((resolve) => {
        if (log.ended) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      });
    },
  };
}

/** One TBF of the built image, as bytes, with the flash address it was linked for. */
export function builtTbf(
  manifest: AppsManifest,
  name: string,
): { address: number; bytes: Uint8Array } {
  const app = manifest.apps.find((a) => a.name === name);
  if (!app) throw new Error(`no app named ${name} in the built image`);
  return { address: app.flash, bytes: new Uint8Array(readFileSync(app.tbf)) };
}

/** Writes an apps.bin holding `tbfs` at their addresses (padding TBFs between); returns its path. */
export async function composeImage(
  manifest: AppsManifest,
  tbfs: { address: number; bytes: Uint8Array }[],
  label: string,
): Promise<string> {
  const bin = (await appsScript.composeApps(manifest.appsStart, tbfs)) as Uint8Array;
  // Beside the built image (build output, ignored by git), overwritten by the next run.
  const dir = join(kernelImage(manifest.board).dir, 'test-images');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${label}.bin`);
  writeFileSync(file, bin);
  return file;
}

/** A copy of `tbf` with header fields changed and the checksum recomputed (a "valid" header
 * carrying bad values), or left stale when `keepChecksum` is set (a corrupt header). */
export function editTbf(
  tbf: Uint8Array,
  edit: (view: DataView) => void,
  keepChecksum = false,
): Uint8Array {
  const copy = tbf.slice();
  const view = new DataView(copy.buffer);
  edit(view);
  if (!keepChecksum) {
    const headerSize = view.getUint16(2, true);
    view.setUint32(12, tbfChecksum(copy.subarray(0, headerSize)), true);
  }
  return copy;
}

/**
 * A copy of `tbf` whose parameter block is changed: the app keeps 32-bit words after an
 * 8-byte ASCII `marker` in its flash (the fuzzer's FUZZ_PARAMS: "FUZZPARM", calls, seed), read
 * at run time, so a test sets them without rebuilding. The binary is not covered by the TBF
 * header's checksum, so the header stays valid.
 */
export function withParams(tbf: Uint8Array, marker: string, words: number[]): Uint8Array {
  const copy = tbf.slice();
  const key = new TextEncoder().encode(marker);
  const at = Buffer.from(copy.buffer, copy.byteOffset, copy.length).indexOf(Buffer.from(key));
  if (at < 0) throw new Error(`no parameter block '${marker}' in the TBF`);
  const view = new DataView(copy.buffer, copy.byteOffset);
  words.forEach((w, i) => view.setUint32(at + key.length + 4 * i, w >>> 0, true));
  return copy;
}

/**
 * The fuzzer's run: FUZZ_SEED and FUZZ_CALLS from the environment when set (to replay a run),
 * else a fresh random seed and `calls`. Printed, so any failure names what replays it.
 */
export function fuzzPlan(calls: number): { seed: number; calls: number; replay: string } {
  const seedText = process.env.FUZZ_SEED;
  const seed = seedText ? Number(seedText) >>> 0 : randomInt(1, 2 ** 32 - 1);
  const n = process.env.FUZZ_CALLS ? Number(process.env.FUZZ_CALLS) : calls;
  const hexSeed = `0x${seed.toString(16).padStart(8, '0')}`;
  return { seed, calls: n, replay: `FUZZ_SEED=${hexSeed} FUZZ_CALLS=${n}` };
}

/** The fuzzer's TBF of the built image with `plan`'s count and seed patched in. */
export function fuzzerTbf(
  manifest: AppsManifest,
  plan: { seed: number; calls: number },
): { address: number; bytes: Uint8Array } {
  const built = builtTbf(manifest, 'fuzzer');
  return { ...built, bytes: withParams(built.bytes, 'FUZZPARM', [plan.calls, plan.seed]) };
}

/** Offset of the Program TLV's value inside `tbf` (for edits of its fields). */
export function programTlvValueOffset(tbf: Uint8Array): number {
  const h = parseTbfHeader(tbf);
  if (!h.ok) throw new Error(h.error.message);
  let at = 16;
  const view = new DataView(tbf.buffer, tbf.byteOffset);
  while (at < h.value.headerSize) {
    const type = view.getUint16(at, true);
    const length = view.getUint16(at + 2, true);
    if (type === 9) return at + 4;
    at += 4 + ((length + 3) & ~3);
  }
  throw new Error('no Program TLV');
}

/** Lines of `text` that mention `word` (for readable assertion messages). */
export function linesWith(text: string, word: string | RegExp): string[] {
  return text
    .split('\n')
    .filter((l) => (typeof word === 'string' ? l.includes(word) : word.test(l)));
}

/** Lines that would mean the kernel itself panicked (apps' own panics are theirs). */
export function kernelPanics(text: string): string[] {
  return text.split('\n').filter((l) => /panic/i.test(l) && !/^\S+: |app panic/.test(l));
}

/** All fault reports the kernel printed, parsed: process name and the address, if any. */
export function faultReports(text: string): { name: string; address?: number; line: string }[] {
  const out: { name: string; address?: number; line: string }[] = [];
  for (const line of linesWith(text, 'process fault:')) {
    const m = /process fault: '([^']+)'.*?(?:at address|to bad address) (0x[0-9a-f]+)/.exec(line);
    const n = /process fault: '([^']+)'/.exec(line);
    if (m) out.push({ name: m[1]!, address: parseInt(m[2]!, 16), line });
    else if (n) out.push({ name: n[1]!, line });
  }
  return out;
}
