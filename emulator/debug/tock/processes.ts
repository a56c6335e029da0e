/**
 * The Tock process table, read from a running (or halted) kernel through its DWARF: the first
 * piece of the pure Tock model that the debugger's Tock views build on.
 *
 * Nothing here knows an offset: every layout is resolved by type and field name in the kernel's
 * debug information (emulator/formats/dwarf), from the structures in kernel/kernel/src:
 * - the table: the `KERNEL` static (the board's `static_kernel!` expansion; its type wraps
 *   `kernel::kernel::Kernel`), whose `processes: &'static [Process]` is a slice (`data_ptr`,
 *   `length`). A dedicated kernel debug anchor symbol is planned; `PROCESS_TABLE_ANCHORS` is
 *   where it goes first;
 * - each `kernel::process::Process`: `name: Cell<&'static str>`, `state: Cell<State>` (an enum
 *   whose variant names are Tock's: Unused, Running, Yielded, YieldedFor, Faulted,
 *   Terminated), `stopped: Cell<bool>` (shown as "Stopped", as the process console does),
 *   `id`, `layout: Cell<Layout>` (flash and RAM ranges) and `stored: Cell<StoredState>` (r4-r11,
 *   the process stack pointer and the pc of its last stop; kernel/kernel/src/platform.rs);
 *   `Cell<T>` is read through its `value.value` (`UnsafeCell<T>`);
 * - a suspended process's other registers are the hardware exception frame at its saved stack
 *   pointer: r0-r3, r12, lr, pc, xPSR (ARMv7-M ARM B1.5.6, "Exception entry behavior"); the
 *   stack pointer before the exception is 32 bytes above it (36 when xPSR bit 9 says the frame
 *   was realigned).
 *
 * @example
 *   const table = ProcessTable.fromDebugInfo(kernelInfo);
 *   if (table.ok) {
 *     const procs = await table.value.read(cachedMemory((a, n) => target.readMemory(a, n)));
 *     // [{ slot: 0, name: 'hello', state: 'Yielded', registers: { pc: 0x40702, ... } }, ...]
 *   }
 */
import { err, ok, type Result } from '../../core/result';
import {
  activeVariant,
  type DebugInfo,
  type ReadMemory,
  type RustType,
} from '../../formats/dwarf/index';
import type { CoreRegisters } from '../target';

/** Statics tried, in order, for the kernel object that holds the process table. */
export const PROCESS_TABLE_ANCHORS = ['KERNEL'];
const KERNEL_TYPE = 'kernel::kernel::Kernel';
const PROCESS_TYPE = 'kernel::process::Process';

/** One process slot in use, as the kernel keeps it. */
export interface ProcessRecord {
  /** Slot in the process table. */
  slot: number;
  /** Address of the slot's `Process`. */
  address: number;
  name: string;
  /** Tock's state name; "Stopped" when stopped from the console. */
  state: string;
  /** Unique per incarnation (a restart gets a new one). */
  id: number;
  flash: { start: number; end: number };
  ram: { start: number; end: number };
  /** As saved at the last switch to the kernel: r4-r11, the process stack pointer, its pc. */
  stored: { regs: number[]; sp: number; pc: number };
  /**
   * Its registers as it will resume: the saved ones plus the exception frame on its stack.
   * Null when the frame cannot be read (a stack pointer outside its RAM: a corrupted process).
   */
  registers: Partial<CoreRegisters> | null;
  /**
   * Set by `withLiveCore`: the process the core was executing, or interrupted, at the reading
   * (its registers then come from the core and its fresh exception frame, not from `stored`).
   */
  onCpu?: boolean;
}

interface Field {
  offset: number;
  type: RustType;
}

/** Where everything is, resolved once per kernel image. */
interface Layout {
  kernelAddress: number;
  processes: number;
  sliceData: number;
  sliceLength: number;
  processSize: number;
  name: Field;
  strData: number;
  strLength: number;
  state: Field;
  stopped: number;
  id: number;
  flashStart: number;
  flashEnd: number;
  ramStart: number;
  ramEnd: number;
  regs: number;
  sp: number;
  pc: number;
}

