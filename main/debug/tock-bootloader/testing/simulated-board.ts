/**
 * A Tock bootloader simulated in memory, behind a `SerialLink`: the stand-in board of the
 * client's unit tests (the real one, our Rust bootloader in the emulator, is tested in
 * tests/kernel/bootloader.test.ts).
 *
 * It decodes commands with the protocol's `CommandDecoder` and answers as the bootloader does:
 * flash starts erased, the flags block and attributes sit at 0x400/0x600, writes into the
 * bootloader itself are refused with BADADDR, the CRC is zlib's. Tests make it misbehave: stay
 * silent (no bootloader running), lose the link after N page writes (a cable pulled midway),
 * or store a corrupted byte on the next write.
 */
import { ok, type Result } from '../../../../emulator/core/result';
import { flashError, type FlashError } from '../../../../emulator/debug/flasher';
import type { SerialLink } from '../client';
import {
  ATTRIBUTE_SIZE,
  ATTRIBUTES_OFFSET,
  CommandDecoder,
  FLAGS_MAGIC,
  FLAGS_OFFSET,
  FLAGS_START_ADDRESS_OFFSET,
  FLAGS_VERSION_OFFSET,
  PAGE_SIZE,
  RESPONSE,
  crc32,
  encodeAttributeRecord,
  encodeInfo,
  encodeResponse,
  readU32,
} from '../protocol';

export interface SimulatedBoardOptions {
  flashSize?: number;
  /** Size of the bootloader at address 0 (writes there get BADADDR). */
  bootloaderSize?: number;
  startAddress?: number;
  attributes?: Record<string, string>;
  version?: string;
}

export class SimulatedBoard implements SerialLink {
  readonly label = '/dev/simulated';
  readonly flash: Uint8Array;
  /** False: nothing answers (the board runs its kernel, not the bootloader). */
  inBootloader = true;
  /** After this many more WRITE_PAGEs the link dies (the cable is pulled). */
  loseLinkAfterWrites: number | null = null;
  /** The next WRITE_PAGE stores this byte flipped (flash that did not take). */
  corruptNextWrite = false;
  /** Answers reach the host only after this many reads that come back empty (a slow board). */
  answerDelayReads = 0;
  private delayed = 0;
  /** DTR/RTS pulses seen (a board wired for them would enter its bootloader). */
  pulses = 0;
  enterOnPulse = false;
  exited = false;
  baud = 115200;
  /** The rates CHANGE_BAUD_RATE accepts (null: any). */
  baudRates: number[] | null = null;
  readonly commands: string[] = [];
  private lost = false;
  private readonly decoder = new CommandDecoder();
  private pending: number[] = [];
  private readonly bootloaderSize: number;

  constructor(options: SimulatedBoardOptions = {}) {
    this.flash = new Uint8Array(options.flashSize ?? 0x100000).fill(0xff);
    this.bootloaderSize = options.bootloaderSize ?? 0x8000;
    const flags = new Uint8Array(512);
    flags.set(new TextEncoder().encode(FLAGS_MAGIC), 0);
    flags.set(new TextEncoder().encode(options.version ?? '1.1.0'), FLAGS_VERSION_OFFSET);
    new DataView(flags.buffer).setUint32(
      FLAGS_START_ADDRESS_OFFSET,
      options.startAddress ?? this.bootloaderSize,
      true,
    );
    this.flash.set(flags, FLAGS_OFFSET);
    const attrs = options.attributes ?? {
      board: 'nrf52840dk',
      arch: 'cortex-m4',
      appaddr: '0x40000',
    };
    Object.entries(attrs).forEach(([k, v], i) =>
      this.flash.set(
        encodeAttributeRecord(k, new TextEncoder().encode(v)),
        ATTRIBUTES_OFFSET + i * ATTRIBUTE_SIZE,
      ),
    );
    for (let i = Object.keys(attrs).length; i < 16; i++)
      this.flash.fill(
        0,
        ATTRIBUTES_OFFSET + i * ATTRIBUTE_SIZE,
        ATTRIBUTES_OFFSET + (i + 1) * ATTRIBUTE_SIZE,
      );
  }

  /** Brings a lost link back (the cable plugged in again); the board is in its bootloader. */
  reconnect(): void {
    this.lost = false;
    this.pending = [];
    this.decoder.reset();
  }

  async write(bytes: Uint8Array): Promise<Result<void, FlashError>> {
    if (this.lost) return flashError('link-lost', `${this.label} is gone`);
    if (!this.inBootloader) return ok(undefined);
    for (const b of bytes) {
      const cmd = this.decoder.receive(b);
      if (!cmd) continue;
      this.commands.push(cmd.kind);
      const answer = this.answer(cmd);
      if (this.lost) return flashError('link-lost', `${this.label} is gone`);
      if (answer) this.pending.push(...answer);
    }
    return ok(undefined);
  }

