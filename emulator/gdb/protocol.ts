/**
 * GDB remote protocol messages: the pure codecs a client (and later our GDB server) needs above
 * the framing, with the facts taken from the GDB manual's Remote Protocol appendix.
 *
 * - Stop replies (`S`, `T` with its `n:r` pairs: thread, core, watch/rwatch/awatch with the data
 *   address, swbreak, hwbreak and register values; `W` exited; `X` terminated).
 * - `qSupported` feature lists (`name+`, `name-`, `name=value`).
 * - Target descriptions (`qXfer:features:read`, "Target Descriptions" appendix): the registers
 *   of every feature, following `xi:include`, numbered as GDB numbers them (a `regnum` attribute,
 *   else one more than the register before), and the `g` packet layout that follows from them
 *   (registers in number order; numbers that are not described take no space).
 * - Memory maps (`qXfer:memory-map:read`, "Memory Map Format"): ram, rom and flash regions with
 *   their flash block size.
 * - Error replies (`E NN`, and `E.text` from stubs that speak `error-message+`).
 *
 * XML is parsed with fast-xml-parser (pure JavaScript), so this module runs anywhere.
 *
 * @example
 *   const stop = parseStopReply('T05thread:p01.01;watch:20000000;');
 *   // { kind: 'signal', signal: 5, thread: 'p01.01', reason: { kind: 'watch', address: 0x20000000 } ... }
 */
import { XMLParser } from 'fast-xml-parser';
import { err, ok, type Result } from '../core/result';
import type { MemoryRegion } from '../debug/target';

/** Why a `T` stop reply says the target stopped (its reason pair, if any). */
export type StopReplyReason =
  | { kind: 'watch' | 'rwatch' | 'awatch'; address: number }
  | { kind: 'swbreak' }
  | { kind: 'hwbreak' }
  | { kind: 'other'; name: string; value: string };

export type StopReply =
  | {
      kind: 'signal';
      /** GDB signal number (5 SIGTRAP, 2 SIGINT, 11 SIGSEGV...). */
      signal: number;
      thread: string | null;
      core: number | null;
      reason: StopReplyReason | null;
      /** Register values the stub sent along (number -> target-order hex). */
      registers: Map<number, string>;
    }
  | { kind: 'exited'; code: number }
  | { kind: 'terminated'; signal: number };

export const SIGINT = 2;
export const SIGTRAP = 5;

/** Parses a stop reply; anything else is an error naming the reply. */
export function parseStopReply(payload: string): Result<StopReply> {
  const head = payload[0];
  const num = parseInt(payload.slice(1, 3), 16);
  if ((head === 'S' || head === 'T' || head === 'W' || head === 'X') && !Number.isNaN(num)) {
    if (head === 'W') return ok({ kind: 'exited', code: num });
    if (head === 'X') return ok({ kind: 'terminated', signal: num });
    const reply: StopReply = {
      kind: 'signal',
      signal: num,
      thread: null,
      core: null,
      reason: null,
      registers: new Map(),
    };
    if (head === 'T') {
      for (const pair of payload.slice(3).split(';')) {
        if (pair === '') continue;
        const colon = pair.indexOf(':');
        const name = colon < 0 ? pair : pair.slice(0, colon);
        const value = colon < 0 ? '' : pair.slice(colon + 1);
        if (name === 'thread') reply.thread = value;
        else if (name === 'core') reply.core = parseInt(value, 16);
        else if (name === 'watch' || name === 'rwatch' || name === 'awatch')
          reply.reason = { kind: name, address: parseInt(value, 16) >>> 0 };
        else if (name === 'swbreak' || name === 'hwbreak') reply.reason = { kind: name };
        else if (/^[0-9a-fA-F]+$/.test(name)) reply.registers.set(parseInt(name, 16), value);
        else reply.reason ??= { kind: 'other', name, value };
      }
    }
    return ok(reply);
  }
  return err(`not a stop reply: '${payload.slice(0, 60)}'`);
}

/** True when the payload is an error reply (`E NN` or `E.message`). */
export function isErrorReply(payload: string): boolean {
  return /^E[0-9a-fA-F]{2}$/.test(payload) || payload.startsWith('E.');
}

/** The message of an error reply, for people. */
export function errorText(payload: string): string {
  if (payload.startsWith('E.')) return payload.slice(2);
  if (/^E[0-9a-fA-F]{2}$/.test(payload)) return `error ${parseInt(payload.slice(1), 16)}`;
  return payload === ''
    ? 'not supported by the stub'
    : `unexpected reply '${payload.slice(0, 60)}'`;
}

/** `qSupported` reply as a map: `name+` -> true, `name-` -> false, `name=value` -> value. */
export function parseSupported(reply: string): Map<string, string | boolean> {
  const out = new Map<string, string | boolean>();
  for (const item of reply.split(';')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq >= 0) out.set(item.slice(0, eq), item.slice(eq + 1));
    else if (item.endsWith('+')) out.set(item.slice(0, -1), true);
    else if (item.endsWith('-')) out.set(item.slice(0, -1), false);
    else out.set(item, true);
  }
  return out;
}

