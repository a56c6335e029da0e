/**
 * TCP transport for the GDB server: the one layer of the server that touches sockets.
 *
 * Listens on the loopback interface only (127.0.0.1: a debugger port gives full control of the
 * target, so it is never offered to the network), hands each connection's bytes to a
 * `GdbServer` connection and tells it when the socket closes, mid-packet or not. A port that is
 * taken is an error naming the port and, on Linux, the process that holds it (read from
 * /proc/net/tcp and the /proc/PID/fd socket links, where this user may see them).
 *
 * @example
 *   const s = await startGdbServer(target, { port: 3333 });
 *   if (!s.ok) { console.error(s.error); return; }
 *   console.log(`gdb-multiarch -ex 'target extended-remote :${s.value.port}'`);
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { err, ok, type Result } from '../core/result';
import type { DebugTarget } from '../debug/target';
import { GdbServer, type GdbServerOptions } from '../gdb/server';

export const DEFAULT_GDB_PORT = 3333;
/**
 * Slice length for an emulator target served to GDB: a Ctrl-C takes effect within it, and
 * longer slices cost less per instruction than the IDE's 8 ms (bench:gdb).
 */
export const GDB_SLICE_MS = 25;
export const GDB_HOST = '127.0.0.1';

export interface GdbServerHandle {
  /** The port listened on (the one chosen when 0 was asked for). */
  port: number;
  server: GdbServer;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Who listens on a TCP port, from /proc (Linux): "pid 1234 (openocd -f board.cfg)", or null
 * when it cannot be told (another OS, or a process of another user).
 */
export function portHolder(port: number): string | null {
  let inode: string | null = null;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; st 0A is LISTEN; inode is the tenth field.
      if (f.length < 10 || f[3] !== '0A') continue;
      const local = f[1]!.split(':');
      if (parseInt(local[1] ?? '', 16) === port) inode = f[9]!;
    }
    if (inode) break;
  }
  if (!inode || inode === '0') return null;
  const want = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (link !== want) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      } catch {
        // the process ended meanwhile
      }
      return `pid ${pid}${cmd ? ` (${cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd})` : ''}`;
    }
  }
  return null;
}

function listen(server: Server, port: number, host: string): Promise<Result<number>> {
  return new Promise((resolve) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') {
        const holder = portHolder(port);
        resolve(
          err(
            `GDB server: port ${port} on ${host} is already in use${holder ? ` by ${holder}` : ' (by a process this user cannot see)'}; pick another port (--gdb PORT) or stop that process`,
          ),
        );
      } else if (e.code === 'EACCES')
        resolve(
          err(`GDB server: not allowed to listen on port ${port} (ports below 1024 need root)`),
        );
      else resolve(err(`GDB server: cannot listen on ${host}:${port}: ${e.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const a = server.address();
      resolve(ok(typeof a === 'object' && a ? a.port : port));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/** Serves `target` over GDB's remote protocol on GDB_HOST:`port` (0: any free port). */
export async function startGdbServer(
  target: DebugTarget,
  options: GdbServerOptions & { port?: number } = {},
): Promise<Result<GdbServerHandle>> {
  const port = options.port ?? DEFAULT_GDB_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return err(`GDB server: '${port}' is not a TCP port (0-65535)`);
  const gdb = new GdbServer(target, options);
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    const conn = gdb.connect({
      send: (bytes) => {
        if (!socket.destroyed) socket.write(bytes, 'latin1');
      },
      close: () => socket.end(),
    });
    socket.on('data', (d: string) => conn.receive(d));
    socket.on('error', () => undefined); // 'close' follows and says the rest
    socket.on('close', () => {
      sockets.delete(socket);
      conn.disconnected();
    });
  });
  const bound = await listen(tcp, port, GDB_HOST);
  if (!bound.ok) {
    gdb.close();
    return bound;
  }
  return ok({
    port: bound.value,
    server: gdb,
    close: () =>
      new Promise<void>((resolve) => {
        gdb.close();
        for (const s of sockets) s.destroy();
        tcp.close(() => resolve());
      }),
  });
}
