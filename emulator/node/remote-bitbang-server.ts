/**
 * The emulated nRF52 as a JTAG target on a TCP port, for OpenOCD's remote_bitbang adapter.
 *
 * `npm run emulator -- --machine nrf52840dk --remote-bitbang 3335 image.hex` opens it; OpenOCD
 * connects with resources/openocd/emulated-nrf52.cfg. The server listens on the loopback
 * interface only (the port gives full control of the emulated chip, as a probe's USB cable
 * does of a board), serves one client at a time (a second is told so and closed) and keeps
 * listening after a client leaves, so OpenOCD can be started again against the same running
 * board. The protocol and the debug port are pure (emulator/debug/jtag); this file is the
 * socket.
 *
 * @example
 *   const r = await listenRemoteBitbang(session, { port: 0 });
 *   if (r.ok) console.log(`remote_bitbang on 127.0.0.1:${r.value.port}`);
 */
import { createServer, type Socket } from 'node:net';
import { err, ok, type Result } from '../core/result';
import { Nrf52Dap, nrf52DapChipOf } from '../debug/jtag/nrf52-dap';
import type { EmulatorSession } from '../session/session';

export interface RemoteBitbangServer {
  readonly port: number;
  readonly dap: Nrf52Dap;
  /** A client is connected. */
  readonly connected: boolean;
  /** Called after every batch of commands (the run loop may have something to do). */
  onActivity(listener: () => void): void;
  close(): Promise<void>;
}

export interface RemoteBitbangOptions {
  port: number;
  /** Lines for the person running the emulator (connects, disconnects, protocol errors). */
  log?(line: string): void;
}

export async function listenRemoteBitbang(
  session: EmulatorSession,
  options: RemoteBitbangOptions,
): Promise<Result<RemoteBitbangServer>> {
  const chip = nrf52DapChipOf(session);
  if (!chip.ok) return chip;
  const dap = new Nrf52Dap(chip.value, { runLoop: true });
  const log = options.log ?? (() => undefined);
  const listeners: (() => void)[] = [];
  const activity = (): void => {
    for (const l of listeners) l();
  };
  dap.onChange = activity;
  let client: Socket | null = null;

  /** Waiting for the previous client's close to be seen (it may already be gone). */
  let waiting: { socket: Socket; timer: NodeJS.Timeout } | null = null;
  const server = createServer((socket) => {
    if (client !== null) {
      // A client that just quit (OpenOCD exiting on an error) may not have been seen closing
      // yet: give it a moment before refusing the newcomer.
      if (waiting !== null) {
        refuse(socket);
        return;
      }
      waiting = {
        socket,
        timer: setTimeout(() => {
          waiting = null;
          refuse(socket);
        }, 1000),
      };
      return;
    }
    accept(socket);
  });
  const refuse = (socket: Socket): void => {
    socket.end('E: another remote_bitbang client is connected\n');
    log(`refused a second remote_bitbang client from ${socket.remoteAddress}`);
  };
  const accept = (socket: Socket): void => {
    client = socket;
    socket.setNoDelay(true);
    log(`remote_bitbang client connected from ${socket.remoteAddress}:${socket.remotePort}`);
    socket.on('data', (data: Buffer) => {
      const r = dap.bitbang.feed(data);
      if (r.reply.length > 0) socket.write(r.reply);
      if (r.error !== undefined) {
        log(r.error);
        socket.destroy();
      } else if (r.quit) socket.end();
      activity();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (client === socket) client = null;
      log('remote_bitbang client disconnected');
      activity();
      if (waiting !== null) {
        const next = waiting.socket;
        clearTimeout(waiting.timer);
        waiting = null;
        if (!next.destroyed) accept(next);
      }
    });
  };

  return new Promise((resolve) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      resolve(
        err(
          e.code === 'EADDRINUSE'
            ? `--remote-bitbang: port ${options.port} on 127.0.0.1 is in use (choose another, or 0 for any free port)`
            : `--remote-bitbang: cannot listen on 127.0.0.1:${options.port}: ${e.message}`,
        ),
      ),
    );
    server.listen(options.port, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      resolve(
        ok({
          port,
          dap,
          get connected() {
            return client !== null;
          },
          onActivity: (l) => void listeners.push(l),
          close: () =>
            new Promise<void>((done) => {
              if (waiting !== null) {
                clearTimeout(waiting.timer);
                waiting.socket.destroy();
              }
              client?.destroy();
              dap.dispose();
              server.close(() => done());
            }),
        }),
      );
    });
  });
}
