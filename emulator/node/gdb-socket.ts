/**
 * TCP transport for the GDB remote protocol client: the only layer of the client that touches a
 * socket (house style: target, protocol, framing, transport).
 *
 * `connectGdb` opens the connection (retrying while the stub is still starting, as QEMU opens
 * its port a moment after launch), negotiates (`GdbRemoteClient.open`), and `connectGdbTarget`
 * wraps the result as a `DebugTarget`. Failures are values naming host, port and cause.
 *
 * @example
 *   const t = await connectGdbTarget('127.0.0.1', 1234, { label: 'QEMU at :1234' });
 *   if (!t.ok) console.error(t.error);
 */
import { Socket } from 'node:net';
import { err, ok, type Result } from '../core/result';
import { GdbRemoteClient, type ClientOptions, type GdbTransport } from '../gdb/client';
import {
  openGdbRemoteTarget,
  type GdbRemoteOptions,
  type GdbRemoteTarget,
} from '../gdb/remote-target';

/** Node's timers, for the client's request time limits. */
export const NODE_TIMERS = {
  setTimeout: (fn: () => void, ms: number): unknown => setTimeout(fn, ms),
  clearTimeout: (h: unknown): void => clearTimeout(h as NodeJS.Timeout),
};

/** A GdbTransport over a connected socket (bytes as latin1 strings). */
export function socketTransport(socket: Socket): GdbTransport {
  socket.setNoDelay(true);
  socket.setEncoding('latin1');
  return {
    write: (data) => {
      if (!socket.destroyed) socket.write(data, 'latin1');
    },
    close: () => socket.destroy(),
    listen(onData, onClose) {
      let why = 'the stub closed the connection';
      socket.on('data', (d: string) => onData(d));
      socket.on('error', (e) => (why = e.message));
      socket.on('close', () => onClose(why));
    },
  };
}

function connectOnce(host: string, port: number): Promise<Result<Socket>> {
  return new Promise((resolve) => {
    const s = new Socket();
    const fail = (e: Error): void => {
      s.destroy();
      resolve(err(e.message));
    };
    s.once('error', fail);
    s.connect(port, host, () => {
      s.off('error', fail);
      resolve(ok(s));
    });
  });
}

export interface ConnectOptions extends ClientOptions {
  /** Keep retrying a refused connection this long (a stub that is starting). Default 5 s. */
  retryMs?: number;
}

/** Connects to a stub and negotiates; errors name the address and what went wrong. */
export async function connectGdb(
  host: string,
  port: number,
  options: ConnectOptions = {},
): Promise<Result<GdbRemoteClient>> {
  const deadline = Date.now() + (options.retryMs ?? 5000);
  for (;;) {
    const s = await connectOnce(host, port);
    if (s.ok) {
      const c = await GdbRemoteClient.open(socketTransport(s.value), {
        timers: NODE_TIMERS,
        ...options,
      });
      return c.ok ? c : err(`gdbstub at ${host}:${port}: ${c.error}`);
    }
    if (Date.now() > deadline) return err(`cannot reach a gdbstub at ${host}:${port}: ${s.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Connects and opens a DebugTarget over the stub. */
export async function connectGdbTarget(
  host: string,
  port: number,
  options: Partial<GdbRemoteOptions> & ConnectOptions = {},
): Promise<Result<GdbRemoteTarget>> {
  const client = await connectGdb(host, port, options);
  if (!client.ok) return client;
  return openGdbRemoteTarget(client.value, {
    label: `gdbstub at ${host}:${port}`,
    ...options,
  });
}
