/**
 * Launches qemu-system-arm (mps2-an386) halted under its gdbstub and connects a GdbClient.
 *
 * QEMU starts with -S (halted at reset) and -icount shift=0 so its virtual time advances one
 * nanosecond per instruction, deterministically. The port is picked free by binding port 0
 * first. `Qqemu.sstep` chooses whether interrupts may be taken during single steps (the
 * harness enables them so injected IRQs are taken at the same instruction on both sides).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { GdbClient, SSTEP_ENABLE } from '../../emulator/node/gdb-client';

export interface QemuTarget {
  gdb: GdbClient;
  process: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function startQemu(
  elf: string,
  opts: { semihosting?: boolean; sstepFlags?: number } = {},
): Promise<QemuTarget> {
  const port = await freePort();
  const args = [
    '-M',
    'mps2-an386',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'null',
    '-S',
    '-gdb',
    `tcp:127.0.0.1:${port}`,
    '-icount',
    'shift=0',
    '-kernel',
    elf,
  ];
  if (opts.semihosting) args.push('-semihosting-config', 'enable=on,target=native');
  const child = spawn('qemu-system-arm', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let gdb: GdbClient;
  try {
    gdb = await GdbClient.connect('127.0.0.1', port, 10_000);
    await gdb.setSingleStepFlags(opts.sstepFlags ?? SSTEP_ENABLE);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}${err ? `\nqemu: ${err}` : ''}`, { cause: e });
  }
  return {
    gdb,
    process: child,
    stderr: () => err,
    async stop() {
      await gdb.close().catch(() => undefined);
      const t = setTimeout(() => child.kill('SIGKILL'), 1000);
      await exited;
      clearTimeout(t);
    },
  };
}
