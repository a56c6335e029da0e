/**
 * `npm run emulator -- --machine <name> [options] image [more images]`: run firmware headless.
 *
 * Images are ELF or Intel HEX files, raw binaries (a TBF is one) given as FILE@ADDRESS, or TABs
 * (Tock application bundles) as APP.tab@ADDRESS; several make one
 * image exactly as a flasher would program them (kernel.elf plus apps.bin@0x40000, or the
 * image.hex that `kernel.mjs build` writes). UART output goes to stdout (UART0 / UARTE0 first,
 * every UART on mps2-an386) and semihosting console output to stdout/stderr; stdin feeds the
 * console UART. With --uart-pty the console UART is also a pseudo-terminal (made with socat)
 * whose path is printed, so a serial terminal can attach. The nRF boards run paced to the wall
 * clock by default (a sleeping board costs no host CPU); --pace fast runs flat out, jumping
 * over idle time. --leds reports LED changes, --press BUTTON@SECONDS holds a button down,
 * --trace-mmio logs every peripheral access with its SVD register name, --trace every
 * instruction. The last stderr line reports instructions, virtual time and host MIPS.
 *
 * Exit status: the guest's semihosting exit status when it exits; 2 for a usage or image error
 * (missing file, malformed ELF or HEX, image larger than flash, segments overlapping inside one
 * file, unknown machine; a later file overlapping an earlier one overwrites it, with a notice); 124 when stopped by --max-instructions, --timeout or --virtual-timeout; 125 when
 * the core locks up, idles forever or hits a breakpoint with no debugger attached.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { boardOfMachine, findBoard } from '../boards/registry';
import { disassembleWord } from '../core/index';
import type { StopReason } from '../core/interfaces';
import type { Result } from '../core/result';
import { Runner, type HostSleep, type RunOutcome } from '../session/runner';
import {
  createSession,
  MACHINES,
  type EmulatorSession,
  type ImageFile,
  type RegisterNames,
} from '../session/session';
import { DEFAULT_GDB_PORT } from './gdb-server';
import { readImageFile } from './image-files';
import { nodeScheduler } from './node-scheduler';
import { nodeSemihostingHost } from './node-semihosting';
import { listenRemoteBitbang, type RemoteBitbangServer } from './remote-bitbang-server';

export const EXIT_USAGE = 2;
export const EXIT_LIMIT = 124;
export const EXIT_ABNORMAL = 125;

/** Runner slices with a remote_bitbang debugger: short while it spoke within `talkingMs`. */
const BITBANG_SLICE = { quiet: 200_000, talking: 5_000, talkingMs: 100 } as const;

const USAGE = `usage: npm run emulator -- --machine <${MACHINES.join('|')}> [options] image [image...]
  image                  ELF or Intel HEX file, raw binary or TBF as FILE@ADDRESS (e.g. apps.bin@0x40000),
                         or a Tock application bundle as APP.tab@ADDRESS (its cortex-m4 TBF goes there)
  --semihosting          serve semihosting calls (BKPT 0xAB)
  --pace realtime|fast   realtime: virtual time follows the wall clock (nRF default);
                         fast: run flat out, skipping idle time (mps2-an386 default)
  --uart-pty             also expose the console UART on a pseudo-terminal (needs socat)
  --leds                 print LED changes to stderr
  --press BUTTON@S[:D]   press BUTTON (BUTTON1..4, A, B) at virtual second S for D s (default 0.2)
  --seed N               seed of the emulated RNG and device ID (default fixed)
  --trace-mmio           log every peripheral access (register names from the chip's SVD)
  --trace                print every executed instruction to stderr
  --max-instructions N   stop after N instructions
  --timeout S            stop after S seconds of wall time
  --virtual-timeout S    stop after S seconds of virtual time
  --remote-bitbang PORT  serve the nRF chip's debug port (JTAG) to OpenOCD's remote_bitbang adapter
                         on 127.0.0.1:PORT (0: any free port); see resources/openocd/emulated-nrf52.cfg
  --gdb [PORT]           serve GDB's remote protocol on 127.0.0.1:PORT (default 3333) instead of
                         running headless; the board runs until a debugger halts it
  --gdb-wait             with --gdb: stay halted at the reset vector until a debugger continues`;

