/**
 * The Processes view's model: for each process slot in use, everything the kernel's process
 * struct records (restarts, system calls, the last one, upcalls queued and dropped, grants
 * allocated, timeslice expirations, fault policy, last fault), its memory map (flash: header,
 * binary, protected trailer; RAM: the process's data up to the app break, the grant region from
 * the kernel break to the top, each grant's allocation) and the MPU regions the kernel loads for
 * it, decoded with their subregions.
 *
 * Why a structural read: every field is taken by name from the DWARF value of
 * `kernel::process::Process` (emulator/formats/dwarf structuralValue), so a field added to the
 * struct, or moved, changes nothing here; a field this kernel does not have reads as null, which
 * the panel shows as "not recorded by this kernel" (`missing` lists them).
 *
 * MPU words are decoded per the ARMv7-M ARM: RBAR B3.5.8 (ADDR, VALID, REGION), RASR B3.5.9
 * (XN bit 28, AP bits 26:24 per table B3-15, SRD bits 15:8: each bit disables one eighth of a
 * region of 256 bytes or more, SIZE bits 5:1: 2^(SIZE+1) bytes, ENABLE bit 0).
 *
 * @example
 *   const view = await processesView(info, table, cachedMemory((a, n) => target.readMemory(a, n)));
 *   if (view.ok) view.value[0].counters.syscalls; // 41
 */
import { err, ok, type Result } from '../../core/result';
import {
  structuralValue,
  type DebugInfo,
  type ReadMemory,
  type Structural,
} from '../../formats/dwarf/index';
import abi from '../../../kernel/abi/abi.json';
import { ANCHOR_SYMBOL, ANCHOR_VERSION } from './cells';
import { describeSyscall } from './timeline';
import type { ProcessRecord, ProcessTable } from './processes';
import type { FaultRegisters } from '../../session/fault-report';

const PROCESS_TYPE = 'kernel::process::Process';
const DRIVERS = new Map(abi.drivers.map((d) => [d.number, d.name]));

/** A driver number's name from kernel/abi/abi.json, or its number in hex. */
export const driverName = (n: number): string =>
  DRIVERS.get(n >>> 0) ?? `0x${(n >>> 0).toString(16)}`;

/** One decoded MPU region (RBAR, RASR pair). */
export interface MpuRegion {
  /** Region number (RBAR.REGION when VALID is set, else the pair's index). */
  number: number;
  enabled: boolean;
  start: number;
  size: number;
  /** Eight flags, lowest subregion first: true = disabled (SRD bit set). */
  subregionsDisabled: boolean[];
  /** Privileged / unprivileged access, e.g. "RW/RO". */
  access: string;
  executeNever: boolean;
  rbar: number;
  rasr: number;
}

export interface ProcessCounters {
  restarts: number | null;
  syscalls: number | null;
  /** Timeslice expirations (the kernel's `quanta`). */
  timeslices: number | null;
  upcallsQueued: number | null;
  upcallsDropped: number | null;
  grantsAllocated: number | null;
}

/** The fault the kernel recorded for a process: the fault registers, plus what else it kept. */
export interface ProcessFault extends FaultRegisters {
  /** Any other numeric fields of the kernel's fault record (sp, lr...), by name. */
  extra: Record<string, number>;
}

export interface ProcessMemory {
  flash: { start: number; end: number; header: number | null; protected: number | null };
  ram: {
    start: number;
    end: number;
    appBreak: number | null;
    kernelBreak: number | null;
    initialBreak: number | null;
  };
  /** Grant allocations: grant number and address (0 = not allocated are left out). */
  grants: { number: number; address: number }[];
}

/** The process's subscribe table, allow table and upcall queue, as the kernel holds them. */
export interface ProcessTables {
  subscriptions: { driver: number; subscribe: number; function: number; appdata: number }[];
  allows: { driver: number; number: number; readonly: boolean; ptr: number; len: number }[];
  /** Queued upcalls, oldest first. */
  upcalls: { driver: number; subscribe: number; args: number[] }[];
}

export interface ProcessView extends Omit<ProcessRecord, 'registers'> {
  tables: ProcessTables;
  counters: ProcessCounters;
  lastSyscall: string | null;
  policy: string | null;
  fault: ProcessFault | null;
  memory: ProcessMemory;
  mpu: MpuRegion[];
  /** The process struct fields this kernel does not have (shown as not recorded). */
  missing: string[];
  /** The decoded process struct, for the grants view. */
  raw: Structural;
}

const ACCESS = ['none/none', 'RW/none', 'RW/RO', 'RW/RW', 'reserved', 'RO/none', 'RO/RO', 'RO/RO'];

