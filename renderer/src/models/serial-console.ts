/**
 * The serial console model: one console on a board's serial port (what the board prints, kept
 * as text up to a limit; the port's state: open, reconnecting after a reset, lent to the
 * bootloader, closed), the baud rate, the log file, and what the person types.
 *
 * Output arrives as `serialConsole.data` events in chunks cut anywhere, so the bytes go through
 * one streaming UTF-8 decoder (a character split across two chunks comes out whole). Carriage
 * returns before a newline are dropped so a board's CRLF lines read as lines; the text keeps
 * the last `MAX_TEXT` characters.
 *
 * @example
 *   const c = new SerialConsoleModel(host);
 *   await c.open('/dev/ttyACM0', 115200, 'logs/dk.log');
 *   await c.send('list');   // "list\r" to the board
 */
import type { HostError, HostEvents, SerialConsoleInfo } from '../../../main/common/contract';
import type { HostConnection } from '../client';
import { Model } from './model';

/** Characters of output kept (older output is dropped; the log file keeps everything). */
export const MAX_TEXT = 256 * 1024;

export interface SerialConsoleState {
  /** The port the console is on, or null when none is open. */
  path: string | null;
  info: SerialConsoleInfo | null;
  text: string;
  error: HostError | null;
  /** The port the shared Console panel shows (null: the emulator session); kept while the panel is closed. */
  shown: string | null;
}

export class SerialConsoleModel extends Model<SerialConsoleState> {
  private decoder = new TextDecoder();
  private readonly dataListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly clearListeners = new Set<() => void>();

  constructor(private readonly host: HostConnection) {
    super({ path: null, info: null, text: '', error: null, shown: null });
    host.onEvent('serialConsole.data', (d) => this.received(d));
    host.onEvent('serialConsole.status', (s) => {
      if (s.path === this.state.path) this.set({ info: s });
    });
  }

  private received(d: HostEvents['serialConsole.data']): void {
    if (d.path !== this.state.path) return;
    for (const l of this.dataListeners) l(d.bytes);
    const more = this.decoder.decode(d.bytes, { stream: true }).replace(/\r(?=\n|$)/g, '');
    const text = this.state.text + more;
    this.set({ text: text.length > MAX_TEXT ? text.slice(text.length - MAX_TEXT) : text });
  }

  async open(path: string, baudRate: number, logFile?: string): Promise<boolean> {
    if (this.state.path && this.state.path !== path) await this.close();
    this.decoder = new TextDecoder();
    this.set({ path, info: null, text: '', error: null });
    const r = await this.host.api.serialConsole.open(
      logFile ? { path, baudRate, logFile } : { path, baudRate },
    );
    if (r.ok) this.set({ info: r.value });
    else this.set({ path: null, error: r.error });
    return r.ok;
  }

  /** Sends a line as a terminal would: the text, then a carriage return. */
  async send(line: string): Promise<boolean> {
    const path = this.state.path;
    if (!path) return false;
    const bytes = new TextEncoder().encode(`${line}\r`);
    const r = await this.host.api.serialConsole.write({ path, bytes });
    this.set({ error: r.ok ? null : r.error });
    return r.ok;
  }

  /** Sends what a terminal produced as typed (Enter is already a carriage return). */
  async sendRaw(text: string): Promise<boolean> {
    const path = this.state.path;
    if (!path) return false;
    const r = await this.host.api.serialConsole.write({
      path,
      bytes: new TextEncoder().encode(text),
    });
    this.set({ error: r.ok ? null : r.error });
    return r.ok;
  }

  /** Chooses what the Console panel shows: a port, or null for the emulator session. */
  show(path: string | null): void {
    this.set({ shown: path });
  }

  /** The open port's bytes as they arrive (for a terminal); returns the unsubscribe. */
  onData(listener: (bytes: Uint8Array) => void): () => void {
    this.dataListeners.add(listener);
    return () => void this.dataListeners.delete(listener);
  }

  /** Called when the output is cleared; returns the unsubscribe. */
  onClear(listener: () => void): () => void {
    this.clearListeners.add(listener);
    return () => void this.clearListeners.delete(listener);
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const path = this.state.path;
    if (!path) return;
    const r = await this.host.api.serialConsole.setBaudRate({ path, baudRate });
    this.set(r.ok ? { info: r.value, error: null } : { error: r.error });
  }

  clear(): void {
    this.set({ text: '' });
    for (const l of this.clearListeners) l();
  }

  async close(): Promise<void> {
    const path = this.state.path;
    if (!path) return;
    await this.host.api.serialConsole.close({ path });
    this.set({ path: null, info: null });
  }
}
