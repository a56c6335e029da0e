/**
 * Register view model: what the Peripherals panel shows of an SVD, and what it may read.
 *
 * The panel refreshes many registers many times a second, on the emulator and on real chips.
 * Reading a register can change the chip: a UART's RXD pops its receive FIFO, a clear-on-read
 * status register loses its flags (a peripheral viewer that reads them anyway breaks the very
 * UART or SPI transfer being debugged). So every register gets a read policy here, from the SVD
 * alone: `live` registers are read at each refresh; registers whose SVD `readAction` (CMSIS-SVD
 * 1.3, "register" and "field" elements: clear, set, modify, modifyExternal) says a read has an
 * effect are `on-demand` (read only when the person asks, with an ordinary bus access);
 * write-only registers are `unreadable` (a read returns nothing the register holds).
 *
 * Values are decoded per field with their enumerated values, and field edits are encoded the
 * way the register takes them: a read-modify-write for ordinary registers, the field's bits
 * alone for write-1-to-set/clear registers (INTENSET, INTENCLR, OUTSET, OUTCLR: writing the
 * whole read value back would set or clear every other bit too) and for write-only registers.
 *
 * Pure TypeScript: used by the host service and by the renderer.
 *
 * @example
 *   const reg = findRegister(device, 'UARTE0', 'ENABLE')!;
 *   readPolicy(reg.register);                  // { kind: 'live' }
 *   decodeFields(reg.register, 8)[0];          // { name: 'ENABLE', value: 8, enumName: 'Enabled', ... }
 *   encodeFieldWrite(reg.register, 0, 'ENABLE', 'Disabled');  // ok({ value: 0, ... })
 */
import { err, ok, type Result } from '../../core/result';
import type { MemoryRegion } from '../target';
import type {
  SvdDevice,
  SvdEnumeratedValue,
  SvdField,
  SvdPeripheral,
  SvdRegister,
} from '../../peripherals/nrf/svd';

export type ReadPolicy =
  | { kind: 'live' }
  /** Reading has an effect: read only when asked (an ordinary bus access). */
  | { kind: 'on-demand'; reason: string }
  /** Nothing to read (write-only). */
  | { kind: 'unreadable'; reason: string };

/** What an SVD readAction does, in words for the panel (CMSIS-SVD 1.3 readAction values). */
const READ_ACTIONS: Readonly<Record<string, string>> = {
  clear: 'reading clears it',
  set: 'reading sets it',
  modify: 'reading changes it (a FIFO pops)',
  modifyExternal: 'reading changes state elsewhere in the peripheral',
};

/** How the panel may read `reg`: never implicitly when the read has a side effect. */
export function readPolicy(reg: SvdRegister): ReadPolicy {
  if (reg.access === 'write-only' || reg.access === 'writeOnce')
    return { kind: 'unreadable', reason: 'write-only register' };
  const actions = [
    ...(reg.readAction ? [{ on: reg.name, action: reg.readAction }] : []),
    ...reg.fields
      .filter((f) => f.readAction)
      .map((f) => ({ on: `${reg.name}.${f.name}`, action: f.readAction! })),
  ];
  if (actions.length > 0) {
    const a = actions[0]!;
    return {
      kind: 'on-demand',
      reason: `${READ_ACTIONS[a.action] ?? `readAction ${a.action}`} (SVD readAction on ${a.on})`,
    };
  }
  return { kind: 'live' };
}

const fieldMask = (f: SvdField): number =>
  f.bitWidth >= 32 ? 0xffffffff : ((2 ** f.bitWidth - 1) * 2 ** f.bitOffset) >>> 0;

/** The field's value inside a register value. */
export function fieldValue(f: SvdField, registerValue: number): number {
  const v = registerValue >>> 0;
  return f.bitWidth >= 32 ? v : Math.floor(v / 2 ** f.bitOffset) % 2 ** f.bitWidth;
}

/** A field's enumerated values for a direction (its own usage first, then read-write). */
export function enumsOf(f: SvdField, direction: 'read' | 'write'): SvdEnumeratedValue[] {
  return (
    (
      f.enumeratedValues.find((e) => e.usage === direction) ??
      f.enumeratedValues.find((e) => e.usage === 'read-write')
    )?.values ?? []
  );
}

export interface DecodedField {
  name: string;
  bitOffset: number;
  bitWidth: number;
  value: number;
  /** The enumerated value's name, when one matches. */
  enumName?: string;
  enumDescription?: string;
  description?: string;
  /** Null when the field can be written, else why not. */
  readOnly: string | null;
}