/** One register of a target description. */
export interface RegisterInfo {
  name: string;
  bitsize: number;
  regnum: number;
  /** The feature it belongs to ('org.gnu.gdb.arm.m-profile'). */
  feature: string;
  type: string | null;
  group: string | null;
}

export interface TargetDescriptionInfo {
  architecture: string | null;
  features: string[];
  /** Registers sorted by number. */
  registers: RegisterInfo[];
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  isArray: (name) => ['reg', 'feature', 'xi:include', 'memory', 'property'].includes(name),
  processEntities: true,
});

type XmlNode = Record<string, unknown>;

function asNodes(v: unknown): XmlNode[] {
  return Array.isArray(v) ? (v as XmlNode[]) : v && typeof v === 'object' ? [v as XmlNode] : [];
}

/** Parses an XML document, or says which document is not XML. */
function parseXml(name: string, text: string): Result<XmlNode> {
  try {
    return ok(xml.parse(text) as XmlNode);
  } catch (e) {
    return err(`${name}: not valid XML (${(e as Error).message})`);
  }
}

/**
 * Reads a target description: `fetch(annex)` returns each document's text (`target.xml` first,
 * then whatever it includes). Registers are numbered as GDB does.
 */
export async function readTargetDescription(
  fetch: (annex: string) => Promise<Result<string>>,
): Promise<Result<TargetDescriptionInfo>> {
  const registers: RegisterInfo[] = [];
  const features: string[] = [];
  let architecture: string | null = null;
  let next = 0;
  const seen = new Set<string>();

  const readFeature = (node: XmlNode): void => {
    const feature = String(node.name ?? '');
    features.push(feature);
    for (const reg of asNodes(node.reg)) {
      const regnum = reg.regnum !== undefined ? Number(reg.regnum) : next;
      next = regnum + 1;
      registers.push({
        name: String(reg.name ?? `r${regnum}`),
        bitsize: Number(reg.bitsize ?? 32),
        regnum,
        feature,
        type: reg.type !== undefined ? String(reg.type) : null,
        group: reg.group !== undefined ? String(reg.group) : null,
      });
    }
  };

  const readDocument = async (annex: string, depth: number): Promise<Result<void>> => {
    if (depth > 8) return err(`target description: includes nest too deep at ${annex}`);
    if (seen.has(annex)) return ok(undefined);
    seen.add(annex);
    const text = await fetch(annex);
    if (!text.ok) return text;
    const doc = parseXml(annex, text.value);
    if (!doc.ok) return doc;
    // A document is a <target> (architecture, features and includes, in order) or a lone
    // <feature> (what an xi:include names).
    const target = doc.value.target as XmlNode | undefined;
    const features = asNodes(doc.value.feature);
    if (target && typeof target === 'object') {
      if (target.architecture !== undefined) architecture = String(target.architecture);
      for (const f of asNodes(target.feature)) readFeature(f);
      for (const inc of asNodes(target['xi:include'])) {
        const href = inc.href;
        if (typeof href !== 'string') continue;
        const r = await readDocument(href, depth + 1);
        if (!r.ok) return r;
      }
    } else if (features.length > 0) {
      for (const f of features) readFeature(f);
    } else return err(`${annex}: neither a <target> nor a <feature> document`);
    return ok(undefined);
  };

  const top = await readDocument('target.xml', 0);
  if (!top.ok) return top;
  registers.sort((a, b) => a.regnum - b.regnum);
  return ok({ architecture, features, registers });
}

/** Where each register sits in a `g` reply: registers in number order, back to back. */
export interface RegisterSlot {
  info: RegisterInfo;
  /** Offset in hex characters. */
  offset: number;
  /** Width in hex characters. */
  width: number;
}

export function gPacketLayout(registers: readonly RegisterInfo[]): RegisterSlot[] {
  const out: RegisterSlot[] = [];
  let offset = 0;
  for (const info of [...registers].sort((a, b) => a.regnum - b.regnum)) {
    const width = Math.ceil(info.bitsize / 8) * 2;
    out.push({ info, offset, width });
    offset += width;
  }
  return out;
}

/** Parses a memory map document into regions ('rom' is reported as flash without a block size). */
export function parseMemoryMap(text: string): Result<MemoryRegion[]> {
  const doc = parseXml('memory map', text);
  if (!doc.ok) return doc;
  const map = doc.value['memory-map'] as XmlNode | undefined;
  if (!map || typeof map !== 'object') return err('memory map: no <memory-map> element');
  const out: MemoryRegion[] = [];
  for (const m of asNodes(map.memory)) {
    const type = String(m.type ?? '');
    const start = Number(m.start);
    const size = Number(m.length);
    if (!Number.isFinite(start) || !Number.isFinite(size))
      return err(`memory map: a <memory> element has no numeric start/length`);
    const region: MemoryRegion = {
      name: `${type}@0x${start.toString(16)}`,
      kind: type === 'ram' ? 'ram' : 'flash',
      start,
      size,
    };
    for (const p of asNodes(m.property)) {
      if (p.name === 'blocksize') region.blockSize = Number(p['#text']);
    }
    out.push(region);
  }
  return ok(out);
}
