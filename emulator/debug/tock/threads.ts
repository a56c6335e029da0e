/**
 * Tock processes as GDB threads: the thread source the GDB server uses, over the process-table
 * reader (processes.ts). Thread 1 is the core; process slot i is thread i + 2.
 *
 * @example
 *   const threads = await tockThreadSource(kernelElf);
 *   if (threads.ok) new GdbServer(target, { threads: threads.value });
 */
import { err, type Result } from '../../core/result';
import type { ThreadSource } from '../../gdb/server';

/** A thread source reading the kernel's process table through the kernel ELF's DWARF. */
export async function tockThreadSource(elf: Uint8Array): Promise<Result<ThreadSource>> {
  void elf;
  return err('the DWARF reader has not landed yet');
}
