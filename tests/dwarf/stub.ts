/**
 * QEMU's gdbstub as the DWARF checks use it: a `DebugTarget` (the GDB remote target of
 * emulator/gdb) that can also let go of the halted machine without resuming it, so that
 * gdb-multiarch can attach to the same stop.
 *
 * The target's own `close()` detaches, which lets QEMU run on; `disconnect()` closes the
 * connection only (QEMU stays halted and accepts the next client).
 */
import { err, ok, type Result } from '../../emulator/core/result';
import type { GdbRemoteClient } from '../../emulator/gdb/client';
import { openGdbRemoteTarget, type GdbRemoteTarget } from '../../emulator/gdb/remote-target';
import type { CoreRegisterName, StopInfo } from '../../emulator/debug/target';
import { connectGdb } from '../../emulator/node/gdb-socket';

export class Stub {
  private constructor(
    private readonly client: GdbRemoteClient,
    readonly target: GdbRemoteTarget,
  ) {}

  static async connect(port: number): Promise<Stub> {
    const c = await connectGdb('127.0.0.1', port, { retryMs: 10_000 });
    if (!c.ok) throw new Error(c.error);
    const t = await openGdbRemoteTarget(c.value, { label: `QEMU gdbstub :${port}` });
    if (!t.ok) throw new Error(t.error);
    return new Stub(c.value, t.value);
  }

  /** Runs until the next stop; interrupts after `ms`. 'closed' when the machine exited. */
  async cont(ms: number): Promise<StopInfo | 'closed'> {
    const t = this.target;
    const stopped = new Promise<StopInfo | 'closed'>((resolve) => {
      const off = t.onEvent((e) => {
        if (e.kind === 'stopped' || e.kind === 'closed') {
          off();
          resolve(e.kind === 'stopped' ? e.stop : 'closed');
        }
      });
    });
    const r = await t.resume();
    if (!r.ok) throw new Error(r.error);
    const timer = setTimeout(() => void t.halt(), Math.max(1000, ms));
    try {
      return await stopped;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The core registers by name. MSP and PSP only when the stub describes them (QEMU 7.2 does
   * not; the target then reports 0, which must not be taken for a stack pointer).
   */
  async registers(): Promise<Record<string, number>> {
    const r = await this.target.readRegisters();
    if (!r.ok) throw new Error(r.error);
    const out: Record<string, number> = { ...r.value };
    for (const name of ['msp', 'psp'] as const)
      if (!(await this.target.readRegister(name)).ok) delete out[name];
    return out;
  }

  async write(name: CoreRegisterName, value: number): Promise<Result<void>> {
    return this.target.writeRegister(name, value >>> 0);
  }

  readMemory(address: number, length: number): Promise<Result<Uint8Array>> {
    return this.target.readMemory(address, length);
  }

  async step(): Promise<void> {
    const r = await this.target.step();
    if (!r.ok) throw new Error(r.error);
  }

  async arm(addresses: Iterable<number>): Promise<Result<void>> {
    for (const a of addresses) {
      const r = await this.target.setBreakpoint(a);
      if (!r.ok) return err(r.error);
    }
    return ok(undefined);
  }

  /** Closes the connection without detaching: the machine stays halted. */
  disconnect(): void {
    this.client.close('handing the halted machine to another client');
  }
}
