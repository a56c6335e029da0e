/**
 * Boards attached to this machine: debug probes and serial ports, matched to each other by USB
 * serial number, watched for hot-plug; and the Tock-bootloader sessions the Boards panel runs
 * on those ports.
 *
 * `BoardsService` lists serial ports (main/host/serial.ts) and probes (from the probe source it
 * is given: main/host/probes.ts's USB discovery), ties a port to its probe when both carry the
 * same USB serial number (the nRF52840-DK's J-Link OB and the micro:bit's DAPLink expose their
 * virtual COM port on the probe's own USB device), says why a port cannot be opened (no
 * permission: the udev rule or group to add, with its text), keeps ports added by hand (a
 * pseudo-terminal, such as an emulated board's), and polls every two seconds while someone
 * watches, emitting `boards.changed` when something came or went.
 *
 * `BootloaderService` holds one bootloader session per port (main/host/bootloader-flasher.ts)
 * and runs the panel's operations on it one at a time, reporting progress as
 * `bootloader.progress` events and every failure as a `HostError` whose message and fix come
 * from the flasher (how to enter the bootloader, why an app was refused, that the port went
 * away midway and the operation can simply be run again).
 *
 * @example
 *   const boards = new BoardsService(emit);
 *   const now = await boards.list();
 *   const bl = new BootloaderService(projectRoot, emit);
 *   await bl.open({ path: '/dev/ttyACM0', board: 'nrf52840dk' });
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type {
  AttachedBoards,
  BootloaderSession,
  HostError,
  HostEvents,
  ProbeEntry,
  Result,
  SerialPortEntry,
} from '../common/contract.js';
import { BOARDS } from '../../emulator/boards/registry.js';
import type { FlashError } from '../../emulator/debug/flasher.js';
import { BOOTLOADER_BOARD_NAMES, bootloaderBoard } from '../debug/tock-bootloader/boards.js';
import { BootloaderFlasher } from './bootloader-flasher.js';
import { resolveInProject } from './paths.js';
import { err } from './project.js';
import { listSerialPorts, type SerialPortInfo } from './serial.js';
import { UDEV_RULES_FILE, udevRule } from './udev.js';

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

/** A probe as the probe source reports it. */
export interface DiscoveredProbe {
  name: string;
  vendorId: string;
  productId: string;
  serialNumber?: string;
  problem?: string;
  fix?: string;
}

export interface BoardsOptions {
  listPorts?: () => Promise<SerialPortInfo[]>;
  /** Probe discovery (USB); absent: ports only, and a note says so. */
  listProbes?: () => Promise<DiscoveredProbe[]>;
  /** Whether this process may open `path` for reading and writing. */
  canOpen?: (path: string) => Promise<boolean>;
  pollMs?: number;
}

/** The udev rule that gives the logged-in user a USB device's serial port (and its probe). */
export function udevRuleFor(vendorId: string | undefined, productId: string | undefined): string {
  const product = productId || undefined;
  return [
    udevRule('tty', vendorId, product),
    ...(vendorId ? [udevRule('usb', vendorId, product)] : []),
  ].join('\n');
}

const PERMISSION_FIX = (p: SerialPortInfo): string =>
  `add yourself to the group that owns ${p.path} (usually dialout: sudo usermod -aG dialout $USER, then log in again), or put this rule in ${UDEV_RULES_FILE} and run sudo udevadm control --reload && sudo udevadm trigger:\n${udevRuleFor(p.vendorId, p.productId)}`;

const stripZeros = (s: string): string => s.replace(/^0+/, '').toLowerCase();

/** Ports and probes tied together by USB serial number. */
export function matchPortsToProbes(
  ports: SerialPortEntry[],
  probes: DiscoveredProbe[],
): { ports: SerialPortEntry[]; probes: ProbeEntry[] } {
  const outProbes: ProbeEntry[] = probes.map((p) => ({ ...p, ports: [] }));
  const outPorts = ports.map((port) => {
    if (!port.serialNumber) return port;
    const probe = outProbes.find(
      (p) =>
        p.serialNumber !== undefined &&
        stripZeros(p.serialNumber) === stripZeros(port.serialNumber!),
    );
    if (!probe) return port;
    probe.ports.push(port.path);
    return { ...port, probe: probe.name };
  });
  return { ports: outPorts, probes: outProbes };
}