export interface CliOptions {
  machine: string;
  semihosting: boolean;
  trace: boolean;
  traceMmio: boolean;
  maxInstructions: number;
  timeoutSeconds: number;
  virtualTimeoutSeconds: number;
  pace: 'realtime' | 'fast' | undefined;
  uartPty: boolean;
  leds: boolean;
  presses: { button: string; at: number; duration: number }[];
  seed: number | undefined;
  /** TCP port of the remote_bitbang JTAG target (undefined: none). */
  remoteBitbang: number | undefined;
  images: { path: string; address?: number }[];
  /** The first image's path (semihosting's working directory and command line). */
  image: string;
  /** --gdb: serve the GDB remote protocol on this port instead of running headless. */
  gdbPort: number | undefined;
  gdbWait: boolean;
}

/** A load address as documented: hexadecimal (0x40000) or decimal (262144), nothing else. */
function parseAddress(text: string): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 0xffffffff ? n : undefined;
}

function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

export function parseArgs(argv: string[]): Result<CliOptions> {
  const o: Partial<CliOptions> & { images: CliOptions['images']; presses: CliOptions['presses'] } =
    {
      semihosting: false,
      trace: false,
      traceMmio: false,
      maxInstructions: Infinity,
      timeoutSeconds: Infinity,
      virtualTimeoutSeconds: Infinity,
      pace: undefined,
      uartPty: false,
      leds: false,
      seed: undefined,
      remoteBitbang: undefined,
      presses: [],
      images: [],
      gdbPort: undefined,
      gdbWait: false,
    };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (a) {
      case '--machine':
      case '-M':
        o.machine = value();
        break;
      case '--semihosting':
        o.semihosting = true;
        break;
      case '--trace':
        o.trace = true;
        break;
      case '--trace-mmio':
        o.traceMmio = true;
        break;
      case '--uart-pty':
        o.uartPty = true;
        break;
      case '--remote-bitbang': {
        const port = parseNumber(value());
        if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535)
          return { ok: false, error: '--remote-bitbang needs a TCP port number (0-65535)' };
        o.remoteBitbang = port;
        break;
      }
      case '--leds':
        o.leds = true;
        break;
      case '--pace': {
        const p = value();
        if (p !== 'realtime' && p !== 'fast')
          return { ok: false, error: `--pace needs realtime or fast (got ${p ?? 'nothing'})` };
        o.pace = p;
        break;
      }
      case '--seed': {
        const n = parseNumber(value());
        if (n === undefined || !Number.isInteger(n) || n < 0 || n > 0xffffffff)
          return { ok: false, error: '--seed needs an integer from 0 to 4294967295' };
        o.seed = n;
        break;
      }
      case '--press': {
        const spec = value() ?? '';
        const m = /^([A-Za-z0-9_]+)@([0-9.]+)(?::([0-9.]+))?$/.exec(spec);
        const at = parseNumber(m?.[2]);
        const duration = m?.[3] === undefined ? 0.2 : parseNumber(m[3]);
        if (!m || at === undefined || duration === undefined || !(duration > 0))
          return {
            ok: false,
            error: `--press needs BUTTON@SECONDS[:DURATION], e.g. BUTTON1@0.5 (got '${spec}')`,
          };
        o.presses.push({ button: m[1]!, at, duration });
        break;
      }
      case '--max-instructions': {
        const n = Number(value());
        if (!Number.isInteger(n) || n <= 0)
          return { ok: false, error: '--max-instructions needs a positive integer' };
        o.maxInstructions = n;
        break;
      }
      case '--timeout': {
        const n = Number(value());
        if (!(n > 0)) return { ok: false, error: '--timeout needs a positive number of seconds' };
        o.timeoutSeconds = n;
        break;
      }
      case '--virtual-timeout': {
        const n = Number(value());
        if (!(n > 0))
          return { ok: false, error: '--virtual-timeout needs a positive number of seconds' };
        o.virtualTimeoutSeconds = n;
        break;
      }
      case '--gdb': {
        // The port is optional: a following number is it, anything else is the next argument.
        const next = argv[i + 1];
        if (next !== undefined && /^\d+$/.test(next)) {
          const port = Number(next);
          if (port > 65535)
            return { ok: false, error: `--gdb: ${next} is not a TCP port (0-65535)` };
          o.gdbPort = port;
          i++;
        } else o.gdbPort = DEFAULT_GDB_PORT;
        break;
      }
      case '--gdb-wait':
        o.gdbWait = true;
        break;
      case '--help':
      case '-h':
        return { ok: false, error: USAGE };
      default: {
        if (a.startsWith('-')) return { ok: false, error: `unknown option ${a}\n${USAGE}` };
        const at = a.lastIndexOf('@');
        if (at > 0) {
          const addr = parseAddress(a.slice(at + 1));
          if (addr === undefined)
            return {
              ok: false,
              error: `bad load address in '${a}': give FILE@ADDRESS with a hexadecimal (0x40000) or decimal (262144) address`,
            };
          o.images.push({ path: a.slice(0, at), address: addr });
        } else o.images.push({ path: a });
      }
    }
  }
  if (!o.machine) return { ok: false, error: `--machine is required\n${USAGE}` };
  if (o.images.length === 0) return { ok: false, error: `no image given\n${USAGE}` };
  if (o.gdbWait && o.gdbPort === undefined) o.gdbPort = DEFAULT_GDB_PORT;
  if (o.gdbPort !== undefined && o.remoteBitbang !== undefined)
    return {
      ok: false,
      error:
        '--gdb and --remote-bitbang are two ways in for a debugger: give one (OpenOCD serves GDB itself over --remote-bitbang)',
    };
  if (o.gdbPort !== undefined && (o.trace || o.uartPty || o.presses.length > 0))
    return {
      ok: false,
      error:
        '--gdb serves a debugger: --trace, --uart-pty and --press are for headless runs (use monitor trace on)',
    };
  if (o.trace && o.pace === 'realtime')
    return { ok: false, error: '--trace runs one instruction at a time; it cannot be paced' };
  return { ok: true, value: { ...o, image: o.images[0]!.path } as CliOptions };
}

