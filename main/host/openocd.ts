/**
 * OpenOCD as the host runs it: where it is, how it is told which probe and chip to use, and
 * what its output means when something goes wrong.
 *
 * Why one file: the flasher (openocd-flasher.ts) and the debug target (openocd-target.ts) both
 * start `openocd` with a board's configuration and must tell the person the same things about
 * the same failures: OpenOCD missing or too old (naming the Debian package), no probe, a probe
 * another program holds, no permission on the USB device (the udev rule), access port
 * protection (the recover command), a target that does not halt. The classification reads
 * OpenOCD 0.12's own error lines; the lines themselves are kept for the log.
 *
 * A board is reached through its registry entry (`interface`, `transport`, `target`: the
 * nRF52840-DK's J-Link OB, the micro:bit's DAPLink) or, for the emulated chip, through
 * resources/openocd/emulated-nrf52.cfg over remote_bitbang on a loopback port.
 *
 * @example
 *   const cfg = openocdForBoard(findBoard('nrf52840dk').value.board);
 *   const tool = await findOpenocd();
 *   if (!tool.ok) show(tool.error.message); // "openocd is not installed ... 'openocd' ..."
 *   const r = await runOpenocd(tool.value, cfg.value, ['init', 'reset run', 'shutdown'], {});
 */
import { spawn } from 'node:child_process';
import { spawnTied } from './openocd-process';
import path from 'node:path';
import type { Board } from '../../emulator/boards/registry';
import { err, ok, type Result } from '../../emulator/core/result';
import { flashError, type FlashError } from '../../emulator/debug/flasher';
import { findTool, missingToolMessage } from '../../emulator/node/tools';
import { UDEV_RULES_FILE, udevRule } from './udev';

/** The oldest OpenOCD whose nrf5 driver and remote_bitbang we rely on. */
export const OPENOCD_MIN_VERSION: readonly [number, number] = [0, 11];

/** What to pass OpenOCD before `init` so it reaches one board's chip. */
export interface OpenocdSetup {
  /** Command-line arguments (`-f` files and `-c` commands), in order. */
  args: string[];
  /** Words for messages: "the nRF52840-DK over interface/jlink.cfg". */
  label: string;
  /** The USB vendor:product ids of the probe kind, for the udev rule (lower-case hex). */
  usb?: { vendorId: string; productId?: string };
  /** The command that erases a protected chip and lifts its protection. */
  recoverCommand?: string;
}

/** Probe interface file -> USB ids of the probe kind (for the udev rule in a permission error). */
const INTERFACE_USB: Readonly<Record<string, { vendorId: string; productId?: string }>> = {
  'interface/jlink.cfg': { vendorId: '1366' },
  'interface/cmsis-dap.cfg': { vendorId: '0d28', productId: '0204' },
  'interface/stlink.cfg': { vendorId: '0483' },
};

/** The arguments for a board of the registry (its probe, transport and target files). */
export function openocdForBoard(board: Board, adapterSerial?: string): Result<OpenocdSetup> {
  const o = board.openocd;
  if (o === null)
    return err(`${board.label} is not flashed through OpenOCD (it has no OpenOCD configuration)`);
  return ok({
    args: [
      '-f',
      o.interface,
      ...(adapterSerial !== undefined ? ['-c', `adapter serial ${tclWord(adapterSerial)}`] : []),
      '-c',
      `transport select ${o.transport}`,
      '-f',
      o.target,
    ],
    label: `the ${board.label} over ${o.interface}`,
    ...(INTERFACE_USB[o.interface] ? { usb: INTERFACE_USB[o.interface] } : {}),
    ...(o.target === 'target/nrf52.cfg' ? { recoverCommand: 'nrf52_recover' } : {}),
  });
}