const u32 = (b: Uint8Array, o: number): number =>
  ((b[o] ?? 0) | ((b[o + 1] ?? 0) << 8) | ((b[o + 2] ?? 0) << 16) | ((b[o + 3] ?? 0) << 24)) >>> 0;

/** Offset of `Kernel` inside the anchor's type (a `Single<Kernel>` wrapper, or Kernel itself). */
function kernelOffset(t: RustType, depth = 0): number | null {
  if (t.name === KERNEL_TYPE) return 0;
  if (depth > 4 || (t.kind !== 'struct' && t.kind !== 'union')) return null;
  for (const f of t.fields) {
    const inner = kernelOffset(f.type, depth + 1);
    if (inner !== null) return f.offset + inner;
  }
  return null;
}

export class ProcessTable {
  private constructor(
    private readonly info: DebugInfo,
    private readonly at: Layout,
  ) {}

  /** Resolves the table's location and the layouts; errors name what the kernel lacks. */
  static fromDebugInfo(info: DebugInfo): Result<ProcessTable> {
    let kernelAddress: number | null = null;
    for (const anchor of PROCESS_TABLE_ANCHORS) {
      for (const s of info.findStatic(anchor)) {
        const off = kernelOffset(s.type);
        if (off !== null) {
          kernelAddress = s.address + off;
          break;
        }
      }
      if (kernelAddress !== null) break;
    }
    if (kernelAddress === null)
      return err(
        `no ${KERNEL_TYPE} static (${PROCESS_TABLE_ANCHORS.join(', ')}) in ${info.name}'s debug information: is it our kernel, built with debug info?`,
      );
    const field = (type: string, path: string): Result<Field> => info.fieldOffset(type, path);
    const need: Record<string, Result<Field>> = {
      processes: field(KERNEL_TYPE, 'processes'),
      name: field(PROCESS_TYPE, 'name.value.value'),
      state: field(PROCESS_TYPE, 'state.value.value'),
      stopped: field(PROCESS_TYPE, 'stopped.value.value'),
      id: field(PROCESS_TYPE, 'id.value.value'),
      flashStart: field(PROCESS_TYPE, 'layout.value.value.flash_start'),
      flashEnd: field(PROCESS_TYPE, 'layout.value.value.flash_end'),
      ramStart: field(PROCESS_TYPE, 'layout.value.value.ram_start'),
      ramEnd: field(PROCESS_TYPE, 'layout.value.value.ram_end'),
      regs: field(PROCESS_TYPE, 'stored.value.value.regs'),
      sp: field(PROCESS_TYPE, 'stored.value.value.sp'),
      pc: field(PROCESS_TYPE, 'stored.value.value.pc'),
    };
    for (const [k, r] of Object.entries(need))
      if (!r.ok) return err(`the kernel's process table has no ${k}: ${r.error}`);
    const get = (k: string): Field => (need[k] as { ok: true; value: Field }).value;
    const slice = get('processes').type;
    const strType = get('name').type;
    const member = (t: RustType, name: string): number | null =>
      t.kind === 'struct' ? (t.fields.find((f) => f.name === name)?.offset ?? null) : null;
    const sliceData = member(slice, 'data_ptr');
    const sliceLength = member(slice, 'length');
    const strData = member(strType, 'data_ptr');
    const strLength = member(strType, 'length');
    if (sliceData === null || sliceLength === null || strData === null || strLength === null)
      return err(`the kernel's slices are not (data_ptr, length) pairs in its debug information`);
    if (get('state').type.kind !== 'enum')
      return err(`kernel::process::State is not an enum in the debug information`);
    const process = info.findType(PROCESS_TYPE);
    if (!process || process.size <= 0) return err(`no size for ${PROCESS_TYPE}`);
    return ok(
      new ProcessTable(info, {
        kernelAddress,
        processes: get('processes').offset,
        sliceData,
        sliceLength,
        processSize: process.size,
        name: get('name'),
        strData,
        strLength,
        state: get('state'),
        stopped: get('stopped').offset,
        id: get('id').offset,
        flashStart: get('flashStart').offset,
        flashEnd: get('flashEnd').offset,
        ramStart: get('ramStart').offset,
        ramEnd: get('ramEnd').offset,
        regs: get('regs').offset,
        sp: get('sp').offset,
        pc: get('pc').offset,
      }),
    );
  }