type Disassembler = (session: EmulatorSession, address: number) => string;

/** The core's own disassembler (the same encoding table the executor decodes with). */
const disassembler: Disassembler = (s, address) => {
  const mem = s.readMemory(address, 4);
  if (!mem.ok) return `<${mem.error}>`;
  const b = mem.value;
  return disassembleWord(b[0]! | (b[1]! << 8), b[2]! | (b[3]! << 8), address).text;
};

function describe(reason: StopReason): string {
  switch (reason.kind) {
    case 'limit':
      return 'instruction limit reached';
    case 'lockup':
      return `core locked up at 0x${reason.address.toString(16)} (fault while handling a fault)`;
    case 'idle':
      return 'core is asleep (WFI/WFE) with nothing left that could wake it';
    case 'bkpt':
      return `BKPT #${reason.imm} at 0x${reason.address.toString(16)} with no debugger attached`;
    case 'breakpoint':
      return `breakpoint at 0x${reason.address.toString(16)}`;
    case 'watchpoint':
      return `watchpoint (${reason.access}) at 0x${reason.address.toString(16)}`;
    case 'halted':
      return 'halted';
    case 'exit':
      return `exit ${reason.code}`;
    case 'vector-catch':
      return `caught entry of exception ${reason.exception}`;
  }
}

/** Register names from the chip's SVD (the board registry names it), for --trace-mmio. */
async function registerNames(svd: string | null): Promise<RegisterNames | undefined> {
  if (svd === null) return undefined;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const { parseSvd, RegisterNamer } = await import('../peripherals/nrf/svd');
  return new RegisterNamer(parseSvd(readFileSync(join(root, svd), 'utf8')));
}

/**
 * The machine for `--machine NAME`: a machine name, or a board name or a board's former name
 * (the notice says what it is called now).
 */
export function resolveMachine(name: string): Result<{ machine: string; notice?: string }> {
  if ((MACHINES as readonly string[]).includes(name)) return { ok: true, value: { machine: name } };
  const board = findBoard(name);
  if (board.ok)
    return {
      ok: true,
      value: {
        machine: board.value.board.machine,
        ...(board.value.notice ? { notice: board.value.notice } : {}),
      },
    };
  return { ok: false, error: `unknown machine '${name}' (known: ${MACHINES.join(', ')})` };
}

