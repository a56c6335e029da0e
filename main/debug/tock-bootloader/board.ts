/**
 * A board in its Tock bootloader: list, install, uninstall and erase apps, read and set
 * attributes, and write, verify and erase the apps region, over a `SerialLink` (the `Flasher`
 * that reads image files sits on top of it in main/host/bootloader-flasher.ts).
 *
 * `TockBootloaderBoard.open` gets the board into its bootloader (enterBootloader), asks INFO
 * and the attributes, and works out the layout: the bootloader from 0 to the kernel's start
 * address (INFO's `start_address`, or the flags block at 0x400), the kernel from there to the
 * apps start (the `appaddr` attribute, else the kernel attributes just below the board
 * registry's apps start), the apps to the end of flash. Everything below the apps start is
 * protected: no operation here writes there, whatever it is asked (kind `refused`).
 *
 * Writing goes in 512-byte protocol pages: a page only partly covered is read first and
 * written whole. Every write is checked with the board's CRC_INTERNAL_FLASH against a CRC-32
 * computed here, so an interrupted or corrupted transfer is reported (`verify-failed`) and a
 * second run repairs it. App installs follow apps.ts's plans (highest address first, the new
 * app's header page last).
 *
 * @example
 *   const board = await TockBootloaderBoard.open(link, { boardName: 'nrf52840dk', entry, flashEnd: 0x100000, appsStart: 0x40000 });
 *   if (board.ok) await board.value.install(tabBytes, { onProgress });
 */
import { ok, type Result } from '../../../emulator/core/result';
import { flashError, type FlashError, type FlashProgress } from '../../../emulator/debug/flasher';
import {
  parseKernelAttributes,
  type KernelAttributes,
} from '../../../emulator/formats/kernel-attributes';
import { isTab, parseTab, type TabTbf } from '../../../emulator/formats/tab';
import {
  parseTbfHeader,
  TBF_BASE_HEADER_SIZE,
  type TbfHeader,
} from '../../../emulator/formats/tbf';
import {
  fixedTbfAddress,
  planInstall,
  planUninstall,
  ramProblem,
  type AppsRegion,
  type Chain,
  type ChainEntry,
  type PlannedWrite,
} from './apps';
import {
  BootloaderClient,
  enterBootloader,
  pagesOf,
  type BootloaderEntry,
  type SerialLink,
} from './client';
import {
  FLAGS_OFFSET,
  PAGE_SIZE,
  crc32,
  decodeFlags,
  type Attribute,
  type BootloaderInfo,
} from './protocol';

/** Bytes to place at `address`. */
export interface FlashSegment {
  address: number;
  data: Uint8Array;
}

export interface WriteOptions {
  /** Check every write with the board's CRC (default true). */
  verify?: boolean;
  onProgress?: (progress: FlashProgress) => void;
  /** Aborting stops between two pages (kind `aborted`). */
  signal?: AbortSignal;
}

export interface OpenOptions {
  /** The board the user says this is (board registry name), checked against its `board` attribute. */
  boardName?: string;
  /** Other names the board may report (Tock's own bootloader calls the DK `nrf52dk`). */
  boardAliases?: readonly string[];
  entry: BootloaderEntry;
  /** End of the board's flash (first address past it). */
  flashEnd: number;
  /** The board registry's apps start, used when the board does not say. */
  appsStart?: number;
  /** Architecture of the TBFs to pick from TABs when the board has no `arch` attribute. */
  arch?: string;
  /**
   * A faster rate to move the link to once the bootloader answers (CHANGE_BAUD_RATE, as
   * tockloader's `--baud-rate` does). A board that refuses it stays at 115200: the session
   * goes on, slower; `baudRate` on the board says which rate is in use.
   */
  baudRate?: number;
  onProgress?: WriteOptions['onProgress'];
}

/** One app (or padding) found on the board. */
export interface InstalledApp {
  address: number;
  size: number;
  name: string;
  enabled: boolean;
  sticky: boolean;
  padding: boolean;
  /** Fixed flash address of the binary, or null for a position-independent app. */
  fixedFlash: number | null;
  shortId: number | null;
  version: number | null;
}

