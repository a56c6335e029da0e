/**
 * CMSIS-SVD reader and register namer: turns a System View Description into a flat list of
 * peripherals and registers, and names bus addresses for the emulator's MMIO access log.
 *
 * The nRF52 machines describe their chip with resources/svd/nrf52840.svd (written by us from the
 * nRF52840 Product Specification's register tables). `parseSvd` reads such a file into plain
 * data: defaults (size, access, resetValue) inherited device -> peripheral -> cluster ->
 * register, `derivedFrom` resolved for peripherals, clusters and registers, clusters flattened
 * into dotted names (RXD.PTR) and dim arrays expanded into one register per element
 * (CC[0], CC[1], ...; CH[3].EEP). `RegisterNamer` answers "which register is at this address"
 * and decodes a value into its fields and enumerated values, so the access log reads
 * `UARTE0.ENABLE ENABLE=Enabled` rather than `0x40002500 <- 8`.
 *
 * Pure TypeScript (fast-xml-parser is pure JavaScript): runs in Node and in the browser.
 * Malformed input raises SvdError naming the element path and its line in the file. The
 * reader's work is bounded by the document's addresses, not by the numbers in it: a dim array
 * must fit, elements not overlapping, between its offset and the end of the peripheral's
 * address blocks (4 KiB when it declares none, as the namer assumes), and a peripheral expands
 * to at most MAX_REGISTERS registers; so `<dim>4294967295</dim>` is an error naming its line,
 * not an exhausted heap.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type SvdAccess = 'read-only' | 'write-only' | 'read-write' | 'writeOnce' | 'read-writeOnce';

export interface SvdEnumeratedValue {
  name: string;
  value: number;
  description?: string;
}

export interface SvdEnumeration {
  /** Which direction the names apply to ('read-write' when the SVD says nothing). */
  usage: 'read' | 'write' | 'read-write';
  values: SvdEnumeratedValue[];
}

export interface SvdField {
  name: string;
  bitOffset: number;
  bitWidth: number;
  access?: SvdAccess;
  description?: string;
  modifiedWriteValues?: string;
  readAction?: string;
  enumeratedValues: SvdEnumeration[];
}

export interface SvdRegister {
  /** Full name: clusters joined with '.', arrays expanded (RXD.PTR, CC[2], CH[3].EEP). */
  name: string;
  /** Offset from the peripheral's base address. */
  addressOffset: number;
  /** Width in bits. */
  size: number;
  access: SvdAccess;
  resetValue: number;
  resetMask: number;
  description?: string;
  modifiedWriteValues?: string;
  readAction?: string;
  /** The register this one is another name for (same offset), e.g. a deprecated alias. */
  alternateRegister?: string;
  fields: SvdField[];
}

export interface SvdInterrupt {
  name: string;
  value: number;
  description?: string;
}

export interface SvdAddressBlock {
  offset: number;
  size: number;
  usage: string;
}

export interface SvdPeripheral {
  name: string;
  baseAddress: number;
  description?: string;
  groupName?: string;
  /** Name of the peripheral this one shares its address with (UART0 -> UARTE0). */
  alternatePeripheral?: string;
  derivedFrom?: string;
  /** Line of its <peripheral> element in the file (for messages about it). */
  line?: number;
  addressBlocks: SvdAddressBlock[];
  interrupts: SvdInterrupt[];
  /** Sorted by addressOffset, then name. */
  registers: SvdRegister[];
}

export interface SvdCpu {
  name: string;
  revision: string;
  endian: string;
  mpuPresent: boolean;
  fpuPresent: boolean;
  nvicPrioBits: number;
  vendorSystickConfig: boolean;
}

export interface SvdDevice {
  name: string;
  description?: string;
  version?: string;
  cpu?: SvdCpu;
  addressUnitBits: number;
  width: number;
  peripherals: SvdPeripheral[];
}

/** A malformed SVD: `where` names the element path and line. */
export class SvdError extends Error {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`SVD ${where}: ${problem}`);
  }
}

