/**
 * The two DebugTargets the lockstep compares for one mps2-an386 ELF: the subject, our emulator
 * (in this thread: single steps are cheapest here), and the oracle, QEMU under its gdbstub.
 *
 * The subject runs without halting debug, as QEMU models none (BKPT must take HardFault on both
 * sides). The oracle single-steps with interrupts and timers enabled (`Qqemu.sstep=1`), so an
 * interrupt a program raises is taken at the same instruction on both sides. The subject's
 * write log (the core's `onDataWrite`) tells the driver which bytes to compare after a step.
 */
import { readFileSync } from 'node:fs';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import type { GdbRemoteTarget } from '../../emulator/gdb/remote-target';
import { launchQemuGdb } from '../../emulator/node/qemu-gdb';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { createSession, type EmulatorSession } from '../../emulator/session/session';

/** QEMU's single-step flags (qqemu.sstepbits): step with IRQs and timers running. */
const SSTEP_ENABLE = 1;

export interface LockstepPair {
  subject: EmulatorTarget;
  oracle: GdbRemoteTarget;
  session: EmulatorSession;
  /** (address, size) of the subject's stores since the last call. */
  writes: () => [number, number][];
  stop(): Promise<void>;
}

export async function startPair(
  elf: string,
  opts: { collectCoverage?: boolean; semihosting?: boolean } = {},
): Promise<LockstepPair> {
  const created = createSession({
    machine: 'mps2-an386',
    collectCoverage: opts.collectCoverage ?? true,
  });
  if (!created.ok) throw new Error(created.error);
  const session = created.value;
  const loaded = session.load(new Uint8Array(readFileSync(elf)));
  if (!loaded.ok) throw new Error(loaded.error);
  const log: [number, number][] = [];
  session.core.onDataWrite = (address, size) => void log.push([address >>> 0, size]);
  const subject = new EmulatorTarget({ session, scheduler: nodeScheduler, haltingDebug: false });

  const q = await launchQemuGdb({
    kernel: elf,
    ...(opts.semihosting ? { semihosting: true } : {}),
  });
  if (!q.ok) throw new Error(q.error);
  const oracle = q.value.target;
  const sstep = await oracle.client.command(`Qqemu.sstep=${SSTEP_ENABLE.toString(16)}`);
  if (!sstep.ok || sstep.value !== 'OK') {
    await q.value.stop();
    throw new Error(
      `QEMU refused Qqemu.sstep: ${sstep.ok ? sstep.value || 'unsupported' : sstep.error}`,
    );
  }
  return {
    subject,
    oracle,
    session,
    writes: () => log.splice(0),
    async stop() {
      await subject.close();
      await q.value.stop();
    },
  };
}
