/**
 * Console on a board's serial port: what the board prints, streamed to the window as it
 * arrives; what the person types, sent to the board; a baud rate that can change; the log kept
 * in a file; and the port opened again by itself when the board resets.
 *
 * A board that resets through a USB CDC stack (or a probe's virtual COM port re-enumerating)
 * makes its port vanish for a moment: the console then reports `reconnecting` and opens the
 * port again as soon as it is back (the same path, or the port with the same USB serial
 * number), as tockloader's `listen` does. When the Tock bootloader needs the port, the console
 * steps aside (`pause`) and takes the port back afterwards, so flashing never fights the
 * console for it.
 *
 * @example
 *   const consoles = new SerialConsoleService(projectRoot, emit);
 *   await consoles.open('/dev/ttyACM0', { baudRate: 115200, logFile: 'logs/dk.log' });
 *   await consoles.write('/dev/ttyACM0', new TextEncoder().encode('list\r'));
 */
import { access, appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  BAUD_RATES,
  type HostEvents,
  type Result,
  type SerialConsoleInfo,
} from '../common/contract.js';
import { resolveInProject } from './paths.js';
import { err } from './project.js';
import {
  listSerialPorts,
  openSerialLink,
  type NodeSerialLink,
  type SerialPortInfo,
} from './serial.js';

type Emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]) => void;

interface Console {
  path: string;
  baudRate: number;
  link: NodeSerialLink | null;
  serialNumber?: string;
  logFile?: string;
  logAbsolute?: string;
  state: SerialConsoleInfo['state'];
  closing: boolean;
  retry: NodeJS.Timeout | null;
  offs: (() => void)[];
  /** Looks every `watchMs` whether the port's device is still there. */
  watch: NodeJS.Timeout | null;
  /** Appends to the log one after the other. */
  logging: Promise<void>;
}

export interface SerialConsoleOptions {
  /** How often a vanished port is looked for (default 500 ms). */
  retryMs?: number;
  /** How often an open port's device is checked to still exist (default 1000 ms). */
  watchMs?: number;
  listPorts?: () => Promise<SerialPortInfo[]>;
}

export class SerialConsoleService {
  private readonly consoles = new Map<string, Console>();

  constructor(
    private readonly projectRoot: string,
    private readonly emit: Emit,
    private readonly options: SerialConsoleOptions = {},
  ) {}

  private info(c: Console, message?: string): SerialConsoleInfo {
    const i: SerialConsoleInfo = { path: c.path, baudRate: c.baudRate, state: c.state };
    if (c.logFile) i.logFile = c.logFile;
    if (message) i.message = message;
    return i;
  }

  private status(c: Console, message?: string): void {
    this.emit('serialConsole.status', this.info(c, message));
  }

  /** Opens the console's port and wires it; an error when it is not there (yet). */
  private async attach(c: Console, portPath: string): Promise<Result<void>> {
    const l = await openSerialLink(portPath, { baudRate: c.baudRate });
    if (!l.ok) {
      const code =
        l.error.kind === 'permission' || l.error.kind === 'probe-busy'
          ? 'unavailable'
          : 'not-found';
      return err(code, l.error.message, l.error.fix);
    }
    c.link = l.value;
    c.offs = [
      l.value.onData((bytes) => {
        // The link also queues what arrives for `read`, which a console never calls.
        l.value.discardInput();
        this.emit('serialConsole.data', { path: c.path, bytes });
        if (c.logAbsolute) {
          const file = c.logAbsolute;
          c.logging = c.logging.then(() => appendFile(file, bytes).catch(() => undefined));
        }
      }),
      l.value.onClose((reason) => {
        for (const off of c.offs) off();
        c.offs = [];
        c.link = null;
        if (c.watch) clearInterval(c.watch);
        c.watch = null;
        if (c.closing || c.state === 'paused') return;
        c.state = 'reconnecting';
        this.status(c, `${c.path} went away (${reason}); waiting for it to come back`);
        this.scheduleRetry(c);
      }),
    ];
    // An unplugged USB port usually ends the open port with an error, but not always (a
    // pseudo-terminal whose other side closed reads nothing and says nothing): the device
    // node going away is the sign that holds everywhere.
    const link = l.value;
    c.watch = setInterval(() => {
      void access(portPath).catch(() => {
        if (c.link === link) void link.close(`${portPath} is not there any more`);
      });
    }, this.options.watchMs ?? 1000);
    c.state = 'open';
    return { ok: true, value: undefined };
  }