/** A pseudo-terminal bridged to the console UART by socat. */
async function openPty(
  onInput: (bytes: Uint8Array) => void,
  onClose: () => void,
): Promise<Result<{ path: string; proc: ChildProcess }>> {
  const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((done) => {
    let err = '';
    proc.on('error', (e) =>
      done({
        ok: false,
        error: `--uart-pty needs socat (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed: apt-get install socat' : e.message})`,
      }),
    );
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /PTY is (\S+)/.exec(err);
      if (m) done({ ok: true, value: { path: m[1]!, proc } });
    });
    proc.on('exit', (code) => {
      done({ ok: false, error: `socat exited (${code}): ${err.trim()}` });
      onClose();
    });
    proc.stdout!.on('data', (d: Buffer) => onInput(new Uint8Array(d)));
  });
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n`);
    return EXIT_USAGE;
  }
  const opts = parsed.value;
  const machine = resolveMachine(opts.machine);
  if (!machine.ok) {
    process.stderr.write(`${machine.error}\n`);
    return EXIT_USAGE;
  }
  if (machine.value.notice) process.stderr.write(`[emulator] ${machine.value.notice}\n`);
  const machineName = machine.value.machine;
  const write = (stream: 1 | 2, b: Uint8Array): void =>
    void (stream === 1 ? process.stdout : process.stderr).write(b);
  let names: RegisterNames | undefined;
  if (opts.traceMmio) {
    try {
      names = await registerNames(boardOfMachine(machineName)?.svd ?? null);
    } catch (e) {
      process.stderr.write(`--trace-mmio: cannot read the chip's SVD: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
  }
  const created = createSession({
    machine: machineName,
    semihosting: opts.semihosting,
    semihostingHost: nodeSemihostingHost(dirname(resolve(opts.image)), write),
    cmdline: opts.image,
    traceMmio: opts.traceMmio,
    ...(names ? { registerNames: names } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  });
  if (!created.ok) {
    process.stderr.write(`${created.error}\n`);
    return EXIT_USAGE;
  }
  const session = created.value;
  // Image files are read only once the machine is known: its memory bounds what is read.
  const files: ImageFile[] = [];
  for (const img of opts.images) {
    const r = readImageFile(img.path, img, session.programmable(), machineName);
    if (!r.ok) {
      process.stderr.write(`${r.error}\n`);
      return EXIT_USAGE;
    }
    files.push({
      name: img.path,
      bytes: r.value,
      ...(img.address !== undefined ? { address: img.address } : {}),
    });
  }
  if (opts.gdbPort !== undefined) {
    const first = files[0]!;
    const isElf =
      first.address === undefined &&
      first.bytes[0] === 0x7f &&
      first.bytes[1] === 0x45 &&
      first.bytes[2] === 0x4c &&
      first.bytes[3] === 0x46;
    // Loaded only here: the debugger side (target, DWARF, history) is no cost to headless runs.
    const { runGdbServer } = await import('./gdb-cli');
    return runGdbServer({
      machine: opts.machine,
      port: opts.gdbPort,
      wait: opts.gdbWait,
      pace: opts.pace,
      files,
      elfPath: isElf ? first.name : null,
      log: (line) => void process.stderr.write(`${line}\n`),
    });
  }
  // Boards whose image lives in flash are real-time by default; a RAM-loaded board (QEMU's
  // mps2-an386) runs flat out, as QEMU does.
  const pace = opts.pace ?? (session.machine.imageStorage === 'nonvolatile' ? 'realtime' : 'fast');
  const freq = session.core.clock.frequencyHz;
  const stamp = (): string => `${session.virtualSeconds.toFixed(6)} s`;
  const ledKey = (): string =>
    session
      .leds()
      .map((l) => (l.lit ? '1' : '0'))
      .join('');

  // UART bytes are batched per slice to keep stdout writes few.
  let uartOut: number[] = [];
  let ptyOut: number[] = [];
  let pty: ChildProcess | undefined;
  let diagnostics = 0;
  let lastLeds = '';
  session.on((e) => {
    if (e.kind === 'uart') {
      uartOut.push(e.byte);
      if (pty && e.index === 0) ptyOut.push(e.byte);
    } else if (e.kind === 'diagnostic') {
      diagnostics++;
      if (diagnostics <= 20) process.stderr.write(`[emulator] ${stamp()}: ${e.message}\n`);
      else if (diagnostics === 21)
        process.stderr.write('[emulator] further diagnostics suppressed\n');
    } else if (e.kind === 'mmio') {
      const x = e.access;
      process.stderr.write(
        `[mmio] ${(x.cycle / freq).toFixed(6)} ${x.write ? 'W' : 'R'}${x.size * 8} ${x.register ?? '?'} (0x${x.address.toString(16).padStart(8, '0')}) ${x.write ? '<=' : '=>'} 0x${x.value.toString(16)}\n`,
      );
    } else if (e.kind === 'pin' && opts.leds) {
      const key = ledKey();
      if (key !== lastLeds) {
        const lit = session
          .leds()
          .filter((l) => l.lit)
          .map((l) => l.name);
        process.stderr.write(
          `[board] ${stamp()}: LEDs lit: ${lit.length ? lit.join(' ') : 'none'}\n`,
        );
        lastLeds = key;
      }
    }
  });
  const flush = (): void => {
    if (uartOut.length) process.stdout.write(Uint8Array.from(uartOut));
    uartOut = [];
    if (ptyOut.length && pty?.stdin?.writable) pty.stdin.write(Uint8Array.from(ptyOut));
    ptyOut = [];
  };
  const loaded = session.loadFiles(files);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error}\n`);
    return EXIT_USAGE;
  }
  for (const n of loaded.value.notices) process.stderr.write(`[emulator] ${n}\n`);
  lastLeds = ledKey();

  for (const p of opts.presses) {
    const check = session.machine.setButton(p.button, false);
    if (!check.ok) {
      process.stderr.write(`--press: ${check.error}\n`);
      return EXIT_USAGE;
    }
    const clock = session.core.clock;
    clock.schedule(clock.now + p.at * freq, () => {
      session.machine.setButton(p.button, true);
      process.stderr.write(`[board] ${stamp()}: ${p.button} pressed\n`);
    });
    clock.schedule(clock.now + (p.at + p.duration) * freq, () => {
      session.machine.setButton(p.button, false);
      process.stderr.write(`[board] ${stamp()}: ${p.button} released\n`);
    });
  }

  let bitbang: RemoteBitbangServer | undefined;
  if (opts.remoteBitbang !== undefined) {
    const r = await listenRemoteBitbang(session, {
      port: opts.remoteBitbang,
      log: (line) => process.stderr.write(`[emulator] ${line}\n`),
    });
    if (!r.ok) {
      process.stderr.write(`--remote-bitbang: ${r.error}\n`);
      return EXIT_USAGE;
    }
    bitbang = r.value;
    process.stderr.write(`[emulator] remote_bitbang (JTAG) on 127.0.0.1:${bitbang.port}\n`);
  }

  const disassemble = opts.trace ? disassembler : undefined;
  const virtualEnd = session.cycles + opts.virtualTimeoutSeconds * freq;
  // Console input: stdin while it is open, and the pseudo-terminal while socat runs. A board
  // that sleeps waiting for either is waiting for its user, not finished.
  let stdinOpen = true;
  let ptyOpen = false;
  let toldWaiting = false;
  let bitbangActive = -Infinity;
  const runner: Runner = new Runner(session, {
    scheduler: nodeScheduler,
    pace,
    inputs: { consoles: [0], buttons: false, debugger: bitbang !== undefined },
    // With a debugger attached, short slices keep its transactions answered promptly.
    sliceInstructions: bitbang ? BITBANG_SLICE.quiet : 2_000_000,
    maxInstructions: opts.maxInstructions,
    untilCycle: virtualEnd,
    wallTimeoutMs: opts.timeoutSeconds * 1000,
    afterSlice: () => {
      flush();
      // While OpenOCD talks (a flash loader feeding its FIFO: one JTAG round trip per slice),
      // slices are short; 200k instructions took ~10 ms on a loaded machine, which held flash
      // writes to 0.27 KiB/s.
      if (bitbang)
        runner.setSliceInstructions(
          nodeScheduler.now() - bitbangActive < BITBANG_SLICE.talkingMs
            ? BITBANG_SLICE.talking
            : BITBANG_SLICE.quiet,
        );
    },
    // Said once, so a quiet terminal is not mistaken for a hung emulator.
    onWaitForInput: () => {
      if (toldWaiting) return;
      toldWaiting = true;
      process.stderr.write(`[emulator] ${stamp()}: asleep, waiting for console input\n`);
    },
    ...(disassemble
      ? {
          trace: (pc: number) => {
            process.stderr.write(
              `${(session.instructions + 1).toString().padStart(10)}  ${pc.toString(16).padStart(8, '0')}  ${disassemble(session, pc)}\n`,
            );
          },
        }
      : {}),
  });
  const consoleOpen = (): void => runner.setInputs({ consoles: stdinOpen || ptyOpen ? [0] : [] });
  const input = (bytes: Uint8Array): void => void session.sendUart(0, bytes);
  if (opts.uartPty) {
    const r = await openPty(input, () => {
      ptyOpen = false;
      consoleOpen();
    });
    if (!r.ok) {
      process.stderr.write(`${r.error}\n`);
      return EXIT_USAGE;
    }
    pty = r.value.proc;
    ptyOpen = true;
    process.stderr.write(`[emulator] console UART on ${r.value.path}\n`);
  }
  // A signal stops the run cleanly (the summary line is printed, socat is closed).
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      interrupted = true;
      runner.stop();
      holdWait?.wake();
    });
  bitbang?.onActivity(() => {
    bitbangActive = nodeScheduler.now();
    runner.wake();
    holdWait?.wake();
  });
  /**
   * Halted by the debugger (or held in reset): the core executes nothing, but the chip's clocks
   * run on with the wall clock, so a flash operation started over the debug port finishes (the
   * NVMC's READY) and timers keep counting, as on the board. Returns false when interrupted.
   */
  let holdWait: HostSleep | undefined;
  const whileDebuggerHolds = async (dap: RemoteBitbangServer): Promise<boolean> => {
    const clock = session.core.clock;
    const from = { wall: nodeScheduler.now(), cycle: clock.now };
    while (session.core.halted || session.core.lockedUp || dap.dap.heldInReset) {
      if (interrupted) return false;
      flush();
      const target = Math.min(
        virtualEnd,
        from.cycle + ((nodeScheduler.now() - from.wall) / 1000) * freq,
      );
      if (target > clock.now) {
        clock.now = target;
        clock.runDue();
      }
      holdWait = nodeScheduler.sleep(20);
      await holdWait.done;
      holdWait = undefined;
    }
    return !interrupted;
  };
  const endOfInput = (): void => {
    stdinOpen = false;
    consoleOpen();
  };
  process.stdin.on('end', endOfInput);
  process.stdin.on('close', endOfInput);
  process.stdin.on('error', endOfInput);
  if (!process.stdin.isTTY) {
    process.stdin.on('data', (d: Buffer) => input(new Uint8Array(d)));
  } else {
    // A terminal: keys go to the board as typed, as a serial terminal sends them; Ctrl-C stops.
    process.stdin.setRawMode(true);
    process.stdin.on('data', (d: Buffer) => {
      if (d.includes(3)) runner.stop();
      else input(new Uint8Array(d));
    });
  }

  const started = performance.now();
  let outcome = await runner.run();
  // With a debugger attached, a stop (halt, breakpoint, lockup) waits for it; only an exit, a
  // limit or an interrupt ends the run.
  while (bitbang && outcome.kind === 'stopped' && outcome.reason.kind !== 'exit') {
    const waited = await whileDebuggerHolds(bitbang);
    if (!waited) break;
    outcome = await runner.run();
  }
  flush();
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.pause();
  process.stdin.unref?.();
  pty?.kill();
  await bitbang?.close();
  const seconds = (performance.now() - started) / 1000;
  const status = report(outcome, opts);
  const mips = session.instructions / Math.max(seconds, 1e-9) / 1e6;
  process.stderr.write(
    `instructions: ${session.instructions}, virtual time: ${session.virtualSeconds.toFixed(6)} s, MIPS: ${mips.toFixed(1)}\n`,
  );
  return status;
}

/** Prints why the run ended; returns the exit status. */
function report(outcome: RunOutcome, opts: CliOptions): number {
  switch (outcome.kind) {
    case 'limit':
      process.stderr.write(
        outcome.limit === 'instructions'
          ? `stopped: --max-instructions ${opts.maxInstructions} reached\n`
          : outcome.limit === 'wall-time'
            ? `stopped: --timeout ${opts.timeoutSeconds} s reached\n`
            : `stopped: --virtual-timeout ${opts.virtualTimeoutSeconds} s reached\n`,
      );
      return EXIT_LIMIT;
    case 'interrupted':
      process.stderr.write('stopped: interrupted\n');
      return EXIT_LIMIT;
    case 'idle':
      process.stderr.write(`stopped: ${describe({ kind: 'idle' })}\n`);
      return EXIT_ABNORMAL;
    case 'stopped':
      if (outcome.reason.kind === 'exit') return outcome.reason.code & 0xff;
      process.stderr.write(`stopped: ${describe(outcome.reason)}\n`);
      return EXIT_ABNORMAL;
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli.ts')) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`internal error: ${(e as Error).stack ?? e}\n`);
      process.exit(70);
    },
  );
}
