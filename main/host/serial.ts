/**
 * Serial ports: listing them (with their USB identity, to match them to a debug probe) and
 * opening one as a `SerialLink` for the Tock bootloader client or as a console.
 *
 * Listing asks the `serialport` package first. On Linux it runs `udevadm`, which containers and
 * minimal systems lack; then the ports are read from sysfs the way udev would describe them
 * (`/sys/class/tty/<name>/device`, walking up to the USB device for idVendor, idProduct,
 * serial, manufacturer and product). Serial numbers are what tie a port to its probe: the
 * nRF52840-DK's J-Link OB and the micro:bit's DAPLink expose a CDC port with the probe's own
 * serial number.
 *
 * `openSerialLink` wraps a `SerialPort`: bytes that arrive are queued for `read`; the port
 * closing under us (unplugged, the emulator behind a pseudo-terminal gone) turns every later
 * call into `link-lost` naming the port, so an operation can stop and be run again later.
 * DTR/RTS on a device that has no modem lines (a pseudo-terminal) fail with `failed`.
 *
 * @example
 *   const ports = await listSerialPorts();
 *   const link = await openSerialLink('/dev/ttyACM0');
 *   if (link.ok) { await link.value.write(bytes); await link.value.close(); }
 */
import { readFile, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { ok, type Result } from '../../emulator/core/result.js';
import { flashError, type FlashError } from '../../emulator/debug/flasher.js';
import type { SerialLink } from '../debug/tock-bootloader/client.js';

export interface SerialPortInfo {
  path: string;
  /** USB serial number, when the port is a USB device that has one. */
  serialNumber?: string;
  /** USB vendor and product id, four lowercase hex digits. */
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  product?: string;
}

const clean = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

/** Ports as sysfs describes them (what udev would report), under `root` (default /sys). */
export async function listFromSysfs(root = '/sys', devRoot = '/dev'): Promise<SerialPortInfo[]> {
  const classDir = path.join(root, 'class', 'tty');
  let names: string[];
  try {
    names = await readdir(classDir);
  } catch {
    return [];
  }
  const out: SerialPortInfo[] = [];
  for (const name of names.sort()) {
    const entry = path.join(classDir, name);
    let device: string;
    try {
      await readlink(path.join(entry, 'device'));
      device = await realpath(path.join(entry, 'device'));
    } catch {
      continue; // a virtual terminal: no device behind it
    }
    const driver = await readlink(path.join(device, 'driver')).catch(() => '');
    if (path.basename(driver) === 'serial8250') {
      // Legacy 8250 ports are listed for every possible UART; type 0 means none is there.
      const type = await readFile(path.join(entry, 'type'), 'utf8').catch(() => '0');
      if (type.trim() === '0') continue;
    }
    const info: SerialPortInfo = { path: path.join(devRoot, name) };
    // Walk up from the interface to the USB device, which carries idVendor.
    for (let dir = device; dir.startsWith(root) && dir !== root; dir = path.dirname(dir)) {
      const vendor = await readFile(path.join(dir, 'idVendor'), 'utf8').catch(() => null);
      if (vendor === null) continue;
      const read = (f: string): Promise<string | undefined> =>
        readFile(path.join(dir, f), 'utf8').then(clean, () => undefined);
      info.vendorId = clean(vendor)?.toLowerCase();
      const product = await read('idProduct');
      if (product) info.productId = product.toLowerCase();
      const serial = await read('serial');
      if (serial) info.serialNumber = serial;
      const manufacturer = await read('manufacturer');
      if (manufacturer) info.manufacturer = manufacturer;
      const productName = await read('product');
      if (productName) info.product = productName;
      break;
    }
    out.push(info);
  }
  return out;
}

/** Every serial port of the machine, from `serialport` or, failing that, from sysfs. */
export async function listSerialPorts(): Promise<SerialPortInfo[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => {
      const info: SerialPortInfo = { path: p.path };
      if (p.serialNumber) info.serialNumber = p.serialNumber;
      if (p.vendorId) info.vendorId = p.vendorId.toLowerCase();
      if (p.productId) info.productId = p.productId.toLowerCase();
      if (p.manufacturer) info.manufacturer = p.manufacturer;
      return info;
    });
  } catch {
    return process.platform === 'linux' ? listFromSysfs() : [];
  }
}

/** A `SerialLink` over an open port, plus what a console needs. */
export interface NodeSerialLink extends SerialLink {
  readonly path: string;
  /** Every chunk of bytes as it arrives (a console); returns the function that stops it. */
  onData(listener: (bytes: Uint8Array) => void): () => void;
  /** Called once when the port closes (`reason` says why: unplugged, closed by us). */
  onClose(listener: (reason: string) => void): () => void;
  readonly isOpen: boolean;
  /** Closes the port; `reason` is what the close listeners are told (default "closed"). */
  close(reason?: string): Promise<void>;
}