  /** The slots in use, in table order. Memory comes from the target (cache it per stop). */
  async read(mem: ReadMemory): Promise<Result<ProcessRecord[]>> {
    const slots = await this.slots(mem);
    if (!slots.ok) return slots;
    const at = this.at;
    const out: ProcessRecord[] = [];
    for (const s of slots.value) {
      const p = s.bytes;
      const stored = {
        regs: Array.from({ length: 8 }, (_, i) => u32(p, at.regs + 4 * i)),
        sp: u32(p, at.sp),
        pc: u32(p, at.pc),
      };
      out.push({
        slot: s.slot,
        address: s.address,
        name: s.name,
        state: p[at.stopped] ? 'Stopped' : s.state,
        id: s.id,
        flash: { start: u32(p, at.flashStart), end: u32(p, at.flashEnd) },
        ram: s.ram,
        stored,
        registers: await suspendedRegisters(mem, stored.regs, stored.sp, s.ram),
      });
    }
    return ok(out);
  }

  /**
   * The slots in use with what names them (name, RAM block, incarnation id), and no registers:
   * what the Timeline's lanes need at every poll while the machine runs. The slots are read in
   * one piece (the table is one array of `Process`), so on a target across a worker this is two
   * reads plus one per name not yet in `names` (a name is a `&'static str`: its bytes never
   * change at an address; key `address:length`), not a read per 64-byte line of every slot.
   */
  async slots(
    mem: ReadMemory,
    names?: Map<string, string>,
  ): Promise<
    Result<
      {
        slot: number;
        address: number;
        name: string;
        state: string;
        id: number;
        ram: { start: number; end: number };
        bytes: Uint8Array;
      }[]
    >
  > {
    const at = this.at;
    const head = await mem(at.kernelAddress + at.processes, 8);
    if (!head.ok) return err(`cannot read the kernel's process table: ${head.error}`);
    const base = u32(head.value, at.sliceData);
    const count = u32(head.value, at.sliceLength);
    if (count > 64) return err(`the process table says it has ${count} slots: not believable`);
    const all = count > 0 ? await mem(base, count * at.processSize) : ok(new Uint8Array(0));
    if (!all.ok) return err(`cannot read the ${count} process slots: ${all.error}`);
    const out = [];
    for (let slot = 0; slot < count; slot++) {
      const address = base + slot * at.processSize;
      const p = all.value.subarray(slot * at.processSize, (slot + 1) * at.processSize);
      const variant = await activeVariant({ mem }, at.state.type as RustType & { kind: 'enum' }, {
        kind: 'bytes',
        bytes: p.subarray(at.state.offset, at.state.offset + at.state.type.size),
      });
      const state = variant.ok && variant.value ? variant.value.name : 'Unknown';
      if (state === 'Unused') continue;
      const nameLen = Math.min(u32(p, at.name.offset + at.strLength), 64);
      const nameAt = u32(p, at.name.offset + at.strData);
      const key = `${nameAt}:${nameLen}`;
      let name = names?.get(key);
      if (name === undefined) {
        name = `process ${slot}`;
        if (nameLen > 0) {
          const bytes = await mem(nameAt, nameLen);
          if (bytes.ok) {
            name = new TextDecoder().decode(bytes.value);
            names?.set(key, name);
          }
        }
      }
      const ram = { start: u32(p, at.ramStart), end: u32(p, at.ramEnd) };
      out.push({ slot, address, name, state, id: u32(p, at.id), ram, bytes: p });
    }
    return ok(out);
  }

