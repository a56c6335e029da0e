/**
 * Tock Application Bundles (TAB): read and write them as tockloader and elf2tab do.
 *
 * A TAB is a tar archive holding `metadata.toml` (tab-version = 1, the app's name, the boards
 * and kernel version it is for, when it was built) and one TBF per architecture, named
 * `<arch>.tbf` for a position-independent app or `<arch>.<flash>.<ram>.tbf` (addresses in hex)
 * for one linked at fixed addresses; tockloader picks the TBFs whose name starts with the
 * board's architecture (tockloader/tab.py). The app build writes one next to each TBF, and the
 * CLI and IDE accept a TAB wherever they accept a TBF (`tbfsFromTab`). Tar (POSIX ustar) and the
 * flat TOML of the metadata are small enough to read and write here; anything else in a TAB is
 * ignored. Pure TypeScript; errors are values naming the problem.
 *
 * @example
 *   const tab = buildTab({ name: 'blink', tbfs: [{ arch: 'cortex-m4', bytes: tbf }] });
 *   const r = parseTab(tab); // r.value.tbfs[0].bytes equals tbf
 */
import type { Result } from '../core/result';

export interface TabTbf {
  /** The member's file name, e.g. cortex-m4.tbf or cortex-m4.0x00040080.0x20008000.tbf. */
  filename: string;
  /** Architecture: the file name up to its first dot. */
  arch: string;
  /** Fixed flash and RAM addresses from the file name, when it carries them. */
  flash?: number;
  ram?: number;
  bytes: Uint8Array;
}

export interface TabContents {
  /** metadata.toml as key -> value (strings unquoted; numbers and dates as written). */
  metadata: Record<string, string | number>;
  name: string;
  tbfs: TabTbf[];
}

const BLOCK = 512;
const hex8 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** The member name a TBF gets in a TAB. */
export function tabTbfName(arch: string, fixed?: { flash: number; ram: number }): string {
  return fixed ? `${arch}.${hex8(fixed.flash)}.${hex8(fixed.ram)}.tbf` : `${arch}.tbf`;
}

function tarHeader(name: string, size: number, mtime: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  const put = (at: number, text: string): void => {
    for (let i = 0; i < text.length; i++) h[at + i] = text.charCodeAt(i) & 0xff;
  };
  const octal = (at: number, width: number, value: number): void =>
    put(at, `${value.toString(8).padStart(width - 1, '0')}\0`);
  put(0, name);
  octal(100, 8, 0o644);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, size);
  octal(136, 12, mtime);
  put(148, '        '); // checksum: spaces while summing
  h[156] = 0x30; // '0': regular file
  put(257, 'ustar\0');
  put(263, '00');
  let sum = 0;
  for (const b of h) sum += b;
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return h;
}