export interface BoardLayout {
  bootloader: { start: number; end: number };
  kernel: { start: number; end: number };
  apps: AppsRegion;
  /** Where the apps start came from. */
  appsStartFrom: 'attribute' | 'kernel attributes' | 'board registry';
}

export interface AppList {
  apps: InstalledApp[];
  /** Why the walk stopped early (a corrupt header), when it did not end at erased flash. */
  problem?: string;
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

function installedApp(e: ChainEntry): InstalledApp {
  const h = e.header;
  return {
    address: e.address,
    size: h.totalSize,
    name: h.packageName ?? (h.isPadding ? '(padding)' : '(unnamed)'),
    enabled: h.enabled,
    sticky: h.sticky,
    padding: h.isPadding,
    fixedFlash: fixedTbfAddress(h) === null ? null : (h.fixedAddresses?.flash ?? null),
    shortId: h.shortId ?? null,
    version: h.program?.appVersion ?? null,
  };
}

export class TockBootloaderBoard {
  /** For people: 'Tock bootloader 1.1.0 on /dev/ttyACM0'. */
  readonly label: string;
  private constructor(
    readonly client: BootloaderClient,
    readonly info: BootloaderInfo,
    readonly attributes: Attribute[],
    readonly layout: BoardLayout,
    readonly kernelAttributes: KernelAttributes | null,
    private readonly arch: string,
    readonly boardName: string | null,
    /** The link's rate now (115200 unless a faster one was asked for and taken). */
    readonly baudRate = 115200,
  ) {
    this.label = `Tock bootloader ${info.version || '(no version)'} on ${client.link.label}`;
  }

  /** Enters the bootloader and learns the board; refuses a board other than `boardName`. */
  static async open(
    link: SerialLink,
    options: OpenOptions,
  ): Promise<Result<TockBootloaderBoard, FlashError>> {
    const client = new BootloaderClient(link);
    options.onProgress?.({ phase: 'connect', done: 0, total: 3, message: 'PING' });
    const entered = await enterBootloader(client, options.entry);
    if (!entered.ok) return entered;
    const info = await client.info();
    if (!info.ok) return info;
    options.onProgress?.({ phase: 'connect', done: 1, total: 3, message: 'INFO' });
    let baudRate = 115200;
    if (options.baudRate !== undefined && options.baudRate !== baudRate) {
      const changed = await client.changeBaudRate(options.baudRate, baudRate);
      if (changed.ok) baudRate = options.baudRate;
      else if (changed.error.kind === 'link-lost') return changed;
      else client.link.discardInput();
    }
    const attrs = await client.attributes();
    if (!attrs.ok) return attrs;
    options.onProgress?.({ phase: 'connect', done: 2, total: 3, message: 'attributes' });
    const attr = (k: string): string | undefined => attrs.value.find((a) => a.key === k)?.value;
    const reported = attr('board') ?? null;
    if (
      options.boardName &&
      reported &&
      reported !== options.boardName &&
      !(options.boardAliases ?? []).includes(reported)
    )
      return flashError(
        'wrong-board',
        `the bootloader on ${link.label} says it runs on '${reported}', not on '${options.boardName}'`,
        { fix: `choose the board '${reported}', or open the port of your ${options.boardName}` },
      );
    let start = info.value.startAddress;
    if (start === null) {
      const flags = await client.readRange(FLAGS_OFFSET, 64);
      if (!flags.ok) return flags;
      const f = decodeFlags(flags.value);
      if (!f)
        return flashError(
          'failed',
          `no "TOCKBOOTLOADER" flags block at ${hex(FLAGS_OFFSET)}: cannot tell where the kernel starts`,
        );
      start = f.startAddress;
    }
    let appsStart: number | undefined;
    let from: BoardLayout['appsStartFrom'] = 'attribute';
    const appaddr = attr('appaddr');
    if (appaddr !== undefined && /^(0x)?[0-9a-f]+$/i.test(appaddr))
      appsStart = parseInt(appaddr, 16);
    let kernelAttributes: KernelAttributes | null = null;
    const probe = appsStart ?? options.appsStart;
    if (probe !== undefined && probe >= 100) {
      const tail = await client.readRange(probe - 100, 100);
      if (!tail.ok) return tail;
      const k = parseKernelAttributes(tail.value);
      if (k.ok) {
        kernelAttributes = k.value;
        const kf = k.value.kernelFlash;
        if (appsStart === undefined && kf && kf.start + kf.length === probe) {
          appsStart = probe;
          from = 'kernel attributes';
        }
      }
    }
    if (appsStart === undefined && options.appsStart !== undefined) {
      appsStart = options.appsStart;
      from = 'board registry';
    }
    if (appsStart === undefined)
      return flashError(
        'failed',
        'the board does not say where apps start (no appaddr attribute, no kernel attributes) and the board registry does not either',
      );
    if (appsStart <= start || appsStart >= options.flashEnd)
      return flashError(
        'failed',
        `the board's layout does not make sense: kernel at ${hex(start)}, apps at ${hex(appsStart)}, flash ends at ${hex(options.flashEnd)}`,
      );
    options.onProgress?.({ phase: 'connect', done: 3, total: 3 });
    return ok(
      new TockBootloaderBoard(
        client,
        info.value,
        attrs.value,
        {
          bootloader: { start: 0, end: start },
          kernel: { start, end: appsStart },
          apps: { start: appsStart, end: options.flashEnd },
          appsStartFrom: from,
        },
        kernelAttributes,
        attr('arch') ?? options.arch ?? 'cortex-m4',
        reported ?? options.boardName ?? null,
        baudRate,
      ),
    );
  }