/** The effective access of a field (its own, else its register's). */
const accessOf = (reg: SvdRegister, f: SvdField): string => f.access ?? reg.access;

/** Why `f` of `reg` cannot be written, or null when it can. */
export function writeRefusal(reg: SvdRegister, f?: SvdField): string | null {
  const access = f ? accessOf(reg, f) : reg.access;
  if (access === 'read-only')
    return `${f ? `${reg.name}.${f.name}` : reg.name} is read-only (SVD access read-only)`;
  if (!f && reg.fields.length > 0 && reg.fields.every((x) => accessOf(reg, x) === 'read-only'))
    return `every field of ${reg.name} is read-only`;
  return null;
}

/** Fields of `value` with their enumerated names (a register without fields gives none). */
export function decodeFields(
  reg: SvdRegister,
  value: number,
  direction: 'read' | 'write' = 'read',
): DecodedField[] {
  return reg.fields.map((f) => {
    const v = fieldValue(f, value);
    const e = enumsOf(f, direction).find((x) => x.value === v);
    return {
      name: f.name,
      bitOffset: f.bitOffset,
      bitWidth: f.bitWidth,
      value: v,
      ...(e ? { enumName: e.name } : {}),
      ...(e?.description ? { enumDescription: e.description } : {}),
      ...(f.description ? { description: f.description } : {}),
      readOnly: writeRefusal(reg, f),
    };
  });
}

/** Parses what a person typed for a field: an enumerated name, decimal, 0x hex or 0b binary. */
export function parseFieldInput(f: SvdField, text: string): Result<number> {
  const t = text.trim();
  const named = enumsOf(f, 'write').find((e) => e.name.toLowerCase() === t.toLowerCase());
  if (named) return ok(named.value);
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0b[01]+$/i.test(t)) n = parseInt(t.slice(2), 2);
  else if (/^\d+$/.test(t)) n = parseInt(t, 10);
  else {
    const names = enumsOf(f, 'write').map((e) => e.name);
    return err(
      `'${t}' is not a number${names.length ? ` nor one of ${names.join(', ')}` : ''} for ${f.name}`,
    );
  }
  const max = 2 ** f.bitWidth - 1;
  if (!Number.isSafeInteger(n) || n > max)
    return err(`${t} does not fit ${f.name}'s ${f.bitWidth} bit${f.bitWidth > 1 ? 's' : ''}`);
  return ok(n);
}

/** True for registers where a 1 sets or clears a bit and a 0 leaves it (INTENSET, OUTCLR). */
function writesOnesOnly(reg: SvdRegister): boolean {
  const w = [reg.modifiedWriteValues, ...reg.fields.map((f) => f.modifiedWriteValues)];
  return w.some((m) => m !== undefined && /^(oneTo|zeroTo)/.test(m));
}

export interface EncodedWrite {
  /** The word to write. */
  value: number;
  /** How it was made ('read-modify-write of 0x...', 'field bits only: ...'). */
  how: string;
}

/**
 * The register value that sets field `fieldName` to `fieldValueIn` (number or text), given the
 * register's `current` value (null when it could not be read: write-only or on-demand).
 */
export function encodeFieldWrite(
  reg: SvdRegister,
  current: number | null,
  fieldName: string,
  input: number | string,
): Result<EncodedWrite> {
  const f = reg.fields.find((x) => x.name === fieldName);
  if (!f) return err(`${reg.name} has no field ${fieldName}`);
  const refusal = writeRefusal(reg, f);
  if (refusal) return err(refusal);
  const parsed = typeof input === 'number' ? ok(input) : parseFieldInput(f, input);
  if (!parsed.ok) return parsed;
  const v = parsed.value;
  if (v < 0 || v > 2 ** f.bitWidth - 1)
    return err(`${v} does not fit ${f.name}'s ${f.bitWidth} bits`);
  const bits = f.bitWidth >= 32 ? v >>> 0 : (v * 2 ** f.bitOffset) >>> 0;
  if (writesOnesOnly(reg) || current === null || reg.access === 'write-only')
    return ok({
      value: bits,
      how: writesOnesOnly(reg)
        ? `${f.name} bits only (${reg.name} takes ones to set or clear; zeros leave bits alone)`
        : `${f.name} bits only (the register's other bits could not be read)`,
    });
  const mask = fieldMask(f);
  const value = ((current & ~mask) | bits) >>> 0;
  return ok({ value, how: `read-modify-write of 0x${(current >>> 0).toString(16)}` });
}

