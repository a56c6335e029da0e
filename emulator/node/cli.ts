/**
 * `npm run emulator -- --machine mps2-an386 [--semihosting] [--trace] [--max-instructions N]
 * [--timeout S] image.elf`: run a firmware image headless.
 *
 * UART output (all five UARTs) and semihosting console output go to stdout (semihosting's
 * stderr handle to stderr); stdin feeds UART0 and semihosting reads. With --trace every
 * executed instruction is printed to stderr with its address and disassembly. The last stderr
 * line always reports instructions executed, virtual time and host MIPS.
 *
 * Exit status: the guest's semihosting exit status when it exits; 2 for a usage or image error
 * (missing file, malformed ELF, wrong architecture, unknown machine); 124 when stopped by
 * --max-instructions or --timeout; 125 when the core locks up, idles forever or hits a
 * breakpoint with no debugger attached.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { disassembleWord } from '../core/index';
import type { StopReason } from '../core/interfaces';
import { createSession, MACHINES, type EmulatorSession } from '../session/session';
import { nodeSemihostingHost } from './node-semihosting';

export const EXIT_USAGE = 2;
export const EXIT_LIMIT = 124;
export const EXIT_ABNORMAL = 125;

const USAGE = `usage: npm run emulator -- --machine <${MACHINES.join('|')}> [--semihosting] [--trace] [--max-instructions N] [--timeout S] image.elf`;

export interface CliOptions {
  machine: string;
  semihosting: boolean;
  trace: boolean;
  maxInstructions: number;
  timeoutSeconds: number;
  image: string;
}

export function parseArgs(
  argv: string[],
): { ok: true; value: CliOptions } | { ok: false; error: string } {
  const o: Partial<CliOptions> = {
    semihosting: false,
    trace: false,
    maxInstructions: Infinity,
    timeoutSeconds: Infinity,
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
      case '--help':
      case '-h':
        return { ok: false, error: USAGE };
      default:
        if (a.startsWith('-')) return { ok: false, error: `unknown option ${a}\n${USAGE}` };
        if (o.image) return { ok: false, error: `more than one image given (${o.image}, ${a})` };
        o.image = a;
    }
  }
  if (!o.machine) return { ok: false, error: `--machine is required\n${USAGE}` };
  if (!o.image) return { ok: false, error: `no image given\n${USAGE}` };
  return { ok: true, value: o as CliOptions };
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
  }
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n`);
    return EXIT_USAGE;
  }
  const opts = parsed.value;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(opts.image));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(
      `cannot read ${opts.image}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`,
    );
    return EXIT_USAGE;
  }
  const write = (stream: 1 | 2, b: Uint8Array): void =>
    void (stream === 1 ? process.stdout : process.stderr).write(b);
  const created = createSession({
    machine: opts.machine,
    semihosting: opts.semihosting,
    semihostingHost: nodeSemihostingHost(dirname(resolve(opts.image)), write),
    cmdline: opts.image,
  });
  if (!created.ok) {
    process.stderr.write(`${created.error}\n`);
    return EXIT_USAGE;
  }
  const session = created.value;
  // UART bytes are batched per slice to keep stdout writes few.
  let uartOut: number[] = [];
  session.on((e) => {
    if (e.kind === 'uart') uartOut.push(e.byte);
  });
  const flush = (): void => {
    if (uartOut.length) process.stdout.write(Uint8Array.from(uartOut));
    uartOut = [];
  };
  const loaded = session.load(bytes);
  if (!loaded.ok) {
    process.stderr.write(`${opts.image}: ${loaded.error}\n`);
    return EXIT_USAGE;
  }
  if (!process.stdin.isTTY) {
    process.stdin.on('data', (d: Buffer) => session.sendUart(0, new Uint8Array(d)));
    process.stdin.on('error', () => undefined);
  }

  const disassemble = opts.trace ? disassembler : undefined;
  const started = performance.now();
  const deadline = started + opts.timeoutSeconds * 1000;
  let reason: StopReason = { kind: 'limit' };
  let stoppedBy: 'timeout' | 'max' | undefined;
  for (;;) {
    const left = opts.maxInstructions - session.instructions;
    if (left <= 0) {
      stoppedBy = 'max';
      break;
    }
    if (performance.now() > deadline) {
      stoppedBy = 'timeout';
      break;
    }
    if (disassemble) {
      const pc = session.readRegister(15);
      const text = disassemble(session, pc);
      reason = session.step();
      process.stderr.write(
        `${session.instructions.toString().padStart(10)}  ${pc.toString(16).padStart(8, '0')}  ${text}\n`,
      );
    } else {
      reason = session.runSlice({ instructions: Math.min(left, 2_000_000) });
    }
    flush();
    if (reason.kind !== 'limit') break;
    // Let stdin and stdout events through between slices.
    if (!disassemble || session.instructions % 4096 === 0)
      await new Promise((r) => setImmediate(r));
  }
  flush();
  process.stdin.pause();
  process.stdin.unref?.();
  const seconds = (performance.now() - started) / 1000;
  let status: number;
  if (stoppedBy) {
    process.stderr.write(
      stoppedBy === 'max'
        ? `stopped: --max-instructions ${opts.maxInstructions} reached\n`
        : `stopped: --timeout ${opts.timeoutSeconds} s reached\n`,
    );
    status = EXIT_LIMIT;
  } else if (reason.kind === 'exit') {
    status = reason.code & 0xff;
  } else {
    process.stderr.write(`stopped: ${describe(reason)}\n`);
    status = EXIT_ABNORMAL;
  }
  const mips = session.instructions / Math.max(seconds, 1e-9) / 1e6;
  process.stderr.write(
    `instructions: ${session.instructions}, virtual time: ${session.virtualSeconds.toFixed(6)} s, MIPS: ${mips.toFixed(1)}\n`,
  );
  return status;
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
