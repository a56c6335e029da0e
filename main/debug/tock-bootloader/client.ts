/**
 * Bootloader client: Tock's serial bootloader commands over any byte link, as tockloader
 * issues them.
 *
 * `SerialLink` is the little a client needs from a serial port (write, read with a time limit,
 * baud rate, DTR/RTS); main/host/serial.ts gives one over the `serialport` package, tests give
 * one over a simulated board. Each command is sent with tockloader's sync prefix (`00 FC 05`),
 * its response read with a time limit and checked; a command that gets no answer is sent once
 * more (every command here is idempotent) before the client gives up with `timeout`. A link
 * that goes away midway gives `link-lost`: running the operation again once the port is back
 * is safe. Error responses are named (BADADDR, BADARGS, ...).
 *
 * `enterBootloader` gets a board into its bootloader: it pings first (already there?), then
 * tries the automatic ways the board supports (a 1200-baud touch, a DTR/RTS reset pulse, as
 * tockloader does), and otherwise fails saying how a person enters it on that board.
 *
 * @example
 *   const client = new BootloaderClient(link);
 *   const entered = await enterBootloader(client, { methods: ['dtr-rts'], manual: 'Hold BUTTON1 ...' });
 *   const crc = await client.crc(0x40000, 0x4000);
 */
import { ok, type Result } from '../../../emulator/core/result';
import { flashError, type FlashError } from '../../../emulator/debug/flasher';
import {
  ATTRIBUTE_COUNT,
  ATTRIBUTE_SIZE,
  COMMAND,
  INFO_SIZE,
  MAX_READ,
  PAGE_SIZE,
  RESPONSE,
  ResponseReader,
  changeBaudArgs,
  crcArgs,
  decodeAttribute,
  decodeInfo,
  describeResponse,
  encodeCommand,
  erasePageArgs,
  getAttributeArgs,
  readRangeArgs,
  readU32,
  setAttributeArgs,
  setStartAddressArgs,
  writePageArgs,
  type Attribute,
  type BootloaderInfo,
} from './protocol';

/** What the client needs from a serial port. */
export interface SerialLink {
  /** For messages: the port's path. */
  readonly label: string;
  write(bytes: Uint8Array): Promise<Result<void, FlashError>>;
  /**
   * The bytes received since the last read, waiting up to `timeoutMs` for the first one; an
   * empty array when none came in time. `link-lost` once the port is gone.
   */
  read(timeoutMs: number): Promise<Result<Uint8Array, FlashError>>;
  /** Forgets bytes received and not read yet. */
  discardInput(): void;
  setBaudRate(baud: number): Promise<Result<void, FlashError>>;
  setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<Result<void, FlashError>>;
  sleep(ms: number): Promise<void>;
}

/** How a board is put into its bootloader. */
export interface BootloaderEntry {
  /** What the host may try by itself, in order. */
  methods: readonly ('baud-1200' | 'dtr-rts')[];
  /** What a person does on this board when nothing automatic works (the error's fix). */
  manual: string;
}

export interface ClientOptions {
  /** Time to wait for a response (default 2000 ms; writes, erases and CRCs get more). */
  timeoutMs?: number;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

const COMMAND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(COMMAND).map(
    ([name, code]) => [code, name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()] as const,
  ),
);

export class BootloaderClient {
  readonly timeoutMs: number;