/** Decodes one (RBAR, RASR) pair (ARMv7-M ARM B3.5.8, B3.5.9). */
export function decodeMpuRegion(rbar: number, rasr: number, index: number): MpuRegion {
  const sizeField = (rasr >>> 1) & 0x1f;
  const size = sizeField >= 4 ? 2 ** (sizeField + 1) : 0;
  const mask = size >= 2 ** 32 ? 0 : ~(Math.max(size, 32) - 1);
  const srd = (rasr >>> 8) & 0xff;
  return {
    number: rbar & 0x10 ? rbar & 0xf : index,
    enabled: (rasr & 1) === 1 && size > 0,
    start: (rbar & mask) >>> 0,
    size,
    // Subregions exist for regions of 256 bytes or more (B3.5.9, SRD).
    subregionsDisabled: Array.from({ length: 8 }, (_, i) => size >= 256 && ((srd >> i) & 1) === 1),
    access: ACCESS[(rasr >>> 24) & 7]!,
    executeNever: ((rasr >>> 28) & 1) === 1,
    rbar: rbar >>> 0,
    rasr: rasr >>> 0,
  };
}

/** The address ranges a region lets through (its enabled subregions merged). */
export function mpuRanges(r: MpuRegion): { start: number; end: number }[] {
  if (!r.enabled) return [];
  const sub = r.size / 8;
  const out: { start: number; end: number }[] = [];
  for (let i = 0; i < 8; i++) {
    if (r.subregionsDisabled[i]) continue;
    const start = r.start + i * sub;
    const last = out[out.length - 1];
    if (last && last.end === start) last.end = start + sub;
    else out.push({ start, end: start + sub });
  }
  return out;
}

type Obj = { [name: string]: Structural };
const isObj = (s: Structural | undefined): s is Obj =>
  typeof s === 'object' && s !== null && !Array.isArray(s);

/** A `Cell<T>` / `UnsafeCell<T>` read structurally is `{ value: { value: T } }`; unwraps it. */
function unwrapCells(s: Structural | undefined): Structural | undefined {
  let v = s;
  for (let i = 0; i < 4 && isObj(v); i++) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'value') v = v.value;
    else break;
  }
  return v;
}

/** `Option<T>` read structurally: `{ Some: { __0: T } }` or `{ None: ... }`. Null for None. */
function some(s: Structural | undefined): Structural | undefined | null {
  if (!isObj(s)) return undefined;
  if ('None' in s) return null;
  if ('Some' in s) {
    const inner = s.Some;
    return isObj(inner) && '__0' in inner ? inner.__0 : inner;
  }
  return undefined;
}

const num = (s: Structural | undefined): number | null => (typeof s === 'number' ? s : null);

/** The active variant's name of an enum read structurally (`{ Variant: payload }`). */
const variantName = (s: Structural | undefined): string | null =>
  isObj(s) && Object.keys(s).length === 1 ? Object.keys(s)[0]! : null;

/** Reads the views of the table's processes. */
export async function processesView(
  info: DebugInfo,
  table: ProcessTable,
  mem: ReadMemory,
  /** The table already read at this stop (shared with the timeline's lanes), else read here. */
  read?: ProcessRecord[],
): Promise<Result<ProcessView[]>> {
  const type = info.findType(PROCESS_TYPE);
  if (!type) return err(`no ${PROCESS_TYPE} in ${info.name}'s debug information`);
  const records = read ? ok(read) : await table.read(mem);
  if (!records.ok) return records;
  const out: ProcessView[] = [];
  for (const r of records.value) {
    // One read per slot; the struct is then decoded from the bytes in hand.
    const bytes = await mem(r.address, type.size);
    if (!bytes.ok) return err(`process slot ${r.slot} cannot be read: ${bytes.error}`);
    const raw = await structuralValue(
      { mem },
      { name: 'process', type, storage: { kind: 'bytes', bytes: bytes.value } },
      // Deep enough for Cell<Option<(u8, [u32; 4])>> and the upcall ring's entries.
      12,
      64,
    );
    if (!isObj(raw)) return err(`process slot ${r.slot} cannot be read: ${String(raw)}`);
    out.push(viewOf(r, raw));
  }
  return ok(out);
}