async function defaultCanOpen(p: string): Promise<boolean> {
  try {
    await access(p, constants.R_OK | constants.W_OK);
    return true;
  } catch (e) {
    return (
      (e as NodeJS.ErrnoException).code !== 'EACCES' &&
      (e as NodeJS.ErrnoException).code !== 'EPERM'
    );
  }
}

export class BoardsService {
  private readonly manual = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private lastKey = '';
  private readonly listPorts: () => Promise<SerialPortInfo[]>;
  private readonly canOpen: (path: string) => Promise<boolean>;

  constructor(
    private readonly emit: Emit,
    private readonly options: BoardsOptions = {},
  ) {
    this.listPorts = options.listPorts ?? listSerialPorts;
    this.canOpen = options.canOpen ?? defaultCanOpen;
  }

  private async snapshot(): Promise<AttachedBoards> {
    const notes: string[] = [];
    const found = await this.listPorts().catch((e: Error) => {
      notes.push(`serial ports could not be listed: ${e.message}`);
      return [] as SerialPortInfo[];
    });
    const seen = new Set(found.map((p) => p.path));
    const infos: (SerialPortInfo & { manual: boolean })[] = [
      ...found.map((p) => ({ ...p, manual: false })),
      ...[...this.manual].filter((p) => !seen.has(p)).map((p) => ({ path: p, manual: true })),
    ];
    const ports: SerialPortEntry[] = [];
    for (const info of infos) {
      const entry: SerialPortEntry = { ...info };
      if (info.manual) {
        const exists = await stat(info.path).then(
          (s) => s.isCharacterDevice(),
          () => false,
        );
        if (!exists) {
          entry.problem = `${info.path} is not there any more`;
          entry.fix = 'start the board (or the emulator) again, or remove the port';
        }
      }
      if (!entry.problem && !(await this.canOpen(info.path))) {
        entry.problem = `no permission to open ${info.path}`;
        entry.fix = PERMISSION_FIX(info);
      }
      ports.push(entry);
    }
    let probes: DiscoveredProbe[] = [];
    if (this.options.listProbes) {
      probes = await this.options.listProbes().catch((e: Error) => {
        notes.push(`debug probes could not be listed: ${e.message}`);
        return [];
      });
    } else {
      notes.push('debug probe discovery (USB) is not part of this build; serial ports only');
    }
    const matched = matchPortsToProbes(ports, probes);
    return {
      probes: matched.probes,
      ports: matched.ports,
      bootloaderBoards: BOOTLOADER_BOARD_NAMES.map((name) => ({
        name,
        label: bootloaderBoard(name)?.label ?? name,
      })),
      openocdBoards: BOARDS.filter((b) => b.openocd !== null).map((b) => ({
        name: b.name,
        label: b.label,
      })),
      notes,
    };
  }

  /** What is attached now; starts watching for changes. */
  async list(): Promise<Result<AttachedBoards>> {
    const s = await this.snapshot();
    this.lastKey = JSON.stringify(s);
    this.watch();
    return { ok: true, value: s };
  }

  async addPort(p: string): Promise<Result<AttachedBoards>> {
    const st = await stat(p).catch(() => null);
    if (!st) return err('not-found', `${p} does not exist`);
    if (!st.isCharacterDevice())
      return err('bad-request', `${p} is not a serial port (not a character device)`);
    this.manual.add(p);
    return this.list();
  }

  async removePort(p: string): Promise<Result<AttachedBoards>> {
    this.manual.delete(p);
    return this.list();
  }

  private watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      void this.snapshot().then((s) => {
        const key = JSON.stringify(s);
        if (key !== this.lastKey) {
          this.lastKey = key;
          this.emit('boards.changed', s);
        }
      });
    }, this.options.pollMs ?? 2000);
    this.timer.unref();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** A flasher failure as the contract's error: what happened and what to do. */
