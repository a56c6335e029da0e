/**
 * Tock's serial bootloader protocol (the one tockloader speaks): framing, commands, responses,
 * attributes, the flags page and CRC-32, as a pure codec for both ends of the wire.
 *
 * The host side (client.ts) encodes commands and parses responses; the bootloader side
 * (`CommandDecoder`) is what a board runs, here for tests that stand in for a board. Our own
 * bootloader (kernel/capsules/src/tock_bootloader.rs) implements the same rules in Rust.
 *
 * Facts (from tock/tock-bootloader's README and bootloader sources, and tockloader's
 * bootloader_serial.py; restated, not copied):
 * - A command is its payload with every 0xFC doubled, then 0xFC and the command byte. A
 *   response is 0xFC and the response byte, then its payload escaped the same way. Integers are
 *   little-endian. The board takes a command's arguments from the bytes received since the last
 *   command; tockloader sends `00 FC 05` (RESET: "forget what you have received") before each
 *   command so stray bytes cannot become arguments.
 * - Commands: PING 0x01, INFO 0x03, ID 0x04, RESET 0x05, ERASE_PAGE 0x06 (address),
 *   WRITE_PAGE 0x07 (address + 512 bytes), READ_RANGE 0x11 (address, u16 length),
 *   SET_ATTRIBUTE 0x13 (index, 8-byte key, length 1-55, value), GET_ATTRIBUTE 0x14 (index),
 *   CRC_INTERNAL_FLASH 0x15 (address, u32 length), CHANGE_BAUD_RATE 0x21 (1 = set / 2 = verify,
 *   u32 baud), EXIT 0x22, SET_START_ADDRESS 0x23 (address). 0x08-0x10, 0x12, 0x16-0x20 are
 *   legacy SAM4L / external-flash commands.
 * - Responses: OVERFLOW 0x10, PONG 0x11, BADADDR 0x12, INTERROR 0x13, BADARGS 0x14, OK 0x15,
 *   UNKNOWN 0x16, XFTIMEOUT 0x17, XFEPE 0x18, CRCRX 0x19, READ_RANGE 0x20 (+ data),
 *   GET_ATTRIBUTE 0x22 (+ 64 bytes), CRC_INTERNAL_FLASH 0x23 (+ u32), INFO 0x25 (+ length byte
 *   and 192 bytes), CHANGE_BAUD_FAIL 0x26.
 * - The wire page is 512 bytes whatever the flash's own page size; a board maps it onto its
 *   pages. READ_RANGE is asked for at most 4095 bytes at a time (tockloader's limit).
 * - In the bootloader's flash, 0x400 holds "TOCKBOOTLOADER", an 8-byte version at +14 and the
 *   kernel's start address (u32) at +32; 16 attributes of 64 bytes (8-byte key, length, 55-byte
 *   value) start at 0x600. INFO answers a JSON text: version, start_address, name.
 * - The CRC is the standard CRC-32 (reflected 0x04C11DB7, initial and final XOR 0xFFFFFFFF), as
 *   zlib's crc32 and tockloader's crcmod (poly 0x104C11DB7, xorOut 0xFFFFFFFF) compute it.
 *
 * @example
 *   const bytes = encodeCommand(COMMAND.readRange, readRangeArgs(0x40000, 16));
 *   const reader = new ResponseReader(RESPONSE.readRange, 16);
 *   const r = reader.push(received); // { state: 'done', payload } once 16 bytes arrived
 */

export const ESCAPE = 0xfc;
/** The page size of the protocol (WRITE_PAGE carries exactly this many bytes). */
export const PAGE_SIZE = 512;
/** tockloader reads at most this many bytes with one READ_RANGE. */
export const MAX_READ = 4095;
export const ATTRIBUTE_COUNT = 16;
export const ATTRIBUTE_SIZE = 64;
export const ATTRIBUTE_KEY_SIZE = 8;
export const ATTRIBUTE_VALUE_MAX = 55;
/** INFO's payload after its length byte. */
export const INFO_SIZE = 192;
/** Offset of the flags block in the bootloader's flash, and of the attribute table. */
export const FLAGS_OFFSET = 0x400;
export const ATTRIBUTES_OFFSET = 0x600;
export const FLAGS_MAGIC = 'TOCKBOOTLOADER';
/** Offset of the version string and of the start address inside the flags block. */
export const FLAGS_VERSION_OFFSET = 14;
export const FLAGS_START_ADDRESS_OFFSET = 32;
/** What tockloader sends before a command: a stray 0x00, then RESET. */
export const SYNC = Uint8Array.of(0x00, ESCAPE, 0x05);

