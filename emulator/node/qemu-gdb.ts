/**
 * QEMU under its gdbstub as a `DebugTarget`: launches qemu-system-arm halted (`-S`) with a
 * gdbstub on a free loopback port and connects a GDB remote target to it.
 *
 * Used by the lockstep harness (QEMU is the oracle), the kernel tests that prove the GDB remote
 * target, and anyone who wants to debug the mps2-an386 kernel under QEMU. `-icount shift=0`
 * (default on) makes QEMU's virtual time advance one nanosecond per instruction, so runs are
 * deterministic. The board's UART0 can be captured (`serial: 'capture'`). A missing
 * qemu-system-arm is reported with the Debian package that provides it.
 *
 * @example
 *   const q = await launchQemuGdb({ kernel: 'kernel.elf' });
 *   if (!q.ok) throw new Error(q.error);
 *   await q.value.target.setBreakpoint(0x1000);
 *   await q.value.target.resume();
 *   await q.value.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { err, ok, type Result } from '../core/result';
import type { GdbRemoteTarget } from '../gdb/remote-target';
import { connectGdbTarget } from './gdb-socket';
import { findTool } from './tools';

export interface QemuGdbOptions {
  /** QEMU machine (default mps2-an386). */
  machine?: string;
  /** ELF given to `-kernel`. */
  kernel: string;
  /** Raw files placed in memory by QEMU's generic loader (apps.bin at the apps start). */
  loaders?: { file: string; address: number }[];
  /** -icount shift=0 (default true). */
  icount?: boolean;
  semihosting?: boolean;
  /**
   * UART0: discarded (default), collected for `serialOutput()`, or 'pipe': collected, handed to
   * `onSerial` as it comes, and writable with `writeSerial` (an IDE console).
   */
  serial?: 'null' | 'capture' | 'pipe';
  /** With `serial: 'pipe'`: the board's UART0 output as it arrives. */
  onSerial?: (bytes: Uint8Array) => void;
  /** Board name for the target's description. */
  board?: string;
  /** Longest wait for the gdbstub to accept the connection. Default 10 s. */
  connectMs?: number;
  /** Environment QEMU is looked up in (PATH) and run with. Default: this process's. */
  env?: NodeJS.ProcessEnv;
}

export interface QemuGdbSession {
  target: GdbRemoteTarget;
  process: ChildProcess;
  /** What QEMU wrote on stderr so far. */
  stderr(): string;
  /** UART0 output so far (with `serial: 'capture'` or 'pipe'). */
  serialOutput(): string;
  /** Types into UART0 (with `serial: 'pipe'`). */
  writeSerial?(bytes: Uint8Array): Result<void>;
  /** Closes the target and ends QEMU. */
  stop(): Promise<void>;
}

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function launchQemuGdb(opts: QemuGdbOptions): Promise<Result<QemuGdbSession>> {
  const qemu = findTool('qemu-system-arm', opts.env);
  if (!qemu.ok) return qemu;
  const port = await freePort();
  const machine = opts.machine ?? 'mps2-an386';
  const args = [
    '-M',
    machine,
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    opts.serial === 'capture' || opts.serial === 'pipe' ? 'stdio' : 'null',
    '-S',
    '-gdb',
    `tcp:127.0.0.1:${port}`,
    ...(opts.icount === false ? [] : ['-icount', 'shift=0']),
    '-kernel',
    opts.kernel,
    ...(opts.loaders ?? []).flatMap((l) => [
      '-device',
      `loader,file=${l.file},addr=0x${l.address.toString(16)}`,
    ]),
    ...(opts.semihosting ? ['-semihosting-config', 'enable=on,target=native'] : []),
  ];
  const child = spawn(qemu.value, args, {
    stdio: [opts.serial === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: opts.env } : {}),
  });
  let stderr = '';
  let serial = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.on('data', (d: Buffer) => {
    serial += d.toString('latin1');
    opts.onSerial?.(new Uint8Array(d));
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const spawnError = new Promise<string>((resolve) =>
    child.once('error', (e) => resolve(e.message)),
  );
  const kill = async (): Promise<void> => {
    if (exited) return;
    const t = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.kill('SIGTERM');
    await exit;
    clearTimeout(t);
  };
  const connected = await Promise.race([
    connectGdbTarget('127.0.0.1', port, {
      label: `QEMU ${machine} gdbstub at 127.0.0.1:${port}`,
      flavor: 'qemu',
      onClose: 'kill',
      retryMs: opts.connectMs ?? 10_000,
      ...(opts.board ? { board: opts.board } : {}),
    }),
    spawnError.then((m) => err(`qemu-system-arm could not start: ${m}`)),
    exit.then(() => err(`qemu-system-arm exited before its gdbstub answered`)),
  ]);
  if (!connected.ok) {
    await kill();
    return err(`${connected.error}${stderr ? `\nqemu: ${stderr.trim()}` : ''}`);
  }
  const target = connected.value;
  return ok({
    target,
    process: child,
    stderr: () => stderr,
    serialOutput: () => serial,
    ...(opts.serial === 'pipe'
      ? {
          writeSerial(bytes: Uint8Array): Result<void> {
            if (exited || !child.stdin?.writable) return err('QEMU has exited');
            child.stdin.write(bytes);
            return ok(undefined);
          },
        }
      : {}),
    async stop() {
      await target.close().catch(() => undefined);
      await kill();
    },
  });
}