// ---------------------------------------------------------------------------------------------
// XML layer

type XNode = Record<string, unknown>;

/** Elements that may repeat; the parser always returns arrays for them. */
const REPEATED = new Set([
  'peripheral',
  'register',
  'cluster',
  'field',
  'enumeratedValues',
  'enumeratedValue',
  'interrupt',
  'addressBlock',
]);

const META = XMLParser.getMetaDataSymbol() as unknown as string;

/** Where we are in the document, for error messages. */
class Path {
  constructor(
    private readonly xml: string,
    readonly label: string,
    private readonly node: XNode | undefined,
    private readonly parent?: Path,
  ) {}

  child(label: string, node: XNode | undefined): Path {
    return new Path(this.xml, label, node, this);
  }

  /** Line of the nearest element that has position metadata. */
  line(): number | undefined {
    const meta = this.node?.[META] as { startIndex?: number } | undefined;
    if (meta?.startIndex !== undefined) {
      let line = 1;
      for (let i = 0; i < meta.startIndex && i < this.xml.length; i++)
        if (this.xml.charCodeAt(i) === 10) line++;
      return line;
    }
    return this.parent?.line();
  }

  private labels(): string[] {
    return [...(this.parent?.labels() ?? []), this.label];
  }

  toString(): string {
    const line = this.line();
    return `${this.labels().join(' > ')}${line !== undefined ? ` (line ${line})` : ''}`;
  }

  fail(problem: string): never {
    throw new SvdError(this.toString(), problem);
  }
}

function textOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'object' && '#text' in (v as XNode)) return String((v as XNode)['#text']).trim();
  if (typeof v === 'object') return '';
  return String(v).trim();
}

function str(node: XNode, key: string, at: Path): string | undefined {
  const v = node[key];
  if (Array.isArray(v)) at.fail(`<${key}> appears more than once`);
  return textOf(v);
}

function reqStr(node: XNode, key: string, at: Path): string {
  const s = str(node, key, at);
  if (s === undefined || s === '') at.fail(`missing <${key}>`);
  return s;
}

/**
 * SVD scaledNonNegativeInteger: decimal, 0x hex, # binary, with an optional k/M/G scale.
 * Returns an unsigned 32-bit number (values above 2^32 are errors here: this is a 32-bit chip).
 */
export function parseSvdNumber(text: string): number | undefined {
  const t = text.trim();
  const m = /^(0[xX][0-9a-fA-F]+|#[01]+|[0-9]+)([kKmMgG]?)$/.exec(t);
  if (!m) return undefined;
  const digits = m[1]!;
  let n: number;
  if (digits.startsWith('#')) n = parseInt(digits.slice(1), 2);
  else if (/^0[xX]/.test(digits)) n = parseInt(digits.slice(2), 16);
  else n = parseInt(digits, 10);
  const scale = m[2]!.toLowerCase();
  if (scale === 'k') n *= 1024;
  else if (scale === 'm') n *= 1024 * 1024;
  else if (scale === 'g') n *= 1024 * 1024 * 1024;
  if (!Number.isSafeInteger(n) || n > 0xffffffff) return undefined;
  return n;
}

function num(node: XNode, key: string, at: Path): number | undefined {
  const s = str(node, key, at);
  if (s === undefined) return undefined;
  const n = parseSvdNumber(s);
  if (n === undefined) at.fail(`<${key}> is not a number: '${s}'`);
  return n;
}

function reqNum(node: XNode, key: string, at: Path): number {
  const n = num(node, key, at);
  if (n === undefined) at.fail(`missing <${key}>`);
  return n;
}

function bool(node: XNode, key: string, at: Path): boolean | undefined {
  const s = str(node, key, at);
  if (s === undefined) return undefined;
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return at.fail(`<${key}> must be true or false, not '${s}'`);
}

const ACCESS: readonly SvdAccess[] = [
  'read-only',
  'write-only',
  'read-write',
  'writeOnce',
  'read-writeOnce',
];

function access(node: XNode, at: Path): SvdAccess | undefined {
  const s = str(node, 'access', at);
  if (s === undefined) return undefined;
  if (!(ACCESS as readonly string[]).includes(s))
    at.fail(`<access> must be one of ${ACCESS.join(', ')}, not '${s}'`);
  return s as SvdAccess;
}

function list(node: XNode | undefined, key: string): XNode[] {
  const v = node?.[key];
  if (v === undefined) return [];
  const arr = Array.isArray(v) ? v : [v];
  return arr.map((e) => (typeof e === 'object' && e !== null ? (e as XNode) : {}));
}

function child(node: XNode, key: string, at: Path): XNode | undefined {
  const v = node[key];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) at.fail(`<${key}> appears more than once`);
  if (typeof v !== 'object' || v === null) return {};
  return v as XNode;
}