  private scheduleRetry(c: Console): void {
    if (c.retry || c.closing) return;
    c.retry = setTimeout(() => {
      c.retry = null;
      void this.reconnect(c);
    }, this.options.retryMs ?? 500);
  }

  private async reconnect(c: Console): Promise<void> {
    if (c.closing || c.state !== 'reconnecting') return;
    let target = c.path;
    if (c.serialNumber) {
      // The board may come back under another name (ttyACM0 -> ttyACM1).
      const ports = await (this.options.listPorts ?? listSerialPorts)().catch(() => []);
      const same = ports.find((p) => p.serialNumber === c.serialNumber);
      if (same) target = same.path;
    }
    const r = await this.attach(c, target);
    if (r.ok) this.status(c, `reconnected to ${target}`);
    else this.scheduleRetry(c);
  }

  async open(
    portPath: string,
    opts: { baudRate: number; logFile?: string },
  ): Promise<Result<SerialConsoleInfo>> {
    await this.close(portPath);
    const c: Console = {
      path: portPath,
      baudRate: opts.baudRate,
      link: null,
      state: 'closed',
      closing: false,
      retry: null,
      offs: [],
      watch: null,
      logging: Promise.resolve(),
    };
    if (opts.logFile) {
      const f = await resolveInProject(this.projectRoot, opts.logFile);
      if (!f.ok) return f;
      await mkdir(path.dirname(f.value.absolute), { recursive: true });
      c.logFile = f.value.relative;
      c.logAbsolute = f.value.absolute;
    }
    const ports = await (this.options.listPorts ?? listSerialPorts)().catch(() => []);
    const known = ports.find((p) => p.path === portPath)?.serialNumber;
    if (known) c.serialNumber = known;
    const r = await this.attach(c, portPath);
    if (!r.ok) return r;
    this.consoles.set(portPath, c);
    const info = this.info(c, `${portPath} open at ${c.baudRate} baud`);
    this.emit('serialConsole.status', info);
    return { ok: true, value: info };
  }

  async write(portPath: string, bytes: Uint8Array): Promise<Result<null>> {
    const c = this.consoles.get(portPath);
    if (!c?.link)
      return err(
        'unavailable',
        c
          ? `${portPath} is ${c.state}; the typed text was not sent`
          : `no console is open on ${portPath}`,
      );
    const w = await c.link.write(bytes);
    return w.ok ? { ok: true, value: null } : err('unavailable', w.error.message, w.error.fix);
  }

  async setBaudRate(portPath: string, baudRate: number): Promise<Result<SerialConsoleInfo>> {
    const c = this.consoles.get(portPath);
    if (!c) return err('not-found', `no console is open on ${portPath}`);
    if (!BAUD_RATES.includes(baudRate))
      return err('bad-request', `${baudRate} baud is not one of ${BAUD_RATES.join(', ')}`);
    c.baudRate = baudRate;
    if (c.link) {
      const r = await c.link.setBaudRate(baudRate);
      if (!r.ok) return err('io', r.error.message);
    }
    const info = this.info(c, `${portPath} now at ${baudRate} baud`);
    this.emit('serialConsole.status', info);
    return { ok: true, value: info };
  }

  /**
   * Lets go of the port while something else uses it (the bootloader); the returned function
   * takes it back. A port without a console gives a function that does nothing.
   */
  async pause(portPath: string): Promise<() => Promise<void>> {
    const c = this.consoles.get(portPath);
    if (!c || c.closing) return async () => {};
    c.state = 'paused';
    if (c.retry) clearTimeout(c.retry);
    c.retry = null;
    await c.link?.close();
    this.status(c, `${portPath} lent to the bootloader`);
    return async () => {
      if (c.closing || this.consoles.get(portPath) !== c) return;
      c.state = 'reconnecting';
      await this.reconnect(c);
    };
  }

  async close(portPath: string): Promise<Result<null>> {
    const c = this.consoles.get(portPath);
    if (!c) return { ok: true, value: null };
    this.consoles.delete(portPath);
    c.closing = true;
    if (c.retry) clearTimeout(c.retry);
    await c.link?.close();
    await c.logging;
    c.state = 'closed';
    this.status(c, `${portPath} closed`);
    return { ok: true, value: null };
  }

  async dispose(): Promise<void> {
    for (const p of [...this.consoles.keys()]) await this.close(p);
  }
}