export function hostErrorOf(e: FlashError): { ok: false; error: HostError } {
  const code: HostError['code'] =
    e.kind === 'refused' || e.kind === 'wrong-board' || e.kind === 'bad-image'
      ? 'bad-request'
      : e.kind === 'aborted'
        ? 'cancelled'
        : e.kind === 'failed' || e.kind === 'verify-failed'
          ? 'io'
          : 'unavailable';
  return err(code, e.message, e.fix);
}

interface Session {
  flasher: BootloaderFlasher;
  /** Gives the port back to a console that had it. */
  resume: () => Promise<void>;
  /** The operations of this port, one after the other. */
  queue: Promise<unknown>;
}

export class BootloaderService {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly projectRoot: string,
    private readonly emit: Emit,
    /** Makes a console on the port let go of it; returns how to give it back. */
    private readonly pauseConsole: (path: string) => Promise<() => Promise<void>> = async () =>
      async () => {},
  ) {}

  private progress(p: string) {
    return (x: { phase: string; done: number; total: number; message?: string }): void =>
      this.emit('bootloader.progress', { path: p, ...x });
  }

  private async describe(p: string, s: Session): Promise<Result<BootloaderSession>> {
    const bl = s.flasher.bootloader;
    const list = await bl.listApps();
    if (!list.ok) return this.failed(p, list.error);
    const L = bl.layout;
    const session: BootloaderSession = {
      path: p,
      board: s.flasher.board,
      label: bl.label,
      version: bl.info.version,
      layout: {
        bootloader: [L.bootloader.start, L.bootloader.end],
        kernel: [L.kernel.start, L.kernel.end],
        apps: [L.apps.start, L.apps.end],
      },
      attributes: bl.attributes.map((a) => ({ index: a.index, key: a.key, value: a.value })),
      apps: list.value.apps.map((a) => ({
        address: a.address,
        size: a.size,
        name: a.name,
        enabled: a.enabled,
        sticky: a.sticky,
        padding: a.padding,
        fixedFlash: a.fixedFlash,
      })),
    };
    if (list.value.problem) session.problem = list.value.problem;
    return { ok: true, value: session };
  }

  /** A failure; a lost link ends the session (the port has to be opened again). */
  private failed(p: string, e: FlashError): { ok: false; error: HostError } {
    if (e.kind === 'link-lost' || e.kind === 'timeout') {
      const s = this.sessions.get(p);
      this.sessions.delete(p);
      void s?.flasher.close().then(() => s.resume());
    }
    return hostErrorOf(e);
  }

  /** Runs `op` on the session of `p` after the operations before it. */
  private run<T>(p: string, op: (s: Session) => Promise<Result<T>>): Promise<Result<T>> {
    const s = this.sessions.get(p);
    if (!s)
      return Promise.resolve(
        err('not-found', `no bootloader session on ${p}`, 'open the port in the bootloader first'),
      );
    const next = s.queue.then(() => op(s));
    s.queue = next.catch(() => undefined);
    return next;
  }

  async open(p: string, board: string): Promise<Result<BootloaderSession>> {
    const old = this.sessions.get(p);
    if (old) {
      this.sessions.delete(p);
      await old.queue;
      await old.flasher.close();
      await old.resume();
    }
    const resume = await this.pauseConsole(p);
    const opened = await BootloaderFlasher.open(p, board, { onProgress: this.progress(p) });
    if (!opened.ok) {
      await resume();
      return hostErrorOf(opened.error);
    }
    const s: Session = { flasher: opened.value, resume, queue: Promise.resolve() };
    this.sessions.set(p, s);
    return this.run(p, () => this.describe(p, s));
  }

  apps(p: string): Promise<Result<BootloaderSession>> {
    return this.run(p, (s) => this.describe(p, s));
  }

  install(p: string, file: string): Promise<Result<BootloaderSession>> {
    return this.run(p, async (s) => {
      const f = await resolveInProject(this.projectRoot, file);
      if (!f.ok) return f;
      const format = file.endsWith('.tab') ? 'tab' : file.endsWith('.tbf') ? 'tbf' : null;
      if (!format) return err('bad-request', `${file} is not an app (a .tab or .tbf file)`);
      const r = await s.flasher.program(
        { file: f.value.absolute, format },
        { verify: true, reset: false, onProgress: this.progress(p) },
      );
      if (!r.ok) return this.failed(p, r.error);
      return this.describe(p, s);
    });
  }

  /**
   * Writes a kernel (an ELF or Intel HEX linked for the board with its bootloader) into the
   * kernel region, checked by CRC; the apps stay. Refused before a byte is sent when the image
   * would reach the bootloader or the apps.
   */
  flashKernel(p: string, file: string): Promise<Result<BootloaderSession>> {
    return this.run(p, async (s) => {
      const f = await resolveInProject(this.projectRoot, file);
      if (!f.ok) return f;
      const format = file.endsWith('.elf') ? 'elf' : file.endsWith('.hex') ? 'ihex' : null;
      if (!format)
        return err('bad-request', `${file} is not a kernel image (an .elf or Intel .hex file)`);
      const r = await s.flasher.program(
        { file: f.value.absolute, format },
        { verify: true, reset: false, onProgress: this.progress(p) },
      );
      if (!r.ok) return this.failed(p, r.error);
      return this.describe(p, s);
    });
  }

  uninstall(p: string, name: string): Promise<Result<BootloaderSession>> {
    return this.run(p, async (s) => {
      const r = await s.flasher.bootloader.uninstall(name, { onProgress: this.progress(p) });
      if (!r.ok) return this.failed(p, r.error);
      return this.describe(p, s);
    });
  }

  eraseApps(p: string, force: boolean): Promise<Result<BootloaderSession>> {
    return this.run(p, async (s) => {
      const r = await s.flasher.bootloader.eraseApps({ force, onProgress: this.progress(p) });
      if (!r.ok) return this.failed(p, r.error);
      return this.describe(p, s);
    });
  }

  setAttribute(
    p: string,
    index: number,
    key: string,
    value: string,
  ): Promise<Result<BootloaderSession>> {
    return this.run(p, async (s) => {
      const r = await s.flasher.bootloader.setAttribute(index, key, value);
      if (!r.ok) return this.failed(p, r.error);
      return this.describe(p, s);
    });
  }

  async exit(p: string): Promise<Result<null>> {
    const r = await this.run(p, async (s) => {
      const e = await s.flasher.bootloader.exit();
      return e.ok ? ({ ok: true, value: null } as const) : this.failed(p, e.error);
    });
    await this.close(p);
    return r;
  }

  async close(p: string): Promise<Result<null>> {
    const s = this.sessions.get(p);
    this.sessions.delete(p);
    if (s) {
      await s.queue;
      await s.flasher.close();
      await s.resume();
    }
    return { ok: true, value: null };
  }

  /** App files the last build of `board` wrote (TABs first), project-relative. */
  async appFiles(board: string): Promise<Result<string[]>> {
    if (!/^[A-Za-z0-9_-]+$/.test(board)) return err('bad-request', `not a board name: ${board}`);
    const rel = `target/images/${board}/apps`;
    const dir = path.join(this.projectRoot, rel);
    const names = await readdir(dir).catch(() => [] as string[]);
    const apps = names
      .filter((n) => n.endsWith('.tab') || n.endsWith('.tbf'))
      .sort((a, b) => {
        const ext = (n: string): number => (n.endsWith('.tab') ? 0 : 1);
        return ext(a) - ext(b) || a.localeCompare(b);
      });
    return { ok: true, value: apps.map((n) => `${rel}/${n}`) };
  }

  /**
   * Kernel images a build of `board` wrote that the bootloader can take, project-relative: the
   * build of the board with its bootloader first (its kernel.elf is linked after the
   * bootloader), then the plain board's (the flash refuses it if it starts at 0).
   */
  async kernelFiles(board: string): Promise<Result<string[]>> {
    const facts = bootloaderBoard(board);
    const dirs = [facts?.build, board].filter((d): d is string => !!d);
    const out: string[] = [];
    for (const d of dirs) {
      const rel = `target/images/${d}/kernel.elf`;
      if (
        await access(path.join(this.projectRoot, rel)).then(
          () => true,
          () => false,
        )
      )
        out.push(rel);
    }
    return { ok: true, value: out };
  }

  async dispose(): Promise<void> {
    for (const p of [...this.sessions.keys()]) await this.close(p);
  }
}