  private answer(cmd: ReturnType<CommandDecoder['receive']> & object): Uint8Array | null {
    switch (cmd.kind) {
      case 'ping':
        return encodeResponse(RESPONSE.pong);
      case 'reset':
        return null;
      case 'info': {
        const start = readU32(this.flash, FLAGS_OFFSET + FLAGS_START_ADDRESS_OFFSET);
        let version = '';
        for (let i = 0; i < 8; i++) {
          const c = this.flash[FLAGS_OFFSET + FLAGS_VERSION_OFFSET + i]!;
          if (c === 0) break;
          version += String.fromCharCode(c);
        }
        // INFO's payload goes unescaped, as the bootloader sends it.
        const body = encodeInfo(version, start);
        const out = new Uint8Array(2 + body.length);
        out.set([0xfc, RESPONSE.info]);
        out.set(body, 2);
        return out;
      }
      case 'read-range':
        if (cmd.address + cmd.length > this.flash.length)
          return encodeResponse(RESPONSE.badAddress);
        return encodeResponse(
          RESPONSE.readRange,
          this.flash.slice(cmd.address, cmd.address + cmd.length),
        );
      case 'write-page': {
        if (
          cmd.address % PAGE_SIZE !== 0 ||
          cmd.address + PAGE_SIZE > this.flash.length ||
          cmd.address < this.bootloaderSize
        )
          return encodeResponse(RESPONSE.badAddress);
        if (this.loseLinkAfterWrites !== null && this.loseLinkAfterWrites-- <= 0) {
          // Half the page made it before the cable went.
          this.loseLinkAfterWrites = null;
          this.flash.set(cmd.data.subarray(0, PAGE_SIZE / 2), cmd.address);
          this.lost = true;
          return null;
        }
        const data = cmd.data.slice();
        if (this.corruptNextWrite) {
          data[7] = data[7]! ^ 0x40;
          this.corruptNextWrite = false;
        }
        this.flash.set(data, cmd.address);
        return encodeResponse(RESPONSE.ok);
      }
      case 'erase-page':
        if (
          cmd.address % PAGE_SIZE !== 0 ||
          cmd.address + PAGE_SIZE > this.flash.length ||
          cmd.address < this.bootloaderSize
        )
          return encodeResponse(RESPONSE.badAddress);
        this.flash.fill(0xff, cmd.address, cmd.address + PAGE_SIZE);
        return encodeResponse(RESPONSE.ok);
      case 'crc': {
        if (cmd.address + cmd.length > this.flash.length)
          return encodeResponse(RESPONSE.badAddress);
        const c = crc32(this.flash.subarray(cmd.address, cmd.address + cmd.length));
        return encodeResponse(
          RESPONSE.crcInternalFlash,
          Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24),
        );
      }
      case 'get-attribute':
        if (cmd.index >= 16) return encodeResponse(RESPONSE.badAddress);
        return encodeResponse(
          RESPONSE.getAttribute,
          this.flash.slice(
            ATTRIBUTES_OFFSET + cmd.index * ATTRIBUTE_SIZE,
            ATTRIBUTES_OFFSET + (cmd.index + 1) * ATTRIBUTE_SIZE,
          ),
        );
      case 'set-attribute': {
        if (cmd.index >= 16) return encodeResponse(RESPONSE.badAddress);
        const rec = new Uint8Array(ATTRIBUTE_SIZE);
        rec.set(cmd.key, 0);
        rec[8] = cmd.value.length;
        rec.set(cmd.value, 9);
        this.flash.set(rec, ATTRIBUTES_OFFSET + cmd.index * ATTRIBUTE_SIZE);
        return encodeResponse(RESPONSE.ok);
      }
      case 'set-start-address':
        new DataView(this.flash.buffer).setUint32(
          FLAGS_OFFSET + FLAGS_START_ADDRESS_OFFSET,
          cmd.address,
          true,
        );
        return encodeResponse(RESPONSE.ok);
      case 'change-baud':
        if (this.baudRates && !this.baudRates.includes(cmd.baud))
          return encodeResponse(RESPONSE.changeBaudFail);
        if (cmd.mode === 'set') {
          this.baud = cmd.baud;
        }
        return encodeResponse(RESPONSE.ok);
      case 'exit':
        this.exited = true;
        this.inBootloader = false;
        return null;
      case 'bad-arguments':
        return encodeResponse(RESPONSE.badArguments);
      case 'overflow':
        return encodeResponse(RESPONSE.overflow);
      default:
        return encodeResponse(RESPONSE.unknown);
    }
  }

  async read(_timeoutMs: number): Promise<Result<Uint8Array, FlashError>> {
    if (this.lost) return flashError('link-lost', `${this.label} is gone`);
    if (this.pending.length > 0 && this.delayed < this.answerDelayReads) {
      this.delayed++;
      return ok(new Uint8Array(0));
    }
    this.delayed = 0;
    const out = Uint8Array.from(this.pending);
    this.pending = [];
    return ok(out);
  }

  discardInput(): void {
    this.pending = [];
  }

  async setBaudRate(baud: number): Promise<Result<void, FlashError>> {
    if (this.lost) return flashError('link-lost', `${this.label} is gone`);
    void baud;
    return ok(undefined);
  }

  async setSignals(signals: { dtr?: boolean; rts?: boolean }): Promise<Result<void, FlashError>> {
    if (this.lost) return flashError('link-lost', `${this.label} is gone`);
    if (signals.dtr === true) {
      this.pulses++;
      if (this.enterOnPulse) this.inBootloader = true;
    }
    return ok(undefined);
  }

  async sleep(_ms: number): Promise<void> {}
}
