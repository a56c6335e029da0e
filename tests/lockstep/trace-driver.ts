/**
 * Trace oracle: compares our emulator with QEMU's own per-instruction register trace
 * (qemu-trace.ts), instruction by instruction, r0-r15 and xPSR before every instruction.
 *
 * Our core runs interpreted with its `onInstruction` observer, which checks each instruction
 * against the next record of QEMU's log. The translator is held to the interpreter by the
 * differential tests (tests/differential), so this pins both to QEMU.
 *
 * Asynchronous events cannot line up by themselves (QEMU's timers count virtual nanoseconds per
 * instruction, ours count cycles), so for firmware that takes interrupts (`replay`), QEMU's
 * trace drives them: our devices' interrupt lines and SysTick are cut from the NVIC, and when
 * QEMU's next record shows an exception entry ours did not make (IPSR of an interrupt, PC
 * elsewhere), the same exception is taken here at the same instruction boundary. Values read
 * from devices (whose timing differs too) are adopted from QEMU's next record for the registers
 * the load wrote. Both are counted and reported; everything else must match exactly.
 *
 * Usage:
 *   const r = await compareWithQemuTrace({ elf, maxInstructions: 1e7, semihosting: true,
 *     args: ['bench', '40'] });
 *   expect(r.divergence).toBeNull();
 */
import { readFileSync } from 'node:fs';
import { CORE_REGISTER_NAMES } from '../../emulator/debug/target';
import { createSession, type ImageFile } from '../../emulator/session/session';
import { disassembly } from './assemble';
import { startQemuTrace, type TraceRecord } from './qemu-trace';

export interface TraceCompareOptions {
  elf: string;
  /** Stop after comparing this many instructions. */
  maxInstructions: number;
  semihosting?: boolean;
  /** Semihosting command line (program name and arguments). */
  args?: string[];
  /** Let QEMU's trace drive interrupts and device reads (see the header). */
  replay?: boolean;
  /** A raw image loaded at `address` beside the ELF (the kernel's apps.bin). */
  extra?: { file: string; address: number };
  /**
   * QEMU with its instruction counter (qemu-trace.ts): interrupts at the same instruction every
   * run, so a replayed run is deterministic; its repeated records are skipped (`repeated`).
   */
  icount?: boolean;
}