function describeOpenError(portPath: string, e: Error & { code?: string }): FlashError {
  const m = e.message;
  if (/ENOENT|No such file/i.test(m))
    return { kind: 'link-lost', message: `${portPath} does not exist (unplugged?)` };
  if (/EACCES|Permission denied/i.test(m))
    return {
      kind: 'permission',
      message: `no permission to open ${portPath}`,
      fix: 'add yourself to the group that owns it (often `dialout`: sudo usermod -aG dialout $USER, then log in again), or install the udev rules in the README',
    };
  if (/EBUSY|Resource busy|Cannot lock/i.test(m))
    return {
      kind: 'probe-busy',
      message: `${portPath} is in use by another program`,
      fix: 'close the other program (a terminal, tockloader listen, another Capsule Studio window) and try again',
    };
  return { kind: 'link-lost', message: `cannot open ${portPath}: ${m}` };
}

/** What a write may take beyond its bytes' time on the wire before the link counts as lost. */
export const WRITE_SLACK_MS = 1000;

/** Opens `portPath` at `baudRate` (8N1, no flow control), without touching DTR/RTS. */
export async function openSerialLink(
  portPath: string,
  options: { baudRate?: number } = {},
): Promise<Result<NodeSerialLink, FlashError>> {
  let baudRate = options.baudRate ?? 115200;
  const port = new SerialPort({
    path: portPath,
    baudRate,
    autoOpen: false,
    hupcl: false,
  });
  const opened = await new Promise<Error | null>((resolve) => port.open((e) => resolve(e ?? null)));
  if (opened) return { ok: false, error: describeOpenError(portPath, opened) };

  let queue: Uint8Array[] = [];
  let wake: (() => void) | null = null;
  let closedReason: string | null = null;
  const dataListeners = new Set<(bytes: Uint8Array) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  const lost = (): { ok: false; error: FlashError } =>
    flashError('link-lost', `${portPath} went away (${closedReason ?? 'closed'})`, {
      fix: 'plug the board in again (or restart it), then run the operation again',
    });

  port.on('data', (chunk: Buffer) => {
    const bytes = new Uint8Array(chunk);
    queue.push(bytes);
    for (const l of dataListeners) l(bytes);
    wake?.();
  });
  const finish = (reason: string): void => {
    if (closedReason !== null) return;
    closedReason = reason;
    wake?.();
    for (const l of closeListeners) l(reason);
  };
  port.on('close', (e?: Error & { disconnected?: boolean }) =>
    finish(e?.disconnected ? 'the device was unplugged' : e ? e.message : 'closed'),
  );
  port.on('error', (e: Error) => finish(e.message));

  const link: NodeSerialLink = {
    label: portPath,
    path: portPath,
    get isOpen() {
      return closedReason === null;
    },
    async write(bytes) {
      if (closedReason !== null) return lost();
      // A port whose other end vanished mid-write (a pseudo-terminal's master closed, a USB
      // device reset) can leave the write's callback uncalled forever: serialport waits for the
      // descriptor to become writable, and a hung-up one never does. The deadline is the bytes'
      // time on the wire at this baud rate plus a second; past it the link counts as lost.
      const deadlineMs = WRITE_SLACK_MS + Math.ceil((bytes.length * 10 * 1000) / baudRate);
      const e = await new Promise<Error | null>((resolve) => {
        const timer = setTimeout(
          () =>
            resolve(
              new Error(`writing ${bytes.length} bytes did not finish within ${deadlineMs} ms`),
            ),
          deadlineMs,
        );
        port.write(Buffer.from(bytes), (err) => {
          if (err) {
            clearTimeout(timer);
            return resolve(err);
          }
          port.drain((d) => {
            clearTimeout(timer);
            resolve(d ?? null);
          });
        });
      });
      if (e) {
        finish(e.message);
        // Not awaited: on a hung-up descriptor the close may wait behind the stuck write.
        if (port.isOpen) port.close(() => undefined);
        return lost();
      }
      return ok(undefined);
    },
    async read(timeoutMs) {
      if (queue.length === 0 && closedReason === null) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            wake = null;
            resolve();
          }, timeoutMs);
          wake = () => {
            clearTimeout(timer);
            wake = null;
            resolve();
          };
        });
      }
      if (queue.length === 0 && closedReason !== null) return lost();
      const total = queue.reduce((n, q) => n + q.length, 0);
      const out = new Uint8Array(total);
      let at = 0;
      for (const q of queue) {
        out.set(q, at);
        at += q.length;
      }
      queue = [];
      return ok(out);
    },
    discardInput() {
      queue = [];
    },
    async setBaudRate(baud) {
      if (closedReason !== null) return lost();
      const e = await new Promise<Error | null>((resolve) =>
        port.update({ baudRate: baud }, (err) => resolve(err ?? null)),
      );
      if (e) return flashError('failed', `cannot set ${portPath} to ${baud} baud: ${e.message}`);
      baudRate = baud;
      return ok(undefined);
    },
    async setSignals(signals) {
      if (closedReason !== null) return lost();
      const e = await new Promise<Error | null>((resolve) =>
        port.set(signals, (err) => resolve(err ?? null)),
      );
      return e
        ? flashError('failed', `${portPath} has no DTR/RTS lines to drive (${e.message})`)
        : ok(undefined);
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onData(listener) {
      dataListeners.add(listener);
      return () => dataListeners.delete(listener);
    },
    onClose(listener) {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    async close(reason = 'closed') {
      // The listeners learn why before the port's own close event says just "closed".
      finish(reason);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
  return ok(link);
}