/** One process's view from its record and its struct read structurally (exported for tests). */
export function viewOf(r: ProcessRecord, raw: Obj): ProcessView {
  const missing: string[] = [];
  const field = (name: string): Structural | undefined => {
    if (!(name in raw)) {
      missing.push(name);
      return undefined;
    }
    return unwrapCells(raw[name]);
  };
  const count = (name: string): number | null => num(field(name));
  const layout = field('layout');
  const lay = isObj(layout) ? layout : {};
  const grantsRaw = field('grants');
  const grants = Array.isArray(grantsRaw)
    ? grantsRaw
        .map((g, number) => ({ number, address: num(unwrapCells(g)) ?? 0 }))
        .filter((g) => g.address !== 0)
    : [];
  const upcallLen = count('upcall_len');
  const mpuRaw = field('mpu');
  const pairs = isObj(mpuRaw) && Array.isArray(mpuRaw.regions) ? mpuRaw.regions : [];
  const mpu = pairs.flatMap((p, i) => {
    if (!isObj(p)) return [];
    const rbar = num(p.__0);
    const rasr = num(p.__1);
    return rbar === null || rasr === null ? [] : [decodeMpuRegion(rbar, rasr, i)];
  });
  const last = some(field('last_syscall'));
  let lastSyscall: string | null = null;
  if (isObj(last)) {
    const cls = num(last.__0);
    const args = Array.isArray(last.__1) ? last.__1.map((x) => num(x) ?? 0) : [];
    if (cls !== null) lastSyscall = describeSyscall(cls, args);
  }
  const f = some(field('last_fault'));
  let fault: ProcessFault | null = null;
  if (isObj(f)) {
    const extra: Record<string, number> = {};
    for (const [k, v] of Object.entries(f))
      if (
        typeof v === 'number' &&
        !['exception', 'cfsr', 'hfsr', 'mmfar', 'bfar', 'pc'].includes(k)
      )
        extra[k] = v;
    fault = {
      exception: num(f.exception) ?? 0,
      cfsr: num(f.cfsr) ?? 0,
      hfsr: num(f.hfsr) ?? 0,
      mmfar: num(f.mmfar) ?? 0,
      bfar: num(f.bfar) ?? 0,
      pc: num(f.pc) ?? 0,
      extra,
    };
  }
  const entries = (name: string): Obj[] => {
    const a = field(name);
    return Array.isArray(a)
      ? a.map((x) => some(unwrapCells(x))).filter((x): x is Obj => isObj(x))
      : [];
  };
  const queue = entries('upcalls');
  const allUpcalls = field('upcalls');
  const head = count('upcall_head') ?? 0;
  // The queue is a ring: `upcall_len` entries from `upcall_head`, oldest first.
  const ring = Array.isArray(allUpcalls) ? allUpcalls.map((x) => some(unwrapCells(x))) : [];
  const ordered =
    upcallLen !== null && ring.length > 0
      ? Array.from(
          { length: Math.min(upcallLen, ring.length) },
          (_, k) => ring[(head + k) % ring.length],
        )
      : queue;
  const tables: ProcessTables = {
    subscriptions: entries('subscriptions').map((x) => ({
      driver: num(x.driver) ?? 0,
      subscribe: num(x.subscribe) ?? 0,
      function: num(x.function) ?? 0,
      appdata: num(x.appdata) ?? 0,
    })),
    allows: entries('allows').map((x) => ({
      driver: num(x.driver) ?? 0,
      number: num(x.number) ?? 0,
      readonly: x.readonly === true,
      ptr: num(x.ptr) ?? 0,
      len: num(x.len) ?? 0,
    })),
    upcalls: ordered
      .filter((x): x is Obj => isObj(x))
      .map((x) => ({
        driver: num(x.driver) ?? 0,
        subscribe: num(x.subscribe) ?? 0,
        args: Array.isArray(x.args) ? x.args.map((a) => num(a) ?? 0) : [],
      })),
  };
  const policy = field('policy');
  const policyName = variantName(policy);
  const policyArg = isObj(policy) && policyName ? policy[policyName] : undefined;
  const upTo = isObj(policyArg) ? num(policyArg.__0) : null;
  const { registers: _registers, ...record } = r;
  return {
    ...record,
    counters: {
      restarts: count('restarts'),
      syscalls: count('syscalls'),
      timeslices: count('quanta'),
      upcallsQueued: upcallLen,
      upcallsDropped: count('upcalls_dropped'),
      grantsAllocated: grantsRaw === undefined ? null : grants.length,
    },
    lastSyscall,
    tables,
    policy: policyName ? (upTo !== null ? `${policyName}(${upTo})` : policyName) : null,
    fault,
    memory: {
      flash: {
        start: r.flash.start,
        end: r.flash.end,
        header: num(lay.header_size),
        protected: num(lay.protected_size),
      },
      ram: {
        start: r.ram.start,
        end: r.ram.end,
        appBreak: count('app_break'),
        kernelBreak: count('kernel_break'),
        initialBreak: num(lay.initial_break),
      },
      grants,
    },
    mpu,
    missing,
    raw,
  };
}

/**
 * What the view should say about the kernel's debug anchor: nothing when it is the version this
 * reader knows; otherwise which problem (none: an older kernel, found through its `KERNEL`
 * static instead; another version: still read by field name).
 */
export async function anchorNote(info: DebugInfo, mem: ReadMemory): Promise<string | null> {
  const found = info.findStatic(ANCHOR_SYMBOL)[0];
  if (!found)
    return `This kernel has no ${ANCHOR_SYMBOL} (built before the debug anchor): the process table was found through its KERNEL static.`;
  const t = found.type;
  const f = t.kind === 'struct' ? t.fields.find((x) => x.name === 'version') : undefined;
  if (!f) return `${ANCHOR_SYMBOL} has no version field: an anchor older than this reader.`;
  const b = await mem(found.address + f.offset, 4);
  if (!b.ok) return `${ANCHOR_SYMBOL} cannot be read: ${b.error}`;
  const v = (b.value[0]! | (b.value[1]! << 8) | (b.value[2]! << 16) | (b.value[3]! << 24)) >>> 0;
  return v === ANCHOR_VERSION
    ? null
    : `The kernel's debug anchor is version ${v}; this reader knows ${ANCHOR_VERSION}: fields are still read by name.`;
}