  // -------------------------------------------------------------------------------------------
  // Apps

  /** Walks the TBF headers from the apps start. */
  async chain(): Promise<Result<Chain & { problem?: string }, FlashError>> {
    const region = this.layout.apps;
    const entries: ChainEntry[] = [];
    let at = region.start;
    let problem: string | undefined;
    while (at + TBF_BASE_HEADER_SIZE <= region.end) {
      const first = await this.client.readRange(at, Math.min(256, region.end - at));
      if (!first.ok) return first;
      let bytes = first.value;
      const version = bytes[0]! | (bytes[1]! << 8);
      if (version !== 2) {
        if (version !== 0xffff)
          problem = `the walk stopped at ${hex(at)}: no TBF header there (version ${version})`;
        break;
      }
      const headerSize = bytes[2]! | (bytes[3]! << 8);
      if (headerSize > bytes.length && at + headerSize <= region.end) {
        const more = await this.client.readRange(at, headerSize);
        if (!more.ok) return more;
        bytes = more.value;
      }
      const h = parseTbfHeader(bytes);
      if (!h.ok) {
        problem = `the walk stopped at ${hex(at)}: ${h.error.message}`;
        break;
      }
      if (h.value.totalSize === 0 || at + h.value.totalSize > region.end) {
        problem = `the TBF at ${hex(at)} claims ${h.value.totalSize} bytes, past the end of the apps region`;
        break;
      }
      entries.push({ address: at, header: h.value });
      at += h.value.totalSize;
    }
    return ok(problem === undefined ? { entries, end: at } : { entries, end: at, problem });
  }

  async listApps(): Promise<Result<AppList, FlashError>> {
    const c = await this.chain();
    if (!c.ok) return c;
    const apps = c.value.entries.map(installedApp);
    return ok(c.value.problem === undefined ? { apps } : { apps, problem: c.value.problem });
  }