/** The arguments for the emulated nRF52 behind `npm run emulator -- --remote-bitbang PORT`. */
export function openocdForEmulator(port: number, resourcesDir: string): OpenocdSetup {
  return {
    args: [
      '-c',
      `set REMOTE_BITBANG_PORT ${port}`,
      '-f',
      path.join(resourcesDir, 'openocd', 'emulated-nrf52.cfg'),
    ],
    label: `the emulated nRF52 on 127.0.0.1:${port} (remote_bitbang)`,
    recoverCommand: 'nrf52_recover',
  };
}

/** A word for a Tcl command line: braces keep spaces and brackets literal. */
export function tclWord(s: string): string {
  if (/[{}\\\n]/.test(s)) throw new Error(`cannot quote ${JSON.stringify(s)} for OpenOCD`);
  return `{${s}}`;
}

/** `openocd --version` -> [major, minor, patch], or undefined. */
export function parseOpenocdVersion(text: string): [number, number, number] | undefined {
  const m = /Open On-Chip Debugger (\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The OpenOCD executable, checked to exist and to be new enough; errors name the package. */
export async function findOpenocd(
  tool = 'openocd',
  env: NodeJS.ProcessEnv = process.env,
): Promise<Result<string, FlashError>> {
  const found = findTool(tool, env);
  if (!found.ok)
    return flashError('tool-missing', missingToolMessage('openocd'), {
      fix: "install the Debian package 'openocd' (sudo apt-get install openocd)",
    });
  const out = await new Promise<string>((resolve) => {
    const p = spawn(found.value, ['--version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    p.on('error', () => resolve(''));
    p.on('close', () => resolve(text));
  });
  const v = parseOpenocdVersion(out);
  if (v === undefined)
    return flashError('tool-missing', `${found.value} did not say which OpenOCD it is`, {
      fix: "install the Debian package 'openocd' (sudo apt-get install openocd)",
      log: out.split('\n').slice(0, 5),
    });
  const [maj, min] = OPENOCD_MIN_VERSION;
  if (v[0] < maj || (v[0] === maj && v[1] < min))
    return flashError(
      'tool-missing',
      `OpenOCD ${v.join('.')} is too old (Capsule Studio needs ${maj}.${min} or newer)`,
      { fix: "install a newer 'openocd' package (Debian 12 ships 0.12)" },
    );
  return ok(found.value);
}

/** The udev rule that gives the logged-in user a USB probe. */
export function probeUdevRule(vendorId: string, productId?: string): string {
  return udevRule('usb', vendorId, productId);
}

/**
 * What OpenOCD's output says went wrong, as a FlashError; undefined when no line is known.
 * Lines are OpenOCD 0.12's (src/jtag/drivers/*, src/target/cortex_m.c, src/flash/nor/*) and
 * our emulated-nrf52.cfg's protection message.
 */
export function classifyOpenocdFailure(
  lines: readonly string[],
  setup: OpenocdSetup,
): FlashError | undefined {
  const text = lines.join('\n');
  const log = lines.slice(-30);
  const has = (re: RegExp): boolean => re.test(text);
  if (has(/access port protection|APPROTECT|is locked|Device is protected/i))
    return {
      kind: 'protected',
      message: `${setup.label}: the chip's access port protection is on, so the debugger may not read or write it`,
      fix: 'recover the chip: this erases all of its flash, RAM and UICR, then it can be flashed again',
      ...(setup.recoverCommand !== undefined ? { command: setup.recoverCommand } : {}),
      log,
    };
  if (has(/LIBUSB_ERROR_ACCESS|permission denied|Operation not permitted/i)) {
    const usb = setup.usb;
    return {
      kind: 'permission',
      message: `${setup.label}: the system refused access to the probe's USB device`,
      fix: usb
        ? `put this rule in ${UDEV_RULES_FILE}, run sudo udevadm control --reload && sudo udevadm trigger, and plug the probe in again:\n${probeUdevRule(usb.vendorId, usb.productId)}`
        : 'give your user access to the probe (a udev rule with TAG+="uaccess" for its USB ids)',
      log,
    };
  }
  if (has(/LIBUSB_ERROR_BUSY|Resource busy|already in use|another remote_bitbang client/i))
    return {
      kind: 'probe-busy',
      message: `${setup.label}: the probe is in use by another program`,
      fix: 'close the other debugger or OpenOCD (or the other Capsule Studio session) using the probe, then try again',
      log,
    };
  if (
    has(
      /No J-Link device found|unable to find a matching CMSIS-DAP device|open failed|unable to open ftdi device|Can't find a .*device|couldn't open|remote_bitbang.*(connect|Failed to connect)|Error on socket 'Failed to connect'|could not find MEM-AP|Error connecting DP/i,
    )
  )
    return {
      kind: 'no-probe',
      message: `${setup.label}: no debug probe was found`,
      fix: 'plug the board in with a data-capable USB cable (on the nRF52840-DK the USB port on the short side, power switch ON), then try again',
      log,
    };
  if (has(/checksum mismatch|diff \d+ address|verify failed|Verification failed/i)) {
    const d = /diff \d+ address (0x[0-9a-f]+)\. Was (0x[0-9a-f]+) instead of (0x[0-9a-f]+)/i.exec(
      text,
    );
    return {
      kind: 'verify-failed',
      message: d
        ? `the board's memory differs from the image: at ${d[1]} the board holds ${d[2]}, the image ${d[3]}`
        : "the board's memory differs from the image",
      fix: 'flash the image again (an interrupted or partial write is repaired by a new one)',
      log,
    };
  }
  if (has(/timed out while waiting for target halted|halt timed out/i))
    return {
      kind: 'timeout',
      message: `${setup.label}: the chip did not halt when the debugger asked it to`,
      fix: "press the board's reset button (or power-cycle it) and try again; a chip held in reset or asleep with its debug domain off cannot halt",
      log,
    };
  if (has(/Error: .*(flash|erase|write).* failed|failed erasing|Failed to write/i))
    return {
      kind: 'failed',
      message: `${setup.label}: writing the flash failed`,
      fix: 'try again; if it fails again, recover the chip (erase all) and flash again',
      ...(setup.recoverCommand !== undefined ? { command: setup.recoverCommand } : {}),
      log,
    };
  return undefined;
}

/** A stream's `data` handler that calls `onLine` with each whole line (one per stream). */
export function lineSplitter(onLine: (line: string) => void): (d: Buffer) => void {
  let rest = '';
  return (d) => {
    rest += d.toString();
    const parts = rest.split(/\r?\n/);
    rest = parts.pop() ?? '';
    for (const l of parts) onLine(l);
  };
}

export interface OpenocdRun {
  /** Exit status (null: killed). */
  code: number | null;
  /** Every line OpenOCD wrote (stdout and stderr interleaved as they arrived). */
  lines: string[];
}

export interface RunOptions {
  /** Each line as it arrives. */
  onLine?(line: string): void;
  signal?: AbortSignal;
  /** Give up after this long (default 120 s): the process is killed. */
  timeoutMs?: number;
}

/**
 * Runs OpenOCD once with `setup` and then `commands` (each a `-c`), with its GDB, Tcl and telnet
 * servers off, and collects its output. A spawn failure is an error; an exit status is not
 * (the caller reads `lines` to say what happened).
 */
export function runOpenocd(
  executable: string,
  setup: OpenocdSetup,
  commands: readonly string[],
  options: RunOptions = {},
): Promise<Result<OpenocdRun>> {
  const args = [
    ...setup.args,
    '-c',
    'gdb_port disabled',
    '-c',
    'tcl_port disabled',
    '-c',
    'telnet_port disabled',
    ...commands.flatMap((c) => ['-c', c]),
  ];
  return new Promise((resolve) => {
    const child = spawnTied(executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const line = (l: string): void => {
      lines.push(l);
      options.onLine?.(l);
    };
    child.stdout!.on('data', lineSplitter(line));
    child.stderr!.on('data', lineSplitter(line));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    const abort = (): void => void child.kill('SIGTERM');
    options.signal?.addEventListener('abort', abort, { once: true });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve(err(`cannot start ${executable}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve(ok({ code, lines }));
    });
  });
}