/** A TOML string value (basic string, escaped). */
const tomlString = (s: string): string =>
  `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/**
 * A TAB for `name` holding `tbfs` (file names from `tabTbfName`). `minimumKernelVersion` goes
 * to metadata.toml as tockloader reads it; `buildDate` (UTC seconds) defaults to 0 so the same
 * inputs give the same bytes.
 */
export function buildTab(opts: {
  name: string;
  tbfs: { arch: string; fixed?: { flash: number; ram: number }; bytes: Uint8Array }[];
  onlyForBoards?: string[];
  minimumKernelVersion?: { major: number; minor: number };
  buildDate?: number;
}): Uint8Array {
  const k = opts.minimumKernelVersion ?? { major: 2, minor: 0 };
  const date = new Date((opts.buildDate ?? 0) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const metadata = [
    'tab-version = 1',
    `name = ${tomlString(opts.name)}`,
    `only-for-boards = ${tomlString((opts.onlyForBoards ?? []).join(','))}`,
    `build-date = ${date}`,
    `minimum-tock-kernel-version = ${tomlString(`${k.major}.${k.minor}`)}`,
    '',
  ].join('\n');
  const members = [
    { name: 'metadata.toml', bytes: new TextEncoder().encode(metadata) },
    ...opts.tbfs.map((t) => ({ name: tabTbfName(t.arch, t.fixed), bytes: t.bytes })),
  ];
  const parts: Uint8Array[] = [];
  for (const m of members) {
    if (m.name.length > 99) throw new RangeError(`TAB member name too long: ${m.name}`);
    parts.push(tarHeader(m.name, m.bytes.length, opts.buildDate ?? 0), m.bytes);
    const pad = (BLOCK - (m.bytes.length % BLOCK)) % BLOCK;
    parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Flat `key = value` TOML, as metadata.toml uses it (tables and arrays are not expected). */
export function parseFlatToml(text: string): Result<Record<string, string | number>> {
  const out: Record<string, string | number> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/^\s+|\s+$/g, '');
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!m) return { ok: false, error: `metadata.toml line ${i + 1}: not 'key = value'` };
    const raw = m[2]!.replace(/\s+#.*$/, '');
    let value: string | number;
    if (raw.startsWith('"')) {
      const s = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
      if (!s) return { ok: false, error: `metadata.toml line ${i + 1}: unterminated string` };
      value = s[1]!.replace(/\\(["\\n])/g, (_x, c: string) => (c === 'n' ? '\n' : c));
    } else if (raw.startsWith("'")) {
      const s = /^'([^']*)'$/.exec(raw);
      if (!s) return { ok: false, error: `metadata.toml line ${i + 1}: unterminated string` };
      value = s[1]!;
    } else if (/^[+-]?\d+$/.test(raw)) value = Number(raw);
    else value = raw; // dates, booleans: kept as written
    out[m[1]!] = value;
  }
  return { ok: true, value: out };
}

/**
 * The metadata and TBFs of a TAB (tar, as elf2tab writes it). Fails, naming the problem, for a
 * file that is not a tar, a TAB without metadata.toml or without any TBF, and for a TBF longer
 * than the total size its header gives (tockloader refuses that too).
 */
export function parseTab(bytes: Uint8Array): Result<TabContents> {
  const members = new Map<string, Uint8Array>();
  let at = 0;
  while (at + BLOCK <= bytes.length) {
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((b) => b === 0)) break;
    const field = (from: number, len: number): string => {
      let s = '';
      for (let i = from; i < from + len && h[i] !== 0; i++) s += String.fromCharCode(h[i]!);
      return s;
    };
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
    const stored = parseInt(field(148, 8).trim(), 8);
    if (!Number.isFinite(stored) || stored !== sum)
      return { ok: false, error: `not a TAB: no valid tar header at byte ${at}` };
    const prefix = field(345, 155);
    const name = (prefix ? `${prefix}/` : '') + field(0, 100);
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const start = at + BLOCK;
    if (start + size > bytes.length)
      return { ok: false, error: `TAB member ${name} runs past the end of the file` };
    if (type === '0' || type === '\0')
      members.set(name.replace(/^\.\//, ''), bytes.slice(start, start + size));
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  const meta = members.get('metadata.toml');
  if (!meta) return { ok: false, error: 'not a TAB: it has no metadata.toml' };
  const parsed = parseFlatToml(new TextDecoder().decode(meta));
  if (!parsed.ok) return parsed;
  const tbfs: TabTbf[] = [];
  for (const [filename, data] of members) {
    const base = filename.split('/').pop()!;
    const pieces = base.split('.');
    if (pieces.length < 2 || pieces.at(-1) !== 'tbf') continue;
    const tbf: TabTbf = { filename: base, arch: pieces[0]!, bytes: data };
    if (
      pieces.length === 4 &&
      /^0x[0-9a-f]+$/i.test(pieces[1]!) &&
      /^0x[0-9a-f]+$/i.test(pieces[2]!)
    ) {
      tbf.flash = parseInt(pieces[1]!, 16);
      tbf.ram = parseInt(pieces[2]!, 16);
    }
    if (data.length >= 8) {
      const total = new DataView(data.buffer, data.byteOffset).getUint32(4, true);
      if (data.length > total)
        return {
          ok: false,
          error: `TAB member ${base}: ${data.length} bytes, longer than the TBF's total size ${total}`,
        };
    }
    tbfs.push(tbf);
  }
  if (tbfs.length === 0) return { ok: false, error: 'TAB holds no .tbf file' };
  const name = typeof parsed.value.name === 'string' ? parsed.value.name : '';
  return { ok: true, value: { metadata: parsed.value, name, tbfs } };
}

/** True when `bytes` looks like a tar archive (the ustar magic at offset 257). */
export function isTab(bytes: Uint8Array): boolean {
  return (
    bytes.length >= BLOCK &&
    bytes[257] === 0x75 &&
    bytes[258] === 0x73 &&
    bytes[259] === 0x74 &&
    bytes[260] === 0x61 &&
    bytes[261] === 0x72
  );
}

/** The TBF of `tab` for `arch` (the first, or the one fixed at `flash` when given). */
export function tbfFromTab(tab: TabContents, arch: string, flash?: number): Result<TabTbf> {
  const forArch = tab.tbfs.filter((t) => t.arch === arch);
  if (forArch.length === 0)
    return {
      ok: false,
      error: `TAB '${tab.name}' has no TBF for ${arch} (it has: ${[...new Set(tab.tbfs.map((t) => t.arch))].join(', ')})`,
    };
  const pick =
    flash === undefined
      ? (forArch.find((t) => t.flash === undefined) ?? forArch[0]!)
      : forArch.find((t) => t.flash === undefined || t.flash === flash);
  if (!pick)
    return {
      ok: false,
      error: `TAB '${tab.name}' has no ${arch} TBF for flash ${hex8(flash!)} (fixed at ${forArch.map((t) => hex8(t.flash ?? 0)).join(', ')})`,
    };
  return { ok: true, value: pick };
}