  /** The TBF to install from a file that is a TBF or a TAB (tar). */
  selectTbf(
    file: Uint8Array,
  ): Result<{ header: TbfHeader; bytes: Uint8Array; from: string }, FlashError> {
    let candidates: { bytes: Uint8Array; from: string }[];
    if (isTab(file)) {
      const tab = parseTab(file);
      if (!tab.ok) return flashError('refused', tab.error);
      const only = tab.value.metadata['only-for-boards'];
      if (typeof only === 'string' && only.trim() !== '' && this.boardName) {
        const boards = only.split(',').map((s) => s.trim());
        if (!boards.includes(this.boardName))
          return flashError(
            'wrong-board',
            `the TAB '${tab.value.name}' is only for ${boards.join(', ')}, and this board is ${this.boardName}`,
          );
      }
      const forArch = tab.value.tbfs.filter((t: TabTbf) => t.arch === this.arch);
      if (forArch.length === 0)
        return flashError(
          'wrong-board',
          `the TAB '${tab.value.name}' has no TBF for ${this.arch} (it has: ${[...new Set(tab.value.tbfs.map((t) => t.arch))].join(', ')})`,
        );
      // Fixed-address TBFs linked for this board's apps region first, then position-independent ones.
      const fits = (t: TabTbf): boolean =>
        t.flash === undefined ||
        (t.flash >= this.layout.apps.start && t.flash < this.layout.apps.end);
      candidates = [
        ...forArch.filter((t) => t.flash !== undefined && fits(t)),
        ...forArch.filter((t) => t.flash === undefined),
      ].map((t) => ({ bytes: t.bytes, from: `${tab.value.name}/${t.filename}` }));
      if (candidates.length === 0)
        candidates = forArch.map((t) => ({
          bytes: t.bytes,
          from: `${tab.value.name}/${t.filename}`,
        }));
    } else {
      candidates = [{ bytes: file, from: 'TBF' }];
    }
    let firstProblem: string | null = null;
    for (const c of candidates) {
      const h = parseTbfHeader(c.bytes);
      if (!h.ok) {
        firstProblem ??= `${c.from}: not a TBF (${h.error.message})`;
        continue;
      }
      if (h.value.isPadding) {
        firstProblem ??= `${c.from}: a padding TBF holds no app`;
        continue;
      }
      if (c.bytes.length !== h.value.totalSize) {
        firstProblem ??= `${c.from}: ${c.bytes.length} bytes, but its header says ${h.value.totalSize}`;
        continue;
      }
      const ram = ramProblem(h.value, this.kernelAttributes?.appRam);
      if (ram) {
        firstProblem ??= `${c.from}: ${ram}`;
        continue;
      }
      return ok({ header: h.value, bytes: c.bytes, from: c.from });
    }
    return flashError('refused', `cannot install it: ${firstProblem ?? 'nothing to install'}`);
  }

  /**
   * Installs a TBF or TAB: an app of the same name is replaced. Refused (nothing written) for
   * an app built for another board or one that does not fit.
   */
  async install(
    file: Uint8Array,
    options: WriteOptions = {},
  ): Promise<Result<InstalledApp, FlashError>> {
    const sel = this.selectTbf(file);
    if (!sel.ok) return sel;
    const name = sel.value.header.packageName;
    let c = await this.chain();
    if (!c.ok) return c;
    if (
      name !== undefined &&
      c.value.entries.some((e) => e.header.packageName === name && !e.header.isPadding)
    ) {
      const out = await this.applyWrites(
        planUninstall(c.value, this.layout.apps, (e) => e.header.packageName === name),
        options,
      );
      if (!out.ok) return out;
      c = await this.chain();
      if (!c.ok) return c;
    }
    const plan = planInstall(c.value, this.layout.apps, sel.value);
    if (!plan.ok)
      return flashError('refused', `cannot install '${name ?? sel.value.from}': ${plan.error}`);
    const written = await this.applyWrites(plan.value.writes, options);
    if (!written.ok) return written;
    return ok(installedApp({ address: plan.value.address, header: sel.value.header }));
  }

  /** Removes every app called `name`. */
  async uninstall(name: string, options: WriteOptions = {}): Promise<Result<number, FlashError>> {
    const c = await this.chain();
    if (!c.ok) return c;
    const matches = c.value.entries.filter(
      (e) => !e.header.isPadding && e.header.packageName === name,
    );
    if (matches.length === 0)
      return flashError(
        'refused',
        `no app called '${name}' is installed (installed: ${
          c.value.entries
            .filter((e) => !e.header.isPadding)
            .map((e) => e.header.packageName ?? '(unnamed)')
            .join(', ') || 'none'
        })`,
      );
    const w = await this.applyWrites(
      planUninstall(c.value, this.layout.apps, (e) => e.header.packageName === name),
      options,
    );
    return w.ok ? ok(matches.length) : w;
  }

  /** Removes every app; sticky apps stay unless `force`. Returns how many were removed. */
  async eraseApps(
    options: WriteOptions & { force?: boolean } = {},
  ): Promise<Result<number, FlashError>> {
    const c = await this.chain();
    if (!c.ok) return c;
    const remove = (e: ChainEntry): boolean => options.force === true || !e.header.sticky;
    const count = c.value.entries.filter((e) => !e.header.isPadding && remove(e)).length;
    // With nothing readable left (or a corrupt chain) the first header is erased all the same.
    const writes =
      c.value.entries.length === 0
        ? [{ address: this.layout.apps.start, data: new Uint8Array(16).fill(0xff), why: 'erase' }]
        : planUninstall(c.value, this.layout.apps, remove);
    const w = await this.applyWrites(writes, options);
    return w.ok ? ok(count) : w;
  }