// ---------------------------------------------------------------------------------------------
// Semantic layer

/** Register properties inherited down the tree. */
interface Defaults {
  size: number;
  access: SvdAccess;
  resetValue: number;
  resetMask: number;
}

function inherit(node: XNode, d: Defaults, at: Path): Defaults {
  return {
    size: num(node, 'size', at) ?? d.size,
    access: access(node, at) ?? d.access,
    resetValue: num(node, 'resetValue', at) ?? d.resetValue,
    resetMask: num(node, 'resetMask', at) ?? d.resetMask,
  };
}

/** Registers one peripheral may expand to (the largest nRF52840 block has a few hundred). */
export const MAX_REGISTERS = 65536;
/** The span of a peripheral that declares no address block (the namer assumes the same). */
const DEFAULT_PERIPHERAL_SIZE = 0x1000;

/** Where an array may lie: below `limit` (the peripheral's end, as an offset), with room left. */
interface Bounds {
  limit: number;
  /** Registers the peripheral has expanded to so far. */
  count: () => number;
}

/**
 * The element names a dim array expands to (dimIndex list or 0..dim-1). The array's elements,
 * `elementBytes` each, must not overlap and must end by `bounds.limit` from `offset`; checked
 * before anything is expanded.
 */
function dimNames(
  node: XNode,
  offset: number,
  elementBytes: number,
  bounds: Bounds,
  at: Path,
): { indices: string[]; increment: number } | undefined {
  const dim = num(node, 'dim', at);
  if (dim === undefined) return undefined;
  const increment = num(node, 'dimIncrement', at);
  if (increment === undefined) at.fail('<dim> without <dimIncrement>');
  if (dim < 1) at.fail('<dim> 0: an array needs at least one element');
  if (dim > 1 && increment < elementBytes)
    at.fail(
      `<dimIncrement> ${increment} is smaller than one element (${elementBytes} byte${elementBytes === 1 ? '' : 's'}): the elements would overlap`,
    );
  const end = offset + (dim - 1) * increment + elementBytes;
  if (end > bounds.limit)
    at.fail(
      `<dim> ${dim} elements ${increment} bytes apart from offset 0x${offset.toString(16)} end at 0x${end.toString(16)}, past the end of the peripheral (0x${bounds.limit.toString(16)} bytes)`,
    );
  if (bounds.count() + dim > MAX_REGISTERS)
    at.fail(`<dim> ${dim} makes the peripheral more than ${MAX_REGISTERS} registers`);
  const idx = str(node, 'dimIndex', at);
  let indices: string[];
  if (idx === undefined || idx === '') {
    indices = Array.from({ length: dim }, (_, i) => String(i));
  } else {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(idx);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      const n = Math.max(0, hi - lo + 1);
      if (n !== dim) at.fail(`<dimIndex> '${idx}' gives ${n} names but <dim> is ${dim}`);
      indices = Array.from({ length: n }, (_, i) => String(lo + i));
    } else {
      indices = idx.split(',').map((s) => s.trim());
    }
  }
  if (indices.length !== dim)
    at.fail(`<dimIndex> '${idx ?? ''}' gives ${indices.length} names but <dim> is ${dim}`);
  return { indices, increment };
}

