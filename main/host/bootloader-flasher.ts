/**
 * The Tock-bootloader `Flasher`: image files programmed into a board's apps region through its
 * serial bootloader (the OpenOCD flasher, main/host/openocd*, answers the same interface).
 *
 * `BootloaderFlasher.open` opens the serial port, gets the board into its bootloader and
 * learns its layout (main/debug/tock-bootloader/board.ts). `program` reads the file and, for a
 * TBF or TAB, installs the app (placement, padding, same-name replacement, CRC); for Intel HEX,
 * ELF or a raw binary it writes the bytes, refusing anything below the apps start: the
 * bootloader path never writes the bootloader or the kernel. `verify` compares by CRC, `erase`
 * removes every app, `reset` in the options leaves the bootloader (EXIT) so the kernel starts.
 *
 * @example
 *   const f = await BootloaderFlasher.open('/dev/ttyACM0', 'nrf52840dk');
 *   if (f.ok) await f.value.program({ file: 'blink.tab', format: 'tab' }, { verify: true, reset: true });
 */
import { readFile } from 'node:fs/promises';
import { ok, type Result } from '../../emulator/core/result.js';
import {
  flashError,
  type FlashError,
  type FlashImage,
  type FlashOptions,
  type FlashReport,
  type Flasher,
} from '../../emulator/debug/flasher.js';
import { loadableSegments, parseElf, PT_LOAD } from '../../emulator/formats/elf.js';
import { parseIntelHex } from '../../emulator/formats/ihex.js';
import { parseTab, isTab } from '../../emulator/formats/tab.js';
import { parseTbfHeader } from '../../emulator/formats/tbf.js';
import { TockBootloaderBoard, type FlashSegment } from '../debug/tock-bootloader/board.js';
import { bootloaderBoard } from '../debug/tock-bootloader/boards.js';
import { crc32 } from '../debug/tock-bootloader/protocol.js';
import { openSerialLink, type NodeSerialLink } from './serial.js';

/** The bytes of an image file as segments, or the app file for `tbf`/`tab`. */
export async function readImage(
  image: FlashImage,
): Promise<Result<{ app: Uint8Array } | { segments: FlashSegment[] }, FlashError>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(image.file));
  } catch (e) {
    return flashError('bad-image', `cannot read ${image.file}: ${(e as Error).message}`);
  }
  switch (image.format) {
    case 'tbf':
    case 'tab':
      return ok({ app: bytes });
    case 'bin':
      if (image.address === undefined)
        return flashError('bad-image', `${image.file}: a raw binary needs its load address`);
      return ok({ segments: [{ address: image.address, data: bytes }] });
    case 'ihex': {
      const r = parseIntelHex(new TextDecoder().decode(bytes));
      if (!r.ok) return flashError('bad-image', `${image.file}: ${r.error}`);
      return ok({ segments: r.value.segments });
    }
    case 'elf': {
      try {
        const elf = parseElf(bytes);
        return ok({
          segments: loadableSegments(elf)
            .filter((s) => s.type === PT_LOAD && s.filesz > 0)
            .map((s) => ({ address: s.paddr, data: s.data.subarray(0, s.filesz) })),
        });
      } catch (e) {
        return flashError('bad-image', `${image.file}: ${(e as Error).message}`);
      }
    }
  }
}

export class BootloaderFlasher implements Flasher {
  readonly kind = 'tock-bootloader';

  private constructor(
    readonly board: string,
    readonly bootloader: TockBootloaderBoard,
    readonly link: NodeSerialLink,
  ) {}

  /** Opens `portPath` and gets the board called `board` into its bootloader. */
  static async open(
    portPath: string,
    board: string,
    options: Pick<FlashOptions, 'onProgress'> = {},
  ): Promise<Result<BootloaderFlasher, FlashError>> {
    const facts = bootloaderBoard(board);
    if (!facts)
      return flashError('failed', `${board} has no Tock bootloader that Capsule Studio knows`, {
        fix: 'flash it through a debug probe (OpenOCD) instead',
      });
    const link = await openSerialLink(portPath);
    if (!link.ok) return link;
    const opened = await TockBootloaderBoard.open(link.value, {
      boardName: board,
      boardAliases: facts.aliases,
      entry: facts.entry,
      flashEnd: facts.flashEnd,
      appsStart: facts.appsStart,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (!opened.ok) {
      await link.value.close();
      return opened;
    }
    return ok(new BootloaderFlasher(board, opened.value, link.value));
  }

  async program(
    image: FlashImage,
    options: FlashOptions,
  ): Promise<Result<FlashReport, FlashError>> {
    const started = Date.now();
    const read = await readImage(image);
    if (!read.ok) return read;
    const write = {
      verify: options.verify,
      onProgress: options.onProgress,
      signal: options.signal,
    };
    let bytes: number;
    if ('app' in read.value) {
      const installed = await this.bootloader.install(read.value.app, write);
      if (!installed.ok) return installed;
      bytes = installed.value.size;
    } else {
      // Segments below the apps are a kernel image: the kernel region takes it, the
      // bootloader's own flash never does.
      const apps = this.bootloader.layout.apps.start;
      const kernel = read.value.segments.some((s) => s.address < apps);
      const r = kernel
        ? await this.bootloader.programKernel(read.value.segments, write)
        : await this.bootloader.programSegments(read.value.segments, write);
      if (!r.ok) return r;
      bytes = r.value.bytes;
    }
    if (options.reset) {
      options.onProgress?.({
        phase: 'reset',
        done: 0,
        total: 0,
        message: 'EXIT: the board starts its kernel',
      });
      const e = await this.bootloader.exit();
      if (!e.ok) return e;
    }
    return ok({ bytes, verified: options.verify, reset: options.reset, ms: Date.now() - started });
  }

  async verify(
    image: FlashImage,
    options: Pick<FlashOptions, 'onProgress' | 'signal'> = {},
  ): Promise<Result<void, FlashError>> {
    const read = await readImage(image);
    if (!read.ok) return read;
    if ('segments' in read.value)
      return this.bootloader.verifySegments(read.value.segments, options);
    // An app: find it on the board by name and compare its bytes by CRC.
    const sel = this.bootloader.selectTbf(read.value.app);
    if (!sel.ok) return sel;
    const list = await this.bootloader.listApps();
    if (!list.ok) return list;
    const name = sel.value.header.packageName;
    const on = list.value.apps.find((a) => !a.padding && a.name === name);
    if (!on)
      return flashError('verify-failed', `'${name ?? image.file}' is not installed on the board`);
    const crc = await this.bootloader.client.crc(on.address, sel.value.bytes.length);
    if (!crc.ok) return crc;
    if (crc.value !== crc32(sel.value.bytes))
      return flashError(
        'verify-failed',
        `'${name}' on the board differs from ${image.file} (CRC-32 0x${crc.value.toString(16)}, expected 0x${crc32(sel.value.bytes).toString(16)})`,
        { fix: 'install it again' },
      );
    return ok(undefined);
  }

  /** Removes every app (sticky ones too): all the bootloader path may erase. */
  async erase(
    options: Pick<FlashOptions, 'onProgress' | 'signal'> = {},
  ): Promise<Result<void, FlashError>> {
    const r = await this.bootloader.eraseApps({ ...options, force: true });
    return r.ok ? ok(undefined) : r;
  }

  async close(): Promise<void> {
    await this.link.close();
  }
}

/** True when `bytes` is a TAB or a TBF (an app the bootloader installs). */
export function isAppFile(bytes: Uint8Array): boolean {
  return isTab(bytes) ? parseTab(bytes).ok : parseTbfHeader(bytes).ok;
}
