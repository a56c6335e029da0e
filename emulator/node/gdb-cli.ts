/**
 * `npm run emulator -- --machine nrf52840dk --gdb [PORT] IMAGE...`: the emulator as a GDB
 * server for gdb-multiarch, Cortex-Debug and other front ends.
 *
 * Builds the in-process emulator target (emulator/debug/emulator-target.ts) from the images,
 * serves it on 127.0.0.1:PORT (default 3333) and carries the console: UART output to stdout,
 * stdin to the console UART. The board runs from the start (a debugger attaching halts it, as a
 * probe does) unless `--gdb-wait` keeps it halted at the reset vector until a client continues.
 * When the first image is an ELF with DWARF, Tock's processes are offered as threads and
 * `monitor tock list` shows the process table. Ctrl-C or SIGTERM stops the server.
 *
 * @example
 *   npm run emulator -- --machine nrf52840dk --gdb 3333 kernel.elf apps.bin@0x40000
 *   gdb-multiarch kernel.elf -ex 'target extended-remote :3333'
 */
import { readFileSync } from 'node:fs';
import type { ImageFile } from '../session/session';
import { createEmulatorTarget } from '../debug/emulator-target';
import { tockThreadSource } from '../debug/tock/threads';
import { GDB_SLICE_MS, startGdbServer } from './gdb-server';
import { nodeScheduler } from './scheduler';

export interface GdbCliOptions {
  machine: string;
  port: number;
  wait: boolean;
  pace: 'realtime' | 'fast' | undefined;
  files: ImageFile[];
  /** Path of the first image (an ELF gives symbols for threads). */
  elfPath: string | null;
  /** Where server log lines go (stderr). */
  log: (line: string) => void;
}

/** Runs until SIGINT/SIGTERM; returns the exit status (2 for a bad image or a busy port). */
export async function runGdbServer(o: GdbCliOptions): Promise<number> {
  const t = createEmulatorTarget(
    {
      machine: o.machine,
      files: o.files,
      board: o.machine,
      target: { sliceMs: GDB_SLICE_MS, ...(o.pace ? { pace: o.pace } : {}) },
    },
    nodeScheduler,
  );
  if (!t.ok) {
    o.log(t.error);
    return 2;
  }
  const target = t.value;
  let elf: Uint8Array | null = null;
  if (o.elfPath) {
    try {
      elf = new Uint8Array(readFileSync(o.elfPath));
    } catch {
      elf = null;
    }
  }
  const threads = elf ? await tockThreadSource(elf) : null;
  if (threads && !threads.ok) o.log(`[gdb] no Tock threads: ${threads.error}`);
  const server = await startGdbServer(target, {
    port: o.port,
    log: (line) => o.log(`[gdb] ${line}`),
    ...(threads?.ok ? { threads: threads.value } : {}),
  });
  if (!server.ok) {
    o.log(server.error);
    await target.close();
    return 2;
  }
  target.onEvent((e) => {
    if (e.kind === 'console') (e.port === 2 ? process.stderr : process.stdout).write(e.bytes);
    else if (e.kind === 'diagnostic') o.log(`[emulator] ${e.message}`);
  });
  if (!process.stdin.isTTY) {
    process.stdin.on('data', (d: Buffer) => void target.writeConsole(0, new Uint8Array(d)));
    process.stdin.on('error', () => undefined);
  }
  const port = server.value.port;
  o.log(
    `[gdb] GDB server for the emulated ${o.machine} on 127.0.0.1:${port}${o.wait ? ' (halted at the reset vector)' : ''}`,
  );
  o.log(
    `[gdb] connect: gdb-multiarch ${o.elfPath ?? 'kernel.elf'} -ex 'target extended-remote :${port}'`,
  );
  if (!o.wait) await target.resume();
  await new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    target.onEvent((e) => e.kind === 'closed' && resolve());
  });
  await server.value.close();
  await target.close();
  process.stdin.pause();
  process.stdin.unref?.();
  return 0;
}