/** Parses a whole-register value typed by a person. */
export function parseRegisterInput(reg: SvdRegister, text: string): Result<number> {
  const t = text.trim();
  let n: number;
  if (/^0x[0-9a-f]+$/i.test(t)) n = parseInt(t.slice(2), 16);
  else if (/^0b[01]+$/i.test(t)) n = parseInt(t.slice(2), 2);
  else if (/^\d+$/.test(t)) n = parseInt(t, 10);
  else return err(`'${t}' is not a number (decimal, 0x hex or 0b binary)`);
  if (!Number.isSafeInteger(n) || n > 2 ** reg.size - 1)
    return err(`${t} does not fit ${reg.name}'s ${reg.size} bits`);
  return ok(n >>> 0);
}

// ---------------------------------------------------------------------------------------------
// The tree

export interface RegisterNode {
  kind: 'register';
  /** Last name part ('PTR' of RXD.PTR). */
  label: string;
  peripheral: string;
  register: SvdRegister;
  address: number;
  policy: ReadPolicy;
}

export interface ClusterNode {
  kind: 'cluster';
  label: string;
  children: (ClusterNode | RegisterNode)[];
}

export interface PeripheralNode {
  kind: 'peripheral';
  label: string;
  peripheral: SvdPeripheral;
  children: (ClusterNode | RegisterNode)[];
}

/** The device as the panel's tree: peripheral, clusters (from dotted names), registers. */
export function registerTree(device: SvdDevice): PeripheralNode[] {
  return device.peripherals
    .map((p) => {
      const root: PeripheralNode = {
        kind: 'peripheral',
        label: p.name,
        peripheral: p,
        children: [],
      };
      for (const r of p.registers) {
        const parts = r.name.split('.');
        let level = root.children;
        for (const part of parts.slice(0, -1)) {
          let c = level.find((n): n is ClusterNode => n.kind === 'cluster' && n.label === part);
          if (!c) {
            c = { kind: 'cluster', label: part, children: [] };
            level.push(c);
          }
          level = c.children;
        }
        level.push({
          kind: 'register',
          label: parts[parts.length - 1]!,
          peripheral: p.name,
          register: r,
          address: (p.baseAddress + r.addressOffset) >>> 0,
          policy: readPolicy(r),
        });
      }
      return root;
    })
    .sort(
      (a, b) =>
        a.peripheral.baseAddress - b.peripheral.baseAddress || a.label.localeCompare(b.label),
    );
}

/** A register by peripheral and full register name. */
export function findRegister(
  device: SvdDevice,
  peripheral: string,
  register: string,
): { peripheral: SvdPeripheral; register: SvdRegister; address: number } | undefined {
  const p = device.peripherals.find((x) => x.name === peripheral);
  const r = p?.registers.find((x) => x.name === register);
  if (!p || !r) return undefined;
  return { peripheral: p, register: r, address: (p.baseAddress + r.addressOffset) >>> 0 };
}

// ---------------------------------------------------------------------------------------------
// Agreement with the machine

/**
 * Where an SVD and the machine disagree: each peripheral with a register where the machine
 * maps nothing, or RAM (named with its line), and a device name that is not the machine's
 * chip (a user SVD for another chip). Empty when they agree. Registers in flash-kind regions
 * are fine: the nRF52's FICR and UICR are non-volatile memory with register descriptions.
 */
export function svdDisagreements(
  device: SvdDevice,
  memoryMap: readonly MemoryRegion[],
  expectedDevice?: string,
): string[] {
  const out: string[] = [];
  if (expectedDevice !== undefined && device.name.toLowerCase() !== expectedDevice.toLowerCase())
    out.push(
      `the SVD describes ${device.name}, but the target is ${expectedDevice}: registers may be named wrongly`,
    );
  const mapped = (a: number): MemoryRegion | undefined =>
    memoryMap.find((r) => a >= r.start && a < r.start + r.size);
  for (const p of device.peripherals) {
    let bad: number | undefined;
    for (const r of p.registers) {
      for (const a of [
        p.baseAddress + r.addressOffset,
        p.baseAddress + r.addressOffset + r.size / 8 - 1,
      ]) {
        const m = mapped(a >>> 0);
        if (m === undefined || m.kind === 'ram') bad ??= a >>> 0;
      }
      if (bad !== undefined) break;
    }
    if (bad === undefined) continue;
    const r = mapped(bad);
    out.push(
      `peripheral ${p.name}${p.line !== undefined ? ` (line ${p.line})` : ''} at 0x${(p.baseAddress >>> 0).toString(16)}: 0x${bad.toString(16)} is ${r ? `in ${r.name} (RAM), not a register` : 'not mapped on this machine'}`,
    );
  }
  return out;
}