  async setAttribute(index: number, key: string, value: string): Promise<Result<void, FlashError>> {
    const r = await this.client.setAttribute(index, key, value);
    if (r.ok) {
      const i = this.attributes.findIndex((a) => a.index === index);
      const fresh = await this.client.getAttribute(index);
      if (fresh.ok) {
        if (i >= 0) this.attributes.splice(i, 1);
        if (fresh.value) this.attributes.push(fresh.value);
        this.attributes.sort((a, b) => a.index - b.index);
      }
    }
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Writing

  private refuseProtected(address: number, length: number): Result<void, FlashError> {
    const { apps, kernel } = this.layout;
    if (length <= 0) return ok(undefined);
    if (address < apps.start)
      return flashError(
        'refused',
        `refusing to write ${hex(address)}-${hex(address + length)}: below ${hex(apps.start)} lie the bootloader (${hex(0)}-${hex(kernel.start)}) and the kernel (${hex(kernel.start)}-${hex(kernel.end)}), which the bootloader path never writes`,
        { fix: 'flash the kernel or the bootloader through a debug probe (OpenOCD) instead' },
      );
    if (address + length > apps.end)
      return flashError(
        'refused',
        `refusing to write ${hex(address)}-${hex(address + length)}: flash ends at ${hex(apps.end)}`,
      );
    return ok(undefined);
  }

  /** Writes the planned bytes (each checked by CRC afterwards), in plan order. */
  private async applyWrites(
    writes: PlannedWrite[],
    options: WriteOptions,
  ): Promise<Result<number, FlashError>> {
    for (const w of writes) {
      const r = this.refuseProtected(w.address, w.data.length);
      if (!r.ok) return r;
    }
    return this.writeSegments(
      writes.map((w) => ({ address: w.address, data: w.data })),
      options,
    );
  }

  /**
   * Writes each segment page by page, highest page first (a segment's first page, which holds
   * an app's header, goes last), then checks it by CRC unless `verify` is false.
   */
  private async writeSegments(
    segments: FlashSegment[],
    options: WriteOptions,
  ): Promise<Result<number, FlashError>> {
    const total = segments.reduce(
      (n, s) => n + pagesOf(s.address, s.data.length).length * PAGE_SIZE,
      0,
    );
    let done = 0;
    for (const s of segments) {
      const pages = pagesOf(s.address, s.data.length).reverse();
      for (const page of pages) {
        if (options.signal?.aborted) return flashError('aborted', 'stopped before it finished');
        const from = Math.max(page, s.address);
        const to = Math.min(page + PAGE_SIZE, s.address + s.data.length);
        let bytes: Uint8Array;
        if (from === page && to === page + PAGE_SIZE) {
          bytes = s.data.subarray(page - s.address, page - s.address + PAGE_SIZE);
        } else {
          const old = await this.client.readRange(page, PAGE_SIZE);
          if (!old.ok) return old;
          bytes = old.value;
          bytes.set(s.data.subarray(from - s.address, to - s.address), from - page);
        }
        // A page of 0xFF is erased rather than written: 4 bytes on the wire instead of 516 (an
        // app's TBF is mostly the padding up to its power-of-two size).
        const w = bytes.every((b) => b === 0xff)
          ? await this.client.erasePage(page)
          : await this.client.writePage(page, bytes);
        if (!w.ok) return w;
        done += PAGE_SIZE;
        options.onProgress?.({
          phase: 'program',
          done,
          total,
          message: `page ${hex(page)} written`,
        });
      }
      if (options.verify !== false) {
        const v = await this.checkCrc(s);
        if (!v.ok) return v;
      }
    }
    return ok(done);
  }

  private async checkCrc(s: FlashSegment): Promise<Result<void, FlashError>> {
    const board = await this.client.crc(s.address, s.data.length);
    if (!board.ok) return board;
    const mine = crc32(s.data);
    if (board.value !== mine)
      return flashError(
        'verify-failed',
        `the board holds other bytes at ${hex(s.address)}-${hex(s.address + s.data.length)} than were written (CRC-32 ${hex(board.value)}, expected ${hex(mine)})`,
        {
          fix: 'write it again (a transfer interrupted midway is repaired by running it once more)',
        },
      );
    return ok(undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Raw flash (the apps region only)

  /** Writes the segments, each checked by CRC unless `verify` is false. */
  async programSegments(
    segments: FlashSegment[],
    options: WriteOptions = {},
  ): Promise<Result<{ bytes: number; verified: boolean }, FlashError>> {
    for (const s of segments) {
      const r = this.refuseProtected(s.address, s.data.length);
      if (!r.ok) return r;
    }
    const w = await this.writeSegments(segments, options);
    if (!w.ok) return w;
    return ok({ bytes: w.value, verified: options.verify !== false });
  }

  /**
   * Writes a kernel image (an ELF's or Intel HEX's load segments) into the kernel region, the
   * part of flash between the bootloader and the apps that the bootloader lets be written
   * (tockloader's `flash` does the same). Every segment must lie inside the region: an image
   * linked for the board without a bootloader starts at 0 and is refused before a byte is
   * sent, as is one that reaches into the apps. Each segment is checked by CRC unless `verify`
   * is false; the apps are left as they are.
   */
  async programKernel(
    segments: FlashSegment[],
    options: WriteOptions = {},
  ): Promise<Result<{ bytes: number; verified: boolean }, FlashError>> {
    const { bootloader, kernel } = this.layout;
    const used = segments.filter((s) => s.data.length > 0);
    if (used.length === 0) return flashError('bad-image', 'the image has nothing to write');
    for (const s of used) {
      const end = s.address + s.data.length;
      if (s.address < kernel.start)
        return flashError(
          'refused',
          `refusing to write ${hex(s.address)}-${hex(end)}: the bootloader lives at ${hex(bootloader.start)}-${hex(bootloader.end)}, and this kernel was linked to start at ${hex(Math.min(...used.map((u) => u.address)))}, not at ${hex(kernel.start)} where the bootloader starts the kernel`,
          {
            fix: `build the kernel for the board with its bootloader (linked at ${hex(kernel.start)}), or flash this one through a debug probe (OpenOCD)`,
          },
        );
      if (end > kernel.end)
        return flashError(
          'refused',
          `refusing to write ${hex(s.address)}-${hex(end)}: the kernel region ends at ${hex(kernel.end)}, where the apps start`,
          { fix: 'install apps as apps (TAB or TBF); a kernel image must fit below the apps' },
        );
    }
    const w = await this.writeSegments(used, options);
    if (!w.ok) return w;
    return ok({ bytes: w.value, verified: options.verify !== false });
  }

  /** Checks by CRC that the board holds exactly these bytes. */
  async verifySegments(
    segments: FlashSegment[],
    options: WriteOptions = {},
  ): Promise<Result<void, FlashError>> {
    let done = 0;
    const total = segments.reduce((n, x) => n + x.data.length, 0);
    for (const s of segments) {
      const r = await this.checkCrc(s);
      if (!r.ok) return r;
      done += s.data.length;
      options.onProgress?.({ phase: 'verify', done, total });
    }
    return ok(undefined);
  }

  /** Erases `[address, address + length)`, rounded out to 512-byte protocol pages. */
  async eraseRange(
    address: number,
    length: number,
    options: WriteOptions = {},
  ): Promise<Result<void, FlashError>> {
    const r = this.refuseProtected(address, length);
    if (!r.ok) return r;
    const pages = pagesOf(address, length);
    let done = 0;
    for (const page of pages) {
      if (options.signal?.aborted) return flashError('aborted', 'stopped before it finished');
      const e = await this.client.erasePage(page);
      if (!e.ok) return e;
      done += PAGE_SIZE;
      options.onProgress?.({ phase: 'erase', done, total: pages.length * PAGE_SIZE });
    }
    return ok(undefined);
  }

  /** Leaves the bootloader: the board resets and its bootloader starts the kernel. */
  async exit(): Promise<Result<void, FlashError>> {
    return this.client.exit();
  }
}