/** Expand `name` for one array element: CC[%s] -> CC[2], EVENTS_%s -> EVENTS_A. */
function elementName(name: string, index: string): string {
  return name.includes('[%s]') ? name.replace('[%s]', `[${index}]`) : name.replace('%s', index);
}

function parseEnumerations(fieldNode: XNode, fieldWidth: number, at: Path): SvdEnumeration[] {
  const out: SvdEnumeration[] = [];
  for (const [i, ev] of list(fieldNode, 'enumeratedValues').entries()) {
    const eat = at.child(`enumeratedValues[${i}]`, ev);
    const usage = str(ev, 'usage', eat) ?? 'read-write';
    if (usage !== 'read' && usage !== 'write' && usage !== 'read-write')
      eat.fail(`<usage> must be read, write or read-write, not '${usage}'`);
    const use = usage as SvdEnumeration['usage'];
    const values: SvdEnumeratedValue[] = [];
    for (const [j, v] of list(ev, 'enumeratedValue').entries()) {
      const name = reqStr(v, 'name', eat.child(`enumeratedValue[${j}]`, v));
      const vat = eat.child(`enumeratedValue ${name}`, v);
      if (bool(v, 'isDefault', vat) === true && v['value'] === undefined) continue;
      const value = reqNum(v, 'value', vat);
      if (fieldWidth < 32 && value >= 2 ** fieldWidth)
        vat.fail(`value ${value} does not fit the field's ${fieldWidth} bits`);
      const description = str(v, 'description', vat);
      values.push({ name, value, ...(description ? { description } : {}) });
    }
    out.push({ usage: use, values });
  }
  return out;
}

function parseField(node: XNode, regSize: number, at: Path): SvdField {
  const name = reqStr(node, 'name', at);
  at = at.child(`field ${name}`, node);
  let bitOffset: number;
  let bitWidth: number;
  const range = str(node, 'bitRange', at);
  const lsb = num(node, 'lsb', at);
  const off = num(node, 'bitOffset', at);
  if (range !== undefined) {
    const m = /^\[(\d+):(\d+)\]$/.exec(range);
    if (!m) at.fail(`<bitRange> must look like [msb:lsb], not '${range}'`);
    const msb = Number(m[1]);
    const l = Number(m[2]);
    if (msb < l) at.fail(`<bitRange> ${range} has msb below lsb`);
    bitOffset = l;
    bitWidth = msb - l + 1;
  } else if (lsb !== undefined) {
    bitOffset = lsb;
    bitWidth = reqNum(node, 'msb', at) - lsb + 1;
    if (bitWidth < 1) at.fail('<msb> below <lsb>');
  } else if (off !== undefined) {
    bitOffset = off;
    bitWidth = num(node, 'bitWidth', at) ?? 1;
  } else {
    return at.fail('needs <bitRange>, <lsb>/<msb> or <bitOffset>/<bitWidth>');
  }
  if (bitWidth < 1 || bitOffset + bitWidth > regSize)
    at.fail(`bits ${bitOffset}+${bitWidth} do not fit a ${regSize}-bit register`);
  const fieldAccess = access(node, at);
  const description = str(node, 'description', at);
  const modifiedWriteValues = str(node, 'modifiedWriteValues', at);
  const readAction = str(node, 'readAction', at);
  return {
    name,
    bitOffset,
    bitWidth,
    ...(fieldAccess ? { access: fieldAccess } : {}),
    ...(description ? { description } : {}),
    ...(modifiedWriteValues ? { modifiedWriteValues } : {}),
    ...(readAction ? { readAction } : {}),
    enumeratedValues: parseEnumerations(node, bitWidth, at),
  };
}