export interface TraceCompareResult {
  compared: number;
  divergence: string | null;
  seconds: number;
  /** Interrupts taken because QEMU took them (replay). */
  injected: number;
  /** Device reads whose value was taken from QEMU (replay). */
  adopted: number;
  /** Handler entries where only the (UNKNOWN) APSR flags differed. */
  entryFlags: number;
  /** Interrupts QEMU took in place of an instruction it had logged (taken before it here). */
  abandoned: number;
  /** Why the run ended: 'limit', QEMU's exit, or our stop reason. */
  end: string;
  /** Records skipped as QEMU's repeats of an I/O instruction (icount). */
  repeated: number;
  /** Instructions compared before the first replayed interrupt (-1: none). */
  firstInterrupt: number;
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
/** r0-r15 and xPSR: the registers each trace record holds, in its order. */
const NAMES = CORE_REGISTER_NAMES.slice(0, 17);

export async function compareWithQemuTrace(opts: TraceCompareOptions): Promise<TraceCompareResult> {
  const started = Date.now();
  const created = createSession({
    machine: 'mps2-an386',
    semihosting: opts.semihosting ?? false,
    translate: false,
    ...(opts.args ? { cmdline: opts.args.join(' ') } : {}),
  });
  if (!created.ok) throw new Error(created.error);
  const session = created.value;
  const core = session.core;
  const files: ImageFile[] = [{ name: opts.elf, bytes: new Uint8Array(readFileSync(opts.elf)) }];
  if (opts.extra)
    files.push({
      name: opts.extra.file,
      bytes: new Uint8Array(readFileSync(opts.extra.file)),
      address: opts.extra.address,
    });
  const loaded = session.loadFiles(files);
  if (!loaded.ok) throw new Error(loaded.error);

  let injected = 0;
  let adopted = 0;
  let deviceRead = false;
  let repeated = 0;
  let firstInterrupt = -1;
  /** The record of the instruction compared last (icount's repeated records). */
  let last: TraceRecord | null = null;
  let entryFlags = 0;
  let abandoned = 0;
  let prevIpsr = 0;
  if (opts.replay) {
    // Interrupts come from QEMU's trace only: cut the devices' lines and SysTick's pend.
    const exc = core.exc;
    const setPending = exc.setPending.bind(exc);
    exc.setPending = (e: number): void => {
      if (e < 15) setPending(e);
    };
    core.irq.setLevel = () => undefined;
    core.irq.pulse = () => undefined;
    // Every device access reaches this listener, also those the core's fast paths make
    // without `Bus.read` (its device windows, the System Control Space).
    core.bus.onDeviceAccess = (write) => {
      if (!write) deviceRead = true;
    };
  }

  const trace = startQemuTrace(opts.elf, {
    ...(opts.semihosting ? { semihosting: true } : {}),
    ...(opts.args ? { args: opts.args } : {}),
    ...(opts.extra ? { loader: opts.extra } : {}),
    ...(opts.icount ? { icount: true } : {}),
  });
  const queue: TraceRecord[] = [];
  let qi = 0;
  let compared = 0;
  let divergence: string | null = null;
  const history: number[] = [];

  const ours = (): number[] => [
    ...Array.from({ length: 16 }, (_, i) => core.readRegister(i)),
    core.readSpecial('xpsr'),
  ];
  const r = core.r;
  const same = (rec: TraceRecord, pc: number): boolean => {
    for (let i = 0; i < 15; i++) if (r[i]! >>> 0 !== rec[i]) return false;
    return pc >>> 0 === rec[15] && core.xpsr === rec[16];
  };
  const diff = (rec: TraceRecord): number[] => {
    const o = ours();
    const bad: number[] = [];
    for (let i = 0; i < 17; i++) if (o[i] !== rec[i]) bad.push(i);
    return bad;
  };
  const describe = (rec: TraceRecord, bad: number[]): string =>
    bad.map((i) => `${NAMES[i]}: emulator ${hex(ours()[i]!)} qemu ${hex(rec[i]!)}`).join('\n');

  let starved = false;
  core.onInstruction = (pc: number): boolean => {
    if (qi + 1 >= queue.length) {
      // Replayed interrupts used records without instructions: stop until more arrive.
      starved = true;
      core.requestHalt();
      return true;
    }
    let rec = queue[qi]!;
    while (opts.icount && last !== null && rec[15] !== pc >>> 0) {
      // With -icount QEMU runs an instruction that does I/O again (the first, logged, attempt
      // is abandoned and the instruction retranslated to end its block), sometimes more than
      // once: the log then holds the state before it twice or more. We ran it once, so skip
      // the copies.
      let dup = true;
      for (let i = 0; i < 17 && dup; i++) if (last[i] !== rec[i]) dup = false;
      if (!dup) break;
      qi++;
      repeated++;
      if (qi + 1 >= queue.length) {
        starved = true;
        core.requestHalt();
        return true;
      }
      rec = queue[qi]!;
    }
    if (compared === 0) {
      // APSR is UNKNOWN after reset (B1.5.5); QEMU leaves Z set. Start from QEMU's flags.
      core.setApsr((core.xpsr & 0x07ffffff) | (rec[16]! & 0xf8000000));
    }
    const qIpsr = rec[16]! & 0x1ff;
    if (opts.replay && qIpsr >= 15 && qIpsr !== core.ipsr && rec[15]! >>> 0 !== pc >>> 0) {
      // QEMU took an interrupt before this instruction: take the same one here.
      core.exc.pending[qIpsr] = 1;
      if (core.exc.takePending()) {
        if (injected++ === 0) firstInterrupt = compared;
        return true;
      }
      core.exc.pending[qIpsr] = 0;
    }
    if (opts.replay && qi + 1 < queue.length && same(rec, pc)) {
      // QEMU logs a block before it checks for an interrupt raised meanwhile (from its timer
      // thread, or with icount when the instruction budget to the next timer event ran out):
      // the block it logged last is then abandoned before it runs, and the next record is the
      // handler. Seen from
      // here: the next record is an interrupt entry whose registers and flags are still the
      // ones before this instruction. Take the interrupt now instead of after it.
      const next = queue[qi + 1]!;
      const e = next[16]! & 0x1ff;
      if (e >= 15 && e !== (rec[16]! & 0x1ff) && ((next[16]! ^ rec[16]!) & 0xf8000000) === 0) {
        // r0-r12 and the flags as before this instruction, SP where stacking from here puts it.
        let unchanged = next[13] === ((rec[13]! - 0x20) & ~7) >>> 0;
        for (let i = 0; i < 13 && unchanged; i++) if (next[i] !== rec[i]) unchanged = false;
        if (unchanged) {
          qi++;
          compared++;
          history[compared & 15] = pc >>> 0;
          core.exc.pending[e] = 1;
          if (core.exc.takePending()) {
            if (injected++ === 0) firstInterrupt = compared;
            abandoned++;
            prevIpsr = rec[16]! & 0x1ff;
            return true;
          }
          core.exc.pending[e] = 0;
          qi--;
          compared--;
        }
      }
    }
    let bad = same(rec, pc) ? [] : diff(rec);
    if (bad.length && opts.replay && deviceRead && bad.every((i) => i < 13 || i === 14)) {
      // The last instruction loaded from a device: QEMU's device gave these values.
      for (const i of bad) core.r[i] = rec[i]! | 0;
      adopted++;
      bad = diff(rec);
    }
    deviceRead = false;
    if (
      bad.length === 1 &&
      bad[0] === 16 &&
      (rec[16]! & 0x1ff) !== prevIpsr &&
      (rec[16]! & 0x1ff) !== 0
    ) {
      // ExceptionTaken leaves APSR UNKNOWN (ARMv7-M ARM B1.5.6): on a handler's first
      // instruction only the flags may differ. The stacked xPSR is what the return restores,
      // and the comparison after the return checks it.
      if (((core.xpsr ^ rec[16]!) & 0x07ffffff) === 0) {
        core.setApsr(rec[16]!);
        entryFlags++;
        bad = [];
      }
    }
    prevIpsr = rec[16]! & 0x1ff;
    if (bad.length) {
      divergence = `first divergence before instruction ${compared} (pc ${hex(pc)}):\n${describe(rec, bad)}`;
      core.requestHalt();
      return true;
    }
    history[compared & 15] = pc >>> 0;
    last = rec;
    qi++;
    compared++;
    return false;
  };

  let end = 'limit';
  try {
    await trace.ready();
    outer: for (let batch = trace.next(8192); batch !== null; batch = trace.next(8192)) {
      if (qi > 0) {
        queue.splice(0, qi);
        qi = 0;
      }
      for (const rec of batch) queue.push(rec);
      while (qi < queue.length && compared < opts.maxInstructions && divergence === null) {
        // One record stays ahead (an interrupt entry decides about the instruction before it).
        const budget = Math.min(queue.length - qi - 1, opts.maxInstructions - compared);
        if (budget <= 0) break;
        const stop = core.run(budget);
        if (divergence !== null) break outer;
        if (stop.kind === 'idle' || (stop.kind === 'limit' && core.sleeping !== 0)) {
          // Asleep in WFI: QEMU's next record says which interrupt woke it.
          const next = queue[qi];
          if (next === undefined) break;
          const e = next[16]! & 0x1ff;
          if (!opts.replay || e < 15) {
            divergence = `emulator asleep before instruction ${compared} while QEMU runs on at ${hex(next[15]!)}`;
            break outer;
          }
          core.exc.pending[e] = 1;
          core.attention = true;
          continue;
        }
        if (stop.kind === 'halted' && starved) {
          starved = false;
          break;
        }
        if (stop.kind !== 'limit') {
          end = JSON.stringify(stop);
          break outer;
        }
      }
      if (compared >= opts.maxInstructions || divergence !== null) break;
    }
  } finally {
    core.onInstruction = null;
    await trace.stop();
  }
  if (divergence === null && compared < opts.maxInstructions && end === 'limit') {
    end = `QEMU ended after ${compared} instructions`;
  }
  if (divergence !== null) {
    const dis = disassembly(opts.elf);
    const last = Array.from(
      { length: Math.min(16, compared) },
      (_, i) => history[(compared - Math.min(16, compared) + i) & 15]!,
    );
    const lines = last.map((pc) => `  ${hex(pc)}  ${dis.get(pc) ?? '(not in image)'}`);
    divergence = `${divergence}\nlast instructions:\n${lines.join('\n')}`;
  }
  return {
    compared,
    divergence,
    seconds: (Date.now() - started) / 1000,
    injected,
    adopted,
    entryFlags,
    abandoned,
    end,
    repeated,
    firstInterrupt,
  };
}