export const COMMAND = {
  ping: 0x01,
  info: 0x03,
  id: 0x04,
  reset: 0x05,
  erasePage: 0x06,
  writePage: 0x07,
  readRange: 0x11,
  setAttribute: 0x13,
  getAttribute: 0x14,
  crcInternalFlash: 0x15,
  changeBaudRate: 0x21,
  exit: 0x22,
  setStartAddress: 0x23,
} as const;

export const RESPONSE = {
  overflow: 0x10,
  pong: 0x11,
  badAddress: 0x12,
  internalError: 0x13,
  badArguments: 0x14,
  ok: 0x15,
  unknown: 0x16,
  externalFlashTimeout: 0x17,
  externalFlashPageError: 0x18,
  crcReceiveBuffer: 0x19,
  readRange: 0x20,
  getAttribute: 0x22,
  crcInternalFlash: 0x23,
  info: 0x25,
  changeBaudFail: 0x26,
} as const;

/** What each error response means, for messages. */
export const RESPONSE_MEANING: Readonly<Record<number, string>> = {
  [RESPONSE.overflow]: 'OVERFLOW (the command was longer than its receive buffer)',
  [RESPONSE.badAddress]: 'BADADDR (the address is not one it may use)',
  [RESPONSE.internalError]: 'INTERROR (the flash operation failed inside the bootloader)',
  [RESPONSE.badArguments]: 'BADARGS (wrong argument length or value)',
  [RESPONSE.unknown]: 'UNKNOWN (it does not know this command)',
  [RESPONSE.changeBaudFail]: 'CHANGE_BAUD_FAIL',
};

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** Describes a response byte for an error message. */
export function describeResponse(code: number): string {
  return RESPONSE_MEANING[code] ?? `response 0x${code.toString(16).padStart(2, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Framing

/** `payload` with every 0xFC doubled. */
export function escape(payload: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of payload) if (b === ESCAPE) extra++;
  if (extra === 0) return payload;
  const out = new Uint8Array(payload.length + extra);
  let j = 0;
  for (const b of payload) {
    out[j++] = b;
    if (b === ESCAPE) out[j++] = ESCAPE;
  }
  return out;
}

/** The bytes of one command: escaped payload, 0xFC, command byte; with `sync`, SYNC first. */
export function encodeCommand(
  command: number,
  payload: Uint8Array = new Uint8Array(0),
  options: { sync?: boolean } = {},
): Uint8Array {
  const body = escape(payload);
  const lead = options.sync ? SYNC.length : 0;
  const out = new Uint8Array(lead + body.length + 2);
  if (options.sync) out.set(SYNC, 0);
  out.set(body, lead);
  out[lead + body.length] = ESCAPE;
  out[lead + body.length + 1] = command;
  return out;
}

/** The bytes of one response: 0xFC, response byte, escaped payload. */
export function encodeResponse(code: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = escape(payload);
  const out = new Uint8Array(2 + body.length);
  out[0] = ESCAPE;
  out[1] = code;
  out.set(body, 2);
  return out;
}

const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const readU32 = (b: Uint8Array, at: number): number =>
  ((b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24)) >>>
  0;
const readU16 = (b: Uint8Array, at: number): number => (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);

export const erasePageArgs = (address: number): Uint8Array => Uint8Array.from(u32(address));

/** WRITE_PAGE's payload: the address, then exactly one 512-byte page. */
export function writePageArgs(address: number, page: Uint8Array): Uint8Array {
  if (page.length !== PAGE_SIZE)
    throw new RangeError(`WRITE_PAGE carries ${PAGE_SIZE} bytes, not ${page.length}`);
  const out = new Uint8Array(4 + PAGE_SIZE);
  out.set(u32(address), 0);
  out.set(page, 4);
  return out;
}

export const readRangeArgs = (address: number, length: number): Uint8Array =>
  Uint8Array.from([...u32(address), length & 0xff, (length >>> 8) & 0xff]);

export const crcArgs = (address: number, length: number): Uint8Array =>
  Uint8Array.from([...u32(address), ...u32(length)]);

export const getAttributeArgs = (index: number): Uint8Array => Uint8Array.of(index);

export const changeBaudArgs = (mode: 'set' | 'verify', baud: number): Uint8Array =>
  Uint8Array.from([mode === 'set' ? 1 : 2, ...u32(baud)]);

export const setStartAddressArgs = (address: number): Uint8Array => Uint8Array.from(u32(address));

/** SET_ATTRIBUTE's payload; fails (a message) for an index, key or value out of range. */
export function setAttributeArgs(
  index: number,
  key: string,
  value: Uint8Array,
): { ok: true; value: Uint8Array } | { ok: false; error: string } {
  if (!Number.isInteger(index) || index < 0 || index >= ATTRIBUTE_COUNT)
    return { ok: false, error: `attribute index ${index} is not 0-${ATTRIBUTE_COUNT - 1}` };
  const k = new TextEncoder().encode(key);
  if (k.length === 0 || k.length > ATTRIBUTE_KEY_SIZE)
    return { ok: false, error: `attribute key '${key}' must be 1-${ATTRIBUTE_KEY_SIZE} bytes` };
  if (value.length === 0 || value.length > ATTRIBUTE_VALUE_MAX)
    return {
      ok: false,
      error: `attribute value must be 1-${ATTRIBUTE_VALUE_MAX} bytes (got ${value.length})`,
    };
  const out = new Uint8Array(1 + ATTRIBUTE_KEY_SIZE + 1 + value.length);
  out[0] = index;
  out.set(k, 1);
  out[1 + ATTRIBUTE_KEY_SIZE] = value.length;
  out.set(value, 2 + ATTRIBUTE_KEY_SIZE);
  return { ok: true, value: out };
}

// ---------------------------------------------------------------------------------------------
// Responses on the host side

export type ReadState =
  | { state: 'waiting' }
  | { state: 'done'; payload: Uint8Array; rest: Uint8Array }
  /** The board answered with another response (an error code, usually). */
  | { state: 'other'; code: number; rest: Uint8Array }
  | { state: 'malformed'; message: string };

/**
 * Collects one response from the bytes the board sends: skips anything before the header (a
 * kernel's console text left in the line), then reads the payload of the expected length,
 * undoing the escaping. Bytes after the response are handed back as `rest`.
 */
export class ResponseReader {
  private header = false;
  private pendingEscape = false;
  private readonly payload: Uint8Array;
  private have = 0;
  private sawEscape = false;

  constructor(
    readonly expected: number,
    readonly length: number,
  ) {
    this.payload = new Uint8Array(length);
  }

  push(bytes: Uint8Array): ReadState {
    let i = 0;
    while (!this.header && i < bytes.length) {
      const b = bytes[i++]!;
      if (!this.sawEscape) {
        if (b === ESCAPE) this.sawEscape = true;
        continue;
      }
      if (b === ESCAPE) continue; // a doubled escape in stray text: keep looking
      this.sawEscape = false;
      if (b !== this.expected) return { state: 'other', code: b, rest: bytes.subarray(i) };
      this.header = true;
    }
    while (this.header && this.have < this.length && i < bytes.length) {
      const b = bytes[i++]!;
      if (this.pendingEscape) {
        this.pendingEscape = false;
        if (b !== ESCAPE)
          return {
            state: 'malformed',
            message: `an unescaped 0xFC followed by 0x${b.toString(16)} inside a response`,
          };
        this.payload[this.have++] = ESCAPE;
      } else if (b === ESCAPE) {
        this.pendingEscape = true;
      } else {
        this.payload[this.have++] = b;
      }
    }
    if (this.header && this.have === this.length && !this.pendingEscape)
      return { state: 'done', payload: this.payload, rest: bytes.subarray(i) };
    return { state: 'waiting' };
  }
}

// ---------------------------------------------------------------------------------------------
// Commands on the board side

export type DecodedCommand =
  | { kind: 'ping' }
  | { kind: 'info' }
  | { kind: 'id' }
  | { kind: 'reset' }
  | { kind: 'erase-page'; address: number }
  | { kind: 'write-page'; address: number; data: Uint8Array }
  | { kind: 'read-range'; address: number; length: number }
  | { kind: 'set-attribute'; index: number; key: Uint8Array; value: Uint8Array }
  | { kind: 'get-attribute'; index: number }
  | { kind: 'crc'; address: number; length: number }
  | { kind: 'change-baud'; mode: 'set' | 'verify'; baud: number }
  | { kind: 'exit' }
  | { kind: 'set-start-address'; address: number }
  /** A command byte the protocol does not define (or a legacy one): answer UNKNOWN. */
  | { kind: 'unknown'; command: number }
  /** Arguments of the wrong length or value: answer BADARGS. */
  | { kind: 'bad-arguments'; command: number }
  /** More argument bytes than the receive buffer holds: answer OVERFLOW. */
  | { kind: 'overflow'; command: number };

/**
 * The board's side: bytes in, commands out. Arguments are the bytes received since the last
 * command (escapes undone); a command with the wrong number of argument bytes decodes to
 * `bad-arguments`. `capacity` bounds the argument buffer (a WRITE_PAGE's 516 bytes and a little
 * more, as a board's receive buffer would).
 */
export class CommandDecoder {
  private readonly buffer: Uint8Array;
  private count = 0;
  private overflowed = false;
  private escaped = false;

  constructor(capacity = 4 + PAGE_SIZE + 64) {
    this.buffer = new Uint8Array(capacity);
  }

  /** Forgets received arguments (what RESET asks for). */
  reset(): void {
    this.count = 0;
    this.overflowed = false;
  }

  /** Feeds one byte; returns the command it completes, if any. */
  receive(byte: number): DecodedCommand | null {
    if (!this.escaped) {
      if (byte === ESCAPE) this.escaped = true;
      else this.load(byte);
      return null;
    }
    this.escaped = false;
    if (byte === ESCAPE) {
      this.load(ESCAPE);
      return null;
    }
    const cmd = this.decode(byte);
    this.reset();
    return cmd;
  }

  private load(b: number): void {
    if (this.count < this.buffer.length) this.buffer[this.count++] = b;
    else this.overflowed = true;
  }

  private decode(command: number): DecodedCommand {
    const a = this.buffer;
    const n = this.count;
    if (this.overflowed) return { kind: 'overflow', command };
    const need = (len: number, make: () => DecodedCommand): DecodedCommand =>
      n === len ? make() : { kind: 'bad-arguments', command };
    switch (command) {
      case COMMAND.ping:
        return { kind: 'ping' };
      case COMMAND.info:
        return { kind: 'info' };
      case COMMAND.id:
        return { kind: 'id' };
      case COMMAND.reset:
        return { kind: 'reset' };
      case COMMAND.exit:
        return { kind: 'exit' };
      case COMMAND.erasePage:
        return need(4, () => ({ kind: 'erase-page', address: readU32(a, 0) }));
      case COMMAND.writePage:
        return need(4 + PAGE_SIZE, () => ({
          kind: 'write-page',
          address: readU32(a, 0),
          data: a.slice(4, 4 + PAGE_SIZE),
        }));
      case COMMAND.readRange:
        return need(6, () => ({
          kind: 'read-range',
          address: readU32(a, 0),
          length: readU16(a, 4),
        }));
      case COMMAND.crcInternalFlash:
        return need(8, () => ({ kind: 'crc', address: readU32(a, 0), length: readU32(a, 4) }));
      case COMMAND.getAttribute:
        return need(1, () => ({ kind: 'get-attribute', index: a[0]! }));
      case COMMAND.setStartAddress:
        return need(4, () => ({ kind: 'set-start-address', address: readU32(a, 0) }));
      case COMMAND.setAttribute: {
        const len = a[9] ?? 0;
        if (n < 10 || n !== 10 + len || len === 0 || len > ATTRIBUTE_VALUE_MAX)
          return { kind: 'bad-arguments', command };
        return {
          kind: 'set-attribute',
          index: a[0]!,
          key: a.slice(1, 9),
          value: a.slice(10, 10 + len),
        };
      }
      case COMMAND.changeBaudRate: {
        if (n !== 5 || (a[0] !== 1 && a[0] !== 2)) return { kind: 'bad-arguments', command };
        return { kind: 'change-baud', mode: a[0] === 1 ? 'set' : 'verify', baud: readU32(a, 1) };
      }
      default:
        return { kind: 'unknown', command };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// CRC-32

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The standard CRC-32 of `data` (zlib's crc32); `previous` continues an earlier run. */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Attributes, INFO, flags

export interface Attribute {
  index: number;
  key: string;
  /** The value's bytes as text (attributes are ASCII by convention). */
  value: string;
  raw: Uint8Array;
}

const text = (b: Uint8Array): string => {
  let s = '';
  for (const c of b) {
    if (c === 0) break;
    s += String.fromCharCode(c);
  }
  return s;
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 text of `b`, or null when it is not UTF-8. */
function utf8Text(b: Uint8Array): string | null {
  try {
    return utf8.decode(b);
  } catch {
    return null;
  }
}

/**
 * One 64-byte attribute record, or null for an empty slot, read as tockloader reads it: the
 * 8-byte key is UTF-8 with its zero padding stripped from both ends, the value is exactly
 * `length` (1-55) bytes of UTF-8 (NUL bytes inside it included); a length of 0 or over 55, or
 * bytes that are not UTF-8 (an erased record's 0xFF), make the slot empty.
 */
export function decodeAttribute(index: number, record: Uint8Array): Attribute | null {
  if (record.length < ATTRIBUTE_SIZE) return null;
  const len = record[ATTRIBUTE_KEY_SIZE]!;
  if (len === 0 || len > ATTRIBUTE_VALUE_MAX) return null;
  const key = utf8Text(record.subarray(0, ATTRIBUTE_KEY_SIZE));
  const raw = record.slice(ATTRIBUTE_KEY_SIZE + 1, ATTRIBUTE_KEY_SIZE + 1 + len);
  const value = utf8Text(raw);
  if (key === null || value === null) return null;
  return { index, key: key.replace(/^\0+|\0+$/g, ''), value, raw };
}

/** The 64-byte record SET_ATTRIBUTE stores (key zero-padded, length, value zero-padded). */
export function encodeAttributeRecord(key: string, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(ATTRIBUTE_SIZE);
  out.set(new TextEncoder().encode(key).subarray(0, ATTRIBUTE_KEY_SIZE), 0);
  out[ATTRIBUTE_KEY_SIZE] = value.length;
  out.set(value.subarray(0, ATTRIBUTE_VALUE_MAX), ATTRIBUTE_KEY_SIZE + 1);
  return out;
}

export interface BootloaderInfo {
  version: string;
  /** Where the bootloader starts the kernel (`start_address`), when it says. */
  startAddress: number | null;
  name: string | null;
  /** The text as the board sent it. */
  text: string;
}

/** INFO's payload: a length byte, then that much JSON text (zero padded to 192 bytes). */
export function decodeInfo(payload: Uint8Array):
  | { ok: true; value: BootloaderInfo }
  | {
      ok: false;
      error: string;
    } {
  const len = payload[0] ?? 0;
  if (len === 0 || len > payload.length - 1)
    return { ok: false, error: `INFO gave a length of ${len} for ${payload.length - 1} bytes` };
  // Exactly `len` bytes of UTF-8 (tockloader decodes that much and no more).
  const body = utf8Text(payload.subarray(1, 1 + len));
  if (body === null) return { ok: false, error: 'INFO is not UTF-8 text' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, error: `INFO is not JSON: ${JSON.stringify(body)}` };
  }
  const o = (parsed ?? {}) as Record<string, unknown>;
  const start = typeof o.start_address === 'string' ? Number.parseInt(o.start_address, 16) : NaN;
  return {
    ok: true,
    value: {
      version: typeof o.version === 'string' ? o.version : '',
      startAddress: Number.isFinite(start) ? start >>> 0 : null,
      name: typeof o.name === 'string' ? o.name : null,
      text: body,
    },
  };
}

/** INFO's JSON, as a board composes it from its flags block. */
export function encodeInfo(version: string, startAddress: number): Uint8Array {
  const body = new TextEncoder().encode(
    `{"version":"${version}", "start_address":"${hex(startAddress)}", "name":"Tock Bootloader"}`,
  );
  const out = new Uint8Array(1 + INFO_SIZE);
  out[0] = body.length;
  out.set(body.subarray(0, INFO_SIZE), 1);
  return out;
}

export interface FlagsBlock {
  version: string;
  startAddress: number;
}

/** The flags block at FLAGS_OFFSET, or null when it does not start with "TOCKBOOTLOADER". */
export function decodeFlags(block: Uint8Array): FlagsBlock | null {
  if (text(block.subarray(0, FLAGS_MAGIC.length)) !== FLAGS_MAGIC) return null;
  return {
    version: text(block.subarray(FLAGS_VERSION_OFFSET, FLAGS_VERSION_OFFSET + 8)),
    startAddress: readU32(block, FLAGS_START_ADDRESS_OFFSET),
  };
}

export { readU32 };