/** One register element (before array expansion) with its own defaults resolved. */
function parseRegister(
  node: XNode,
  name: string,
  offset: number,
  d: Defaults,
  at: Path,
): SvdRegister {
  const r = inherit(node, d, at);
  if (r.size !== 8 && r.size !== 16 && r.size !== 32)
    at.fail(`<size> ${r.size} is not 8, 16 or 32 bits`);
  const fields = list(child(node, 'fields', at), 'field').map((f) => parseField(f, r.size, at));
  const seen = new Map<string, SvdField>();
  let used = 0;
  for (const f of fields) {
    if (seen.has(f.name)) at.fail(`field ${f.name} appears twice`);
    seen.set(f.name, f);
    const mask = f.bitWidth >= 32 ? 0xffffffff : ((2 ** f.bitWidth - 1) * 2 ** f.bitOffset) >>> 0;
    if ((used & mask) !== 0) at.fail(`field ${f.name} overlaps another field`);
    used = (used | mask) >>> 0;
  }
  const description = str(node, 'description', at);
  const modifiedWriteValues = str(node, 'modifiedWriteValues', at);
  const readAction = str(node, 'readAction', at);
  const alternateRegister = str(node, 'alternateRegister', at);
  return {
    name,
    addressOffset: offset,
    size: r.size,
    access: r.access,
    resetValue: r.resetValue >>> 0,
    resetMask: r.resetMask >>> 0,
    ...(description ? { description } : {}),
    ...(modifiedWriteValues ? { modifiedWriteValues } : {}),
    ...(readAction ? { readAction } : {}),
    ...(alternateRegister ? { alternateRegister } : {}),
    fields: fields.sort((a, b) => a.bitOffset - b.bitOffset),
  };
}

/**
 * Copy the elements a derived element does not set from the one it derives from (found among
 * its siblings by name). The copy keeps the derived element's own children.
 */
function resolveDerived(
  node: XNode,
  siblings: XNode[],
  kind: string,
  at: Path,
  seen: ReadonlySet<XNode> = new Set(),
): XNode {
  const from = textOf(node['@_derivedFrom']);
  if (from === undefined) return node;
  const base = siblings.find((s) => textOf(s['name']) === from);
  if (!base) at.fail(`derivedFrom '${from}': no ${kind} of that name here`);
  if (base === node || seen.has(base)) at.fail(`derivedFrom '${from}' leads back to itself`);
  const merged: XNode = {
    ...resolveDerived(base, siblings, kind, at, new Set([...seen, node])),
    ...node,
  };
  delete merged['@_derivedFrom'];
  return merged;
}

/** Registers and clusters of one level, flattened into `out`. */
function walkRegisters(
  container: XNode,
  prefix: string,
  baseOffset: number,
  d: Defaults,
  at: Path,
  out: SvdRegister[],
  bounds: Bounds,
): void {
  const regs = list(container, 'register');
  for (const raw of regs) {
    const name0 = reqStr(raw, 'name', at.child('register', raw));
    const rat = at.child(`register ${name0}`, raw);
    const node = resolveDerived(raw, regs, 'register', rat);
    const offset = baseOffset + reqNum(node, 'addressOffset', rat);
    const bytes = Math.max(1, inherit(node, d, rat).size / 8);
    const dim = dimNames(node, offset, bytes, bounds, rat);
    if (!dim) {
      if (name0.includes('%s')) rat.fail('name has %s but there is no <dim>');
      if (out.length >= MAX_REGISTERS)
        rat.fail(`the peripheral has more than ${MAX_REGISTERS} registers`);
      out.push(parseRegister(node, prefix + name0, offset, d, rat));
    } else {
      if (!name0.includes('%s')) rat.fail('<dim> register name needs %s');
      dim.indices.forEach((idx, i) =>
        out.push(
          parseRegister(node, prefix + elementName(name0, idx), offset + i * dim.increment, d, rat),
        ),
      );
    }
  }
  const clusters = list(container, 'cluster');
  for (const raw of clusters) {
    const name0 = reqStr(raw, 'name', at.child('cluster', raw));
    const cat = at.child(`cluster ${name0}`, raw);
    const node = resolveDerived(raw, clusters, 'cluster', cat);
    const offset = baseOffset + reqNum(node, 'addressOffset', cat);
    const cd = inherit(node, d, cat);
    const dim = dimNames(node, offset, 1, bounds, cat);
    if (!dim) {
      walkRegisters(node, `${prefix}${name0}.`, offset, cd, cat, out, bounds);
    } else {
      if (!name0.includes('%s')) cat.fail('<dim> cluster name needs %s');
      dim.indices.forEach((idx, i) =>
        walkRegisters(
          node,
          `${prefix}${elementName(name0, idx)}.`,
          offset + i * dim.increment,
          cd,
          cat,
          out,
          bounds,
        ),
      );
    }
  }
}

