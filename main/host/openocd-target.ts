/**
 * A board on a debug probe as a DebugTarget: OpenOCD started with the board's configuration,
 * and the GDB remote target (emulator/gdb/remote-target.ts) on OpenOCD's GDB port.
 *
 * Why: the IDE debugs a board with the same panels and the same `DebugTarget` calls as the
 * emulator; only who answers differs. OpenOCD serves the GDB remote protocol for the chip
 * (halting, registers, memory, hardware breakpoints in flash through the FPB, watchpoints
 * through the DWT, `monitor` for its own commands, `monitor reset halt` for a reset), so the
 * target here is the remote target plus the OpenOCD process's life: started on a free port
 * (`gdb_port 0`; the port is read from OpenOCD's "Listening on port N for gdb connections"),
 * failures before that classified like the flasher's (no probe, protection, permission: the
 * same sentences and fixes), and OpenOCD shut down when the target is closed. If OpenOCD dies
 * under the session, the GDB connection drops and the target closes with that cause.
 *
 * @example
 *   const r = await startOpenocdTarget({ board: 'nrf52840dk', setup: openocdForBoard(b).value });
 *   if (!r.ok) show(r.error.message, r.error.fix);
 *   await r.value.halt(); const regs = await r.value.readRegisters();
 *   await r.value.close(); // OpenOCD exits too
 */
import type { ChildProcess } from 'node:child_process';
import { ok, type Result } from '../../emulator/core/result';
import { flashError, type FlashError } from '../../emulator/debug/flasher';
import type { DebugTarget } from '../../emulator/debug/target';
import type { GdbRemoteTarget } from '../../emulator/gdb/remote-target';
import { connectGdbTarget } from '../../emulator/node/gdb-socket';
import { spawnTied } from './openocd-process';
import { classifyOpenocdFailure, findOpenocd, lineSplitter, type OpenocdSetup } from './openocd';

export interface OpenocdTargetOptions {
  /** Board registry name. */
  board: string;
  setup: OpenocdSetup;
  /** The executable (default: `openocd` on PATH). */
  openocd?: string;
  /** How long OpenOCD may take to reach the chip and open its GDB port (default 20 s). */
  startTimeoutMs?: number;
}

/** The DebugTarget, with OpenOCD's output for the log and its own commands. */
export type OpenocdTarget = DebugTarget & {
  /** Every line OpenOCD has written so far. */
  openocdLog(): readonly string[];
  /** An OpenOCD command through the GDB port (`monitor`), answered as text. */
  monitor(command: string): Promise<Result<string>>;
};

/** Starts OpenOCD for the board and opens the DebugTarget on its GDB port. */
export async function startOpenocdTarget(
  options: OpenocdTargetOptions,
): Promise<Result<OpenocdTarget, FlashError>> {
  const tool = await findOpenocd(options.openocd);
  if (!tool.ok) return tool;
  const { setup } = options;
  // Tied to the host: a killed studio must not leave OpenOCD holding the probe.
  const child = spawnTied(
    tool.value,
    [
      ...setup.args,
      '-c',
      'gdb_port 0',
      '-c',
      'tcl_port disabled',
      '-c',
      'telnet_port disabled',
      '-c',
      'init',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const port = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve(
          `OpenOCD did not open its GDB port within ${(options.startTimeoutMs ?? 20_000) / 1000} s`,
        ),
      options.startTimeoutMs ?? 20_000,
    );
    const line = (l: string): void => {
      lines.push(l);
      const m = /Listening on port (\d+) for gdb connections/.exec(l);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', lineSplitter(line));
    child.stderr!.on('data', lineSplitter(line));
    child.once('error', (e) => {
      clearTimeout(timer);
      resolve(`cannot start ${tool.value}: ${e.message}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`OpenOCD exited (status ${code ?? 'killed'}) before it served the board`);
    });
  });
  if (typeof port === 'string') {
    await stop(child);
    const known = classifyOpenocdFailure(lines, setup);
    if (known) return { ok: false, error: known };
    const last = lines.filter((l) => l.startsWith('Error')).pop();
    return flashError('failed', `${setup.label}: ${port}${last ? `: ${last}` : ''}`, {
      log: lines.slice(-30),
    });
  }
  const gdb = await connectGdbTarget('127.0.0.1', port, {
    label: `OpenOCD for ${setup.label}`,
    board: options.board,
    flavor: 'openocd',
    resetCommand: 'reset halt',
    // Code runs from flash on a board: breakpoints there are FPB comparators.
    breakpoints: 'auto',
    hardware: { breakpoints: 6, watchpoints: 4 },
  });
  if (!gdb.ok) {
    await stop(child);
    return flashError('failed', `${setup.label}: ${gdb.error}`, { log: lines.slice(-30) });
  }
  return ok(wrap(gdb.value, child, lines));
}

/** The remote target, whose close also ends OpenOCD. */
function wrap(t: GdbRemoteTarget, child: ChildProcess, lines: string[]): OpenocdTarget {
  let closing: Promise<void> | null = null;
  return {
    description: t.description,
    state: () => t.state(),
    onEvent: (l) => t.onEvent(l),
    readRegisters: () => t.readRegisters(),
    readRegister: (n) => t.readRegister(n),
    writeRegister: (n, v) => t.writeRegister(n, v),
    readMemory: (a, n) => t.readMemory(a, n),
    writeMemory: (a, d) => t.writeMemory(a, d),
    setBreakpoint: (a) => t.setBreakpoint(a),
    clearBreakpoint: (a) => t.clearBreakpoint(a),
    setWatchpoint: (w) => t.setWatchpoint(w),
    clearWatchpoint: (w) => t.clearWatchpoint(w),
    resume: () => t.resume(),
    halt: () => t.halt(),
    step: () => t.step(),
    stepRange: (s, e) => t.stepRange(s, e),
    reset: (o) => t.reset(o),
    writeConsole: (port) =>
      Promise.resolve({
        ok: false,
        error: `a board's console UART ${port} is its serial port (open it in the Boards panel), not the debug probe`,
      }),
    monitor: (c) => t.monitor(c),
    openocdLog: () => lines,
    close: () =>
      (closing ??= (async () => {
        await t.close();
        await stop(child);
      })()),
  };
}

/** Ends OpenOCD: SIGTERM, then SIGKILL if it lingers. */
function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