  /**
   * Where a slot's `stopped` flag lives: the one word the kernel's process console writes for
   * `stop` and for `start` of a live process (nothing else changes), so a debugger writing it
   * while the target is halted does exactly what the console would.
   */
  stoppedAddress(slotAddress: number): number {
    return (slotAddress + this.at.stopped) >>> 0;
  }

  /** Where the kernel keeps the table's length (the slice's `length` word). */
  get lengthAddress(): number {
    return (this.at.kernelAddress + this.at.processes + this.at.sliceLength) >>> 0;
  }

  /** The kernel image this table was resolved in. */
  get kernelName(): string {
    return this.info.name;
  }
}

/**
 * Corrects the records with the live core (ARMv7-M ARM B1.4.4, B1.5.6, B1.5.8): the saved
 * context of the process on the CPU is stale, because the kernel's fast system-call path returns
 * to the process straight from the SVC handler without saving it (kernel/arch/cortex-m:
 * `cm_svc_handler`), and PSP moves while the process runs. The process whose RAM holds PSP is
 * - running (Thread mode on the process stack): its registers are the core's;
 * - interrupted (an exception handler, and PSP is not the stack pointer the kernel saved, so the
 *   kernel did not switch away from it): r0-r3, r12, lr, pc, xPSR are the exception frame at
 *   PSP; r4-r11 are the core's only at the handler's first instruction (lr is still the
 *   EXC_RETURN to Thread mode on PSP), and otherwise unknown (left out): the handler may have
 *   used them.
 * Returns the slot of that process, or null (the kernel thread runs: every saved context holds).
 */
export async function withLiveCore(
  records: ProcessRecord[],
  core: CoreRegisters,
  mem: ReadMemory,
): Promise<number | null> {
  const inHandler = (core.xpsr & 0x1ff) !== 0;
  const onPsp = (core.control & 2) !== 0;
  const p = records.find((r) => core.psp >= r.ram.start && core.psp < r.ram.end);
  if (!p) return null;
  if (!inHandler && onPsp) {
    p.registers = { ...core, sp: core.psp };
    p.onCpu = true;
    return p.slot;
  }
  const atEntry = (core.lr & 0xfffffff0) >>> 0 === 0xfffffff0 && (core.lr & 0xc) === 0xc;
  if (!inHandler || (!atEntry && p.stored.sp === core.psp)) return null;
  const high = [core.r4, core.r5, core.r6, core.r7, core.r8, core.r9, core.r10, core.r11];
  const regs = await suspendedRegisters(mem, high, core.psp, p.ram);
  if (!regs) return null;
  if (!atEntry) for (const n of HIGH_NAMES) delete regs[n];
  p.registers = regs;
  p.onCpu = true;
  return p.slot;
}

const HIGH_NAMES = ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11'] as const;

/**
 * A suspended context's registers: r4-r11 as given, the rest from the exception frame at `sp`
 * (ARMv7-M ARM B1.5.6). Null when the frame is not inside `ram` or cannot be read.
 */
export async function suspendedRegisters(
  mem: ReadMemory,
  highRegs: number[],
  sp: number,
  ram: { start: number; end: number },
): Promise<Partial<CoreRegisters> | null> {
  if (sp < ram.start || sp + 32 > ram.end) return null;
  const frame = await mem(sp, 32);
  if (!frame.ok) return null;
  const f = (i: number): number => u32(frame.value, 4 * i);
  const xpsr = f(7);
  const regs: Partial<CoreRegisters> = {
    r0: f(0),
    r1: f(1),
    r2: f(2),
    r3: f(3),
    r12: f(4),
    lr: f(5),
    pc: f(6),
    xpsr,
    sp: (sp + 32 + (xpsr & (1 << 9) ? 4 : 0)) >>> 0,
    psp: (sp + 32 + (xpsr & (1 << 9) ? 4 : 0)) >>> 0,
  };
  HIGH_NAMES.forEach((n, i) => (regs[n] = highRegs[i] ?? 0));
  return regs;
}