function parsePeripheral(node: XNode, d: Defaults, at: Path): SvdPeripheral {
  const name = reqStr(node, 'name', at);
  const baseAddress = reqNum(node, 'baseAddress', at);
  const pd = inherit(node, d, at);
  const interrupts: SvdInterrupt[] = list(node, 'interrupt').map((n, i) => {
    const iat = at.child(`interrupt[${i}]`, n);
    const description = str(n, 'description', iat);
    return {
      name: reqStr(n, 'name', iat),
      value: reqNum(n, 'value', iat),
      ...(description ? { description } : {}),
    };
  });
  const addressBlocks = list(node, 'addressBlock').map((n, i) => {
    const bat = at.child(`addressBlock[${i}]`, n);
    return {
      offset: reqNum(n, 'offset', bat),
      size: reqNum(n, 'size', bat),
      usage: str(n, 'usage', bat) ?? 'registers',
    };
  });
  const registers: SvdRegister[] = [];
  const regsNode = child(node, 'registers', at);
  const limit =
    addressBlocks.length > 0
      ? addressBlocks.reduce((end, b) => Math.max(end, b.offset + b.size), 0)
      : DEFAULT_PERIPHERAL_SIZE;
  const bounds: Bounds = { limit, count: () => registers.length };
  if (regsNode) walkRegisters(regsNode, '', 0, pd, at, registers, bounds);
  registers.sort((a, b) => a.addressOffset - b.addressOffset || a.name.localeCompare(b.name));
  const names = new Set<string>();
  for (const r of registers) {
    if (names.has(r.name)) at.fail(`register ${r.name} appears twice`);
    names.add(r.name);
  }
  const description = str(node, 'description', at);
  const groupName = str(node, 'groupName', at);
  const alternatePeripheral = str(node, 'alternatePeripheral', at);
  return {
    name,
    baseAddress,
    ...(description ? { description } : {}),
    ...(groupName ? { groupName } : {}),
    ...(alternatePeripheral ? { alternatePeripheral } : {}),
    addressBlocks,
    interrupts,
    registers,
  };
}

/**
 * Parse a CMSIS-SVD document. Throws SvdError (element path and line) on malformed XML,
 * missing required elements, bad numbers, unknown derivedFrom targets, overlapping fields or
 * duplicate register names.
 */