  constructor(
    readonly link: SerialLink,
    options: ClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  /**
   * Sends `command` and reads a response of `expected` with `length` payload bytes. Retries
   * once when nothing comes back in time.
   */
  async command(
    command: number,
    payload: Uint8Array,
    expected: number,
    length: number,
    opts: { timeoutMs?: number; what?: string; retry?: boolean } = {},
  ): Promise<Result<Uint8Array, FlashError>> {
    const what = opts.what ?? COMMAND_NAMES[command] ?? `command 0x${command.toString(16)}`;
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    const attempts = opts.retry === false ? 1 : 2;
    let last: Result<Uint8Array, FlashError> = flashError('timeout', `${what}: no answer`);
    for (let attempt = 0; attempt < attempts; attempt++) {
      this.link.discardInput();
      const w = await this.link.write(encodeCommand(command, payload, { sync: true }));
      if (!w.ok) return w;
      const reader = new ResponseReader(expected, length);
      last = await this.response(reader, timeout, what);
      // A late answer is still this command's answer: wait once more before sending it again,
      // or the first answer would arrive after the resend and be taken for the next command's.
      if (!last.ok && last.error.kind === 'timeout' && attempts > 1)
        last = await this.response(reader, timeout, what);
      if (last.ok || last.error.kind !== 'timeout') return last;
    }
    return last;
  }

  private async response(
    reader: ResponseReader,
    timeoutMs: number,
    what: string,
  ): Promise<Result<Uint8Array, FlashError>> {
    for (;;) {
      const r = await this.link.read(timeoutMs);
      if (!r.ok) return r;
      if (r.value.length === 0)
        return flashError(
          'timeout',
          `${what}: the bootloader on ${this.link.label} did not answer within ${timeoutMs} ms`,
        );
      let s = reader.push(r.value);
      // A PONG here answers a PING that timed out earlier (a slow board answers them all, late):
      // it is not this command's answer, so the reading goes on after it.
      while (s.state === 'other' && s.code === RESPONSE.pong && reader.expected !== RESPONSE.pong)
        s = reader.push(s.rest);
      if (s.state === 'done') return ok(s.payload.slice());
      if (s.state === 'malformed')
        return flashError(
          'failed',
          `${what}: garbled answer from ${this.link.label}: ${s.message}`,
        );
      if (s.state === 'other') {
        const refused = s.code === RESPONSE.badAddress;
        return flashError(
          refused ? 'refused' : 'failed',
          `${what}: the bootloader answered ${describeResponse(s.code)}`,
        );
      }
    }
  }

  async ping(timeoutMs = 300): Promise<Result<void, FlashError>> {
    const r = await this.command(COMMAND.ping, new Uint8Array(0), RESPONSE.pong, 0, {
      timeoutMs,
      retry: false,
    });
    return r.ok ? ok(undefined) : r;
  }

  async info(): Promise<Result<BootloaderInfo, FlashError>> {
    const r = await this.command(COMMAND.info, new Uint8Array(0), RESPONSE.info, 1 + INFO_SIZE);
    if (!r.ok) return r;
    const d = decodeInfo(r.value);
    return d.ok ? d : flashError('failed', d.error);
  }

  /** Reads `length` bytes at `address`, in READ_RANGE chunks of at most 4095 bytes. */
  async readRange(address: number, length: number): Promise<Result<Uint8Array, FlashError>> {
    const out = new Uint8Array(length);
    for (let done = 0; done < length;) {
      const n = Math.min(MAX_READ, length - done);
      const r = await this.command(
        COMMAND.readRange,
        readRangeArgs(address + done, n),
        RESPONSE.readRange,
        n,
        { what: `READ_RANGE ${hex(address + done)}+${n}` },
      );
      if (!r.ok) return r;
      out.set(r.value, done);
      done += n;
    }
    return ok(out);
  }

  async writePage(address: number, page: Uint8Array): Promise<Result<void, FlashError>> {
    const r = await this.command(COMMAND.writePage, writePageArgs(address, page), RESPONSE.ok, 0, {
      what: `WRITE_PAGE ${hex(address)}`,
      timeoutMs: this.timeoutMs * 2,
    });
    return r.ok ? ok(undefined) : r;
  }

  async erasePage(address: number): Promise<Result<void, FlashError>> {
    const r = await this.command(COMMAND.erasePage, erasePageArgs(address), RESPONSE.ok, 0, {
      what: `ERASE_PAGE ${hex(address)}`,
      timeoutMs: this.timeoutMs * 2,
    });
    return r.ok ? ok(undefined) : r;
  }

  /** The board's CRC-32 of `[address, address + length)`. */
  async crc(address: number, length: number): Promise<Result<number, FlashError>> {
    const r = await this.command(
      COMMAND.crcInternalFlash,
      crcArgs(address, length),
      RESPONSE.crcInternalFlash,
      4,
      {
        what: `CRC_INTERNAL_FLASH ${hex(address)}+${length}`,
        timeoutMs: this.timeoutMs + Math.ceil(length / 64),
      },
    );
    return r.ok ? ok(readU32(r.value, 0)) : r;
  }

  async getAttribute(index: number): Promise<Result<Attribute | null, FlashError>> {
    if (!Number.isInteger(index) || index < 0 || index >= ATTRIBUTE_COUNT)
      return flashError('refused', `attribute index ${index} is not 0-${ATTRIBUTE_COUNT - 1}`);
    const r = await this.command(
      COMMAND.getAttribute,
      getAttributeArgs(index),
      RESPONSE.getAttribute,
      ATTRIBUTE_SIZE,
      { what: `GET_ATTRIBUTE ${index}` },
    );
    return r.ok ? ok(decodeAttribute(index, r.value)) : r;
  }

  async attributes(): Promise<Result<Attribute[], FlashError>> {
    const out: Attribute[] = [];
    for (let i = 0; i < ATTRIBUTE_COUNT; i++) {
      const r = await this.getAttribute(i);
      if (!r.ok) return r;
      if (r.value) out.push(r.value);
    }
    return ok(out);
  }

  async setAttribute(index: number, key: string, value: string): Promise<Result<void, FlashError>> {
    const args = setAttributeArgs(index, key, new TextEncoder().encode(value));
    if (!args.ok) return flashError('refused', args.error);
    const r = await this.command(COMMAND.setAttribute, args.value, RESPONSE.ok, 0, {
      what: `SET_ATTRIBUTE ${index}`,
      timeoutMs: this.timeoutMs * 2,
    });
    return r.ok ? ok(undefined) : r;
  }

  async setStartAddress(address: number): Promise<Result<void, FlashError>> {
    const r = await this.command(
      COMMAND.setStartAddress,
      setStartAddressArgs(address),
      RESPONSE.ok,
      0,
      { what: `SET_START_ADDRESS ${hex(address)}`, timeoutMs: this.timeoutMs * 2 },
    );
    return r.ok ? ok(undefined) : r;
  }

  /**
   * Moves the link to `baud`: the board answers the request at the old rate, then both switch
   * and the board must confirm at the new one; otherwise both stay at (or go back to) `from`.
   */
  async changeBaudRate(baud: number, from = 115200): Promise<Result<void, FlashError>> {
    const set = await this.command(
      COMMAND.changeBaudRate,
      changeBaudArgs('set', baud),
      RESPONSE.ok,
      0,
      {
        what: `CHANGE_BAUD_RATE to ${baud}`,
        retry: false,
      },
    );
    if (!set.ok) return set;
    const switched = await this.link.setBaudRate(baud);
    if (!switched.ok) return switched;
    const verify = await this.command(
      COMMAND.changeBaudRate,
      changeBaudArgs('verify', baud),
      RESPONSE.ok,
      0,
      { what: `CHANGE_BAUD_RATE confirm at ${baud}`, retry: false },
    );
    if (verify.ok) return ok(undefined);
    await this.link.setBaudRate(from);
    return verify;
  }

  /** Tells the bootloader to start the kernel (no answer comes: the board resets). */
  async exit(): Promise<Result<void, FlashError>> {
    this.link.discardInput();
    return this.link.write(encodeCommand(COMMAND.exit));
  }
}

/** Pages (512-byte aligned addresses) that `[address, address + length)` touches. */
export function pagesOf(address: number, length: number): number[] {
  const out: number[] = [];
  if (length <= 0) return out;
  const first = Math.floor(address / PAGE_SIZE) * PAGE_SIZE;
  for (let p = first; p < address + length; p += PAGE_SIZE) out.push(p);
  return out;
}

/**
 * Gets the board into its bootloader: already there (PONG), or after one of `entry.methods`;
 * otherwise `timeout` with `entry.manual` as the fix.
 */
export async function enterBootloader(
  client: BootloaderClient,
  entry: BootloaderEntry,
  options: { pings?: number } = {},
): Promise<Result<void, FlashError>> {
  const link = client.link;
  const pingSome = async (times: number): Promise<Result<void, FlashError>> => {
    let last: Result<void, FlashError> = flashError('timeout', 'no PONG');
    for (let i = 0; i < times; i++) {
      last = await client.ping();
      if (last.ok || last.error.kind === 'link-lost') return last;
    }
    return last;
  };
  let r = await pingSome(options.pings ?? 2);
  if (r.ok || r.error.kind === 'link-lost') return r;
  const tried: string[] = [];
  const step = async (op: Promise<Result<void, FlashError>>): Promise<'lost' | 'failed' | 'ok'> => {
    const x = await op;
    return x.ok ? 'ok' : x.error.kind === 'link-lost' ? 'lost' : 'failed';
  };
  for (const method of entry.methods) {
    // A method the port cannot do (DTR/RTS on a pseudo-terminal) is skipped.
    let outcome: 'lost' | 'failed' | 'ok';
    if (method === 'baud-1200') {
      tried.push('a 1200-baud touch');
      outcome = await step(link.setBaudRate(1200));
      if (outcome === 'ok') {
        await link.sleep(100);
        outcome = await step(link.setBaudRate(115200));
        await link.sleep(500);
      }
    } else {
      tried.push('a DTR/RTS reset pulse');
      outcome = await step(link.setSignals({ dtr: true, rts: true }));
      if (outcome === 'ok') {
        await link.sleep(100);
        outcome = await step(link.setSignals({ dtr: false }));
        await link.sleep(500);
        if (outcome === 'ok') outcome = await step(link.setSignals({ rts: false }));
      }
    }
    if (outcome === 'lost') return flashError('link-lost', `${link.label} went away`);
    if (outcome === 'failed') {
      tried[tried.length - 1] += ' (not possible on this port)';
      continue;
    }
    r = await pingSome(options.pings ?? 2);
    if (r.ok || r.error.kind === 'link-lost') return r;
  }
  return flashError(
    'timeout',
    `no bootloader answers on ${link.label} (no PONG to PING${tried.length ? ` after ${tried.join(' and ')}` : ''})`,
    { fix: entry.manual },
  );
}