export function parseSvd(xml: string): SvdDevice {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new SvdError(`XML (line ${valid.err.line}, column ${valid.err.col})`, valid.err.msg);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    captureMetaData: true,
    isArray: (tag) => REPEATED.has(tag),
  });
  const doc = parser.parse(xml) as XNode;
  const root = new Path(xml, 'device', undefined);
  const device = doc['device'];
  if (typeof device !== 'object' || device === null || Array.isArray(device))
    root.fail('the document has no single <device> root element');
  const dev = device as XNode;
  const at = new Path(xml, 'device', dev);
  const name = reqStr(dev, 'name', at);
  const d: Defaults = inherit(
    dev,
    { size: 32, access: 'read-write', resetValue: 0, resetMask: 0xffffffff },
    at,
  );
  let cpu: SvdCpu | undefined;
  const cpuNode = child(dev, 'cpu', at);
  if (cpuNode) {
    const cat = at.child('cpu', cpuNode);
    cpu = {
      name: reqStr(cpuNode, 'name', cat),
      revision: str(cpuNode, 'revision', cat) ?? '',
      endian: str(cpuNode, 'endian', cat) ?? 'little',
      mpuPresent: bool(cpuNode, 'mpuPresent', cat) ?? false,
      fpuPresent: bool(cpuNode, 'fpuPresent', cat) ?? false,
      nvicPrioBits: num(cpuNode, 'nvicPrioBits', cat) ?? 0,
      vendorSystickConfig: bool(cpuNode, 'vendorSystickConfig', cat) ?? false,
    };
  }
  const periphsNode = child(dev, 'peripherals', at);
  const raws = list(periphsNode, 'peripheral');
  if (raws.length === 0) at.fail('no <peripheral> in <peripherals>');
  const peripherals: SvdPeripheral[] = [];
  const names = new Set<string>();
  for (const [i, raw] of raws.entries()) {
    const pname = reqStr(raw, 'name', at.child(`peripheral[${i}]`, raw));
    const pat = at.child(`peripheral ${pname}`, raw);
    if (names.has(pname)) pat.fail('a peripheral of that name already exists');
    names.add(pname);
    const from = textOf(raw['@_derivedFrom']);
    let node = raw;
    if (from !== undefined) {
      const base = raws.find((p) => textOf(p['name']) === from);
      if (base === undefined) return pat.fail(`derivedFrom '${from}': no peripheral of that name`);
      if (textOf(base['@_derivedFrom']) !== undefined)
        pat.fail(`derivedFrom '${from}', which is itself derived`);
      // A derived peripheral keeps its own name, base and interrupts; everything it does not
      // set comes from the original (interrupts are never inherited: each instance has its own).
      node = { ...base, interrupt: undefined, ...raw };
    }
    const p = parsePeripheral(node, d, pat);
    const line = pat.line();
    peripherals.push({
      ...p,
      ...(from !== undefined ? { derivedFrom: from } : {}),
      ...(line !== undefined ? { line } : {}),
    });
  }
  for (const p of peripherals) {
    if (p.alternatePeripheral !== undefined && !names.has(p.alternatePeripheral))
      throw new SvdError(
        `device > peripheral ${p.name}`,
        `alternatePeripheral '${p.alternatePeripheral}' does not exist`,
      );
  }
  const description = str(dev, 'description', at);
  const version = str(dev, 'version', at);
  return {
    name,
    ...(description ? { description } : {}),
    ...(version ? { version } : {}),
    ...(cpu ? { cpu } : {}),
    addressUnitBits: num(dev, 'addressUnitBits', at) ?? 8,
    width: num(dev, 'width', at) ?? 32,
    peripherals,
  };
}

// ---------------------------------------------------------------------------------------------
// Naming

interface Located {
  peripheral: SvdPeripheral;
  register: SvdRegister;
}

const hex = (n: number, digits = 0): string =>
  `0x${(n >>> 0).toString(16).toUpperCase().padStart(digits, '0')}`;

/**
 * Names bus addresses after the SVD. When peripherals share an address (CLOCK/POWER, UARTE0/
 * UART0, the SPIM/SPIS/TWIM/TWIS instances) the register defined there wins; among several
 * that define it, the one named in `prefer` wins, else the primary (the one that is not an
 * alternatePeripheral of another). Within a peripheral a register wins over its aliases
 * (registers with alternateRegister).
 *
 * @example
 *   const namer = new RegisterNamer(parseSvd(svdText));
 *   namer.name(0x40002500);            // 'UARTE0.ENABLE'
 *   namer.describe(0x40002500, 8);     // 'ENABLE=Enabled'
 *   namer.name(0x40002518, 'UART0');   // 'UART0.RXD' (the legacy view of the block)
 */
export class RegisterNamer {
  /** Byte address -> registers covering it (primaries first). */
  private readonly byAddress = new Map<number, Located[]>();
  private readonly blocks: { peripheral: SvdPeripheral; start: number; end: number }[] = [];

  constructor(readonly device: SvdDevice) {
    const primaryFirst = [...device.peripherals].sort(
      (a, b) =>
        Number(a.alternatePeripheral !== undefined) - Number(b.alternatePeripheral !== undefined),
    );
    for (const peripheral of primaryFirst) {
      // Registers before their aliases (alternateRegister), so an address gets its main name.
      const registers = [...peripheral.registers].sort(
        (a, b) =>
          Number(a.alternateRegister !== undefined) - Number(b.alternateRegister !== undefined),
      );
      for (const register of registers) {
        const start = (peripheral.baseAddress + register.addressOffset) >>> 0;
        for (let b = 0; b < register.size / 8; b++) {
          const key = (start + b) >>> 0;
          const at = this.byAddress.get(key);
          if (at) at.push({ peripheral, register });
          else this.byAddress.set(key, [{ peripheral, register }]);
        }
      }
      const blocks =
        peripheral.addressBlocks.length > 0
          ? peripheral.addressBlocks
          : [{ offset: 0, size: 0x1000, usage: 'registers' }];
      for (const blk of blocks) {
        const start = peripheral.baseAddress + blk.offset;
        this.blocks.push({ peripheral, start, end: start + blk.size });
      }
    }
  }

  /** The register at `address` (any byte of it), or undefined. */
  locate(address: number, prefer?: string): Located | undefined {
    const all = this.byAddress.get(address >>> 0);
    if (!all) return undefined;
    return (
      (prefer !== undefined ? all.find((l) => l.peripheral.name === prefer) : undefined) ?? all[0]
    );
  }

  /**
   * 'UARTE0.TASKS_STARTTX' for a register (any of its bytes), 'UARTE0+0x5F0' for an address
   * inside a peripheral's block that no register covers, null outside every peripheral.
   */
  name(address: number, prefer?: string): string | null {
    const l = this.locate(address, prefer);
    if (l) return `${l.peripheral.name}.${l.register.name}`;
    const a = address >>> 0;
    let best: SvdPeripheral | undefined;
    for (const b of this.blocks) {
      if (a < b.start || a >= b.end) continue;
      if (prefer !== undefined && b.peripheral.name === prefer) {
        best = b.peripheral;
        break;
      }
      // The nearest base below the address names it best (P1 inside P0's 4 KiB block).
      if (!best || b.peripheral.baseAddress > best.baseAddress) best = b.peripheral;
    }
    return best ? `${best.name}+${hex(a - best.baseAddress)}` : null;
  }

  /**
   * Decode `value` as written to (or read from) the register at `address`: fields as
   * NAME=Enum (or NAME=0x.. when no enumerated value matches), separated by spaces. Names come
   * from the enumeratedValues whose usage matches `direction` (or read-write). Fields that are 0
   * with no name for 0 are left out, and registers with more than 8 fields (interrupt enables,
   * pin masks) list only non-zero fields; '0' when nothing is left. A register without fields
   * gives its value in hex. Null for unknown addresses.
   */
  describe(
    address: number,
    value: number,
    direction: 'read' | 'write' = 'write',
    prefer?: string,
  ): string | null {
    const l = this.locate(address, prefer);
    if (!l) return null;
    const reg = l.register;
    const v = value >>> 0;
    if (reg.fields.length === 0) return hex(v, reg.size / 4);
    const terse = reg.fields.length > 8;
    const parts: string[] = [];
    for (const f of reg.fields) {
      const fv = f.bitWidth >= 32 ? v : Math.floor(v / 2 ** f.bitOffset) % 2 ** f.bitWidth;
      if (terse && fv === 0) continue;
      const enums =
        f.enumeratedValues.find((e) => e.usage === direction) ??
        f.enumeratedValues.find((e) => e.usage === 'read-write');
      const named = enums?.values.find((e) => e.value === fv)?.name;
      // A zero nobody named (writing 0 to a task or to INTENSET) says nothing: leave it out.
      if (fv === 0 && named === undefined && reg.fields.length > 1) continue;
      parts.push(`${f.name}=${named ?? (f.bitWidth === 1 ? String(fv) : hex(fv))}`);
    }
    return parts.length > 0 ? parts.join(' ') : '0';
  }
}
