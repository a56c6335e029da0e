/**
 * Browser mode: serves the renderer and the host contract over HTTP and a WebSocket on
 * 127.0.0.1, for machines where Electron's binary is absent.
 *
 * Only the loopback interface is bound. A random token generated per launch is in the URL that
 * is printed once; the first request trades it for an HttpOnly, SameSite=Strict cookie and
 * redirects to a clean URL on this server. Every later request, and the WebSocket upgrade,
 * needs that cookie, a Host header naming this server (against DNS rebinding) and, when the
 * browser sends one, an Origin equal to this server's. Pages carry a strict
 * Content-Security-Policy (main/host/ui-serving.ts).
 *
 * No input may end the host, authenticated or not: every handler is total (a request target
 * that is not a path, a malformed percent-escape, a WebSocket protocol error, a frame over the
 * limit each get an answer or a close code), and `installCrashGuard` (main/host/guard.ts) logs
 * whatever slips through. Each WebSocket connection gets back-pressure: while more than
 * `softBytes` of its output is unsent, the host stops reading and running its calls; past
 * `hardBytes` (only events can push it there) the connection is dropped; everything it held is
 * released when it closes. The frame limit is derived from the contract, so every call the
 * contract accepts fits (a 16 M-character file of control characters, escaped, included).
 *
 * @example
 *   const server = await startBrowserServer({ host, staticDir: 'dist/renderer', port: 0 });
 *   console.log(server.url); // http://127.0.0.1:41234/?token=...
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  MAX_CONTENT_CHARS,
  parseIncoming,
  type EventsMessage,
  type HostEvent,
  type ReplyMessage,
  type Result,
} from '../common/contract.js';
import { decodeFrame, encodeFrame } from '../common/wire.js';
import { contentSecurityPolicy, contentType } from './ui-serving.js';
import type { Host } from './host.js';

export interface ConnectionLimits {
  /** Unsent output (bytes) above which a connection's calls are neither read nor run. */
  softBytes: number;
  /** Unsent output (bytes) above which the connection is dropped (events keep coming). */
  hardBytes: number;
  /** Calls of one connection running at once. */
  maxInFlight: number;
  /** Calls read but not yet started above which reading the connection pauses. */
  maxQueued: number;
  /** WebSocket connections open at once (each is one window). */
  maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  softBytes: 8 * 1024 * 1024,
  hardBytes: 64 * 1024 * 1024,
  maxInFlight: 4,
  maxQueued: 64,
  maxConnections: 16,
};

/**
 * The largest frame a contract-valid call can need: JSON escapes a control character or a lone
 * surrogate as six characters, so the longest content costs six bytes per UTF-16 code unit;
 * 64 KiB more covers the path (4096 characters, escaped) and the envelope.
 */
export const MAX_FRAME_BYTES = MAX_CONTENT_CHARS * 6 + 64 * 1024;

export interface BrowserServerOptions {
  host: Host;
  staticDir: string;
  port?: number;
  token?: string;
  limits?: Partial<ConnectionLimits>;
  /** Where the server reports connections it dropped and errors it survived. */
  log?: (line: string) => void;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function sameToken(a: string | undefined | null, b: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Checks the headers every request must pass; returns the refusal reason or null. */
export function checkRequest(
  req: { headers: http.IncomingHttpHeaders },
  port: number,
  token: string,
  allowTokenInUrl: string | null,
): string | null {
  const hostHeader = req.headers.host ?? '';
  if (hostHeader !== `127.0.0.1:${port}` && hostHeader !== `localhost:${port}`)
    return `unexpected Host header "${hostHeader}"`;
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    origin !== `http://127.0.0.1:${port}` &&
    origin !== `http://localhost:${port}`
  )
    return `foreign Origin "${origin}" refused`;
  if (allowTokenInUrl !== null && sameToken(allowTokenInUrl, token)) return null;
  if (!sameToken(cookieValue(req.headers.cookie, cookieName(port)), token))
    return 'missing or wrong access token: open the URL that Capsule Studio printed when it started';
  return null;
}

const cookieName = (port: number): string => `capsule-token-${port}`;

export interface RequestTarget {
  /** The decoded path, always starting with one "/". */
  path: string;
  token: string | null;
}

/**
 * Reads an HTTP request target without ever throwing. Only the origin form this server
 * serves is accepted ("/path?query"): an absolute URL (`http://[`), a scheme-relative one
 * (`//host/`), a backslash (which URL parsers read as a slash) or a malformed percent-escape is
 * refused with the reason. `new URL` is not used: it throws on targets a web page can send.
 */
export function parseRequestTarget(raw: string | undefined): Result<RequestTarget> {
  const bad = (why: string): Result<RequestTarget> => ({
    ok: false,
    error: { code: 'bad-request', message: `malformed request target: ${why}` },
  });
  if (!raw || raw[0] !== '/') return bad('it must be a path starting with "/"');
  const hash = raw.indexOf('#');
  const target = hash >= 0 ? raw.slice(0, hash) : raw;
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  if (rawPath.startsWith('//')) return bad('it names another host ("//")');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return bad('it has a malformed percent-escape');
  }
  if (decoded.includes('\\') || decoded.includes('\0'))
    return bad('it contains a backslash or a NUL byte');
  // URLSearchParams never throws; it reads a malformed escape literally.
  const token = q >= 0 ? new URLSearchParams(target.slice(q + 1)).get('token') : null;
  return { ok: true, value: { path: decoded, token } };
}

/**
 * One WebSocket connection: its queue of calls, the calls running, and its output pressure.
 * Calls run on the host's connection for this window (host.ts), which also hands it the host's
 * events in batches; a cancel is acted on as it arrives, never queued behind calls.
 */
class Connection {
  private readonly queue: { data: RawData; isBinary: boolean }[] = [];
  private inFlight = 0;
  private closed = false;
  private readonly link: ReturnType<Host['connect']>;

  constructor(
    private readonly ws: WebSocket,
    host: Host,
    private readonly limits: ConnectionLimits,
    private readonly log: (line: string) => void,
  ) {
    this.link = host.connect((events) => this.events(events));
  }

  message(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    const frame = decodeFrame(isBinary ? rawBytes(data) : rawText(data));
    const msg = frame.ok ? parseIncoming(frame.value) : null;
    if (msg?.ok && msg.value.kind === 'cancel') return this.link.cancel(msg.value.id);
    this.queue.push({ data, isBinary });
    this.pump();
  }

  /** Starts queued calls while output allows, and pauses or resumes reading to match. */
  pump(): void {
    if (this.closed) return;
    const over = (): boolean => this.ws.bufferedAmount > this.limits.softBytes;
    while (this.queue.length && this.inFlight < this.limits.maxInFlight && !over()) {
      const next = this.queue.shift()!;
      this.inFlight++;
      void this.run(next.data, next.isBinary).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
    const pause = over() || this.queue.length >= this.limits.maxQueued;
    if (pause && !this.ws.isPaused) this.ws.pause();
    else if (!pause && this.ws.isPaused) this.ws.resume();
  }

  private async run(data: RawData, isBinary: boolean): Promise<void> {
    let id = -1;
    let result: Result<unknown>;
    try {
      const text = isBinary ? '' : rawText(data);
      const frame = decodeFrame(isBinary ? rawBytes(data) : text);
      const call = frame.ok
        ? parseIncoming(frame.value)
        : { ok: false as const, error: { code: 'bad-request' as const, message: frame.error } };
      if (call.ok && call.value.kind === 'call') {
        id = call.value.id;
        result = await this.link.call(id, call.value.method, call.value.args);
      } else {
        id = isBinary ? -1 : callIdOf(text);
        result = call.ok
          ? { ok: false, error: { code: 'bad-request', message: 'not a call' } }
          : call;
      }
    } catch (e) {
      result = { ok: false, error: { code: 'io', message: `the call failed: ${errorText(e)}` } };
    }
    if (!this.closed) this.reply(id, result);
  }

  private reply(id: number, result: Result<unknown>): void {
    let text: string | Uint8Array;
    try {
      text = encodeFrame({ kind: 'reply', id, result } satisfies ReplyMessage);
    } catch (e) {
      // Past V8's longest string: say so instead of throwing out of the handler.
      text = JSON.stringify({
        kind: 'reply',
        id,
        result: {
          ok: false,
          error: { code: 'too-large', message: `the reply could not be sent: ${errorText(e)}` },
        },
      } satisfies ReplyMessage);
    }
    this.send(text);
  }

  /** Pushes a batch of host events; a connection that lets them pile up past the hard limit goes. */
  private events(events: HostEvent[]): void {
    if (this.closed) return;
    let text: string | Uint8Array;
    try {
      text = encodeFrame({ kind: 'events', events } satisfies EventsMessage);
    } catch (e) {
      return this.log(`capsule-studio: events could not be sent: ${errorText(e)}`);
    }
    if (this.ws.bufferedAmount + text.length > this.limits.hardBytes) {
      this.log(
        `capsule-studio: dropped a WebSocket client that stopped reading (${this.ws.bufferedAmount} bytes unsent)`,
      );
      this.close();
      this.ws.terminate();
      return;
    }
    this.send(text);
  }

  private send(text: string | Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // The callback runs once the bytes left for the kernel (or the send failed): the moment to
    // look at the pressure again.
    this.ws.send(text, () => this.pump());
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.link.close();
  }
}

function rawBytes(data: RawData): Uint8Array {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return new Uint8Array(data);
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/** The id of a call the contract refused, when it has a usable one, so the caller can match it. */
function callIdOf(text: string): number {
  try {
    const raw = JSON.parse(text) as { id?: unknown } | null;
    const id = raw !== null && typeof raw === 'object' ? raw.id : undefined;
    return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : -1;
  } catch {
    return -1;
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticDir = path.resolve(opts.staticDir);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const log = (line: string): void => {
    try {
      (opts.log ?? console.error)(line);
    } catch {
      // Logging never throws.
    }
  };
  const connections = new Map<WebSocket, Connection>();
  let port = 0;

  const refuse = (res: http.ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const target = parseRequestTarget(req.url);
    if (!target.ok) return refuse(res, 400, `Capsule Studio: ${target.error.message}\n`);
    const refusal = checkRequest(req, port, token, target.value.token);
    if (refusal) return refuse(res, 403, `Capsule Studio refused this request: ${refusal}\n`);
    if (target.value.token !== null) {
      // Always back to this server's root: the target came from outside and may name any host.
      res.writeHead(303, {
        ...COMMON_HEADERS,
        'Set-Cookie': `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: '/',
      });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...COMMON_HEADERS, Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let rel = target.value.path;
    if (rel === '/') rel = '/index.html';
    const file = path.resolve(staticDir, '.' + rel);
    if (!file.startsWith(staticDir + path.sep)) return refuse(res, 404, 'not found\n');
    let size: number;
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      return refuse(
        res,
        404,
        rel === '/index.html'
          ? `The Capsule Studio UI is not built (${file} is missing). Run \`npm start\`, which builds it.\n`
          : 'not found\n',
      );
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': contentType(file),
      'Content-Length': size,
      // The Host header was checked above: it is this server, by address or by name.
      // The page also fetches /favicon.ico after losing the WebSocket, to tell a stopped host
      // (no answer) from a restarted one that refuses its cookie (403): renderer/src/client.ts.
      'Content-Security-Policy': contentSecurityPolicy({
        connect: [`ws://${req.headers.host}/rpc`, `http://${req.headers.host}/favicon.ico`],
      }),
      'Cache-Control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
    });
    if (req.method === 'HEAD') return void res.end();
    // Streamed, so a client that reads slowly holds back the file instead of host memory.
    pipeline(createReadStream(file), res, () => {});
  };

  const server = http.createServer((req, res) => {
    serve(req, res).catch((e: unknown) => {
      log(`capsule-studio: request ${JSON.stringify(req.url)} failed: ${errorText(e)}`);
      if (!res.headersSent) refuse(res, 500, 'Capsule Studio: internal error\n');
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  wss.on('error', (e) => log(`capsule-studio: WebSocket server error: ${errorText(e)}`));
  server.on('upgrade', (req, socket, head) => {
    // A reset during the handshake must not become an uncaught 'error'.
    socket.on('error', () => {});
    const answer = (status: string, text: string): void => {
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${text}\n`,
      );
    };
    try {
      const target = parseRequestTarget(req.url);
      if (!target.ok) return answer('400 Bad Request', target.error.message);
      // The WebSocket must come from our own page: cookie and same Origin, never a URL token.
      const refusal =
        target.value.path !== '/rpc'
          ? 'unknown endpoint'
          : req.headers.origin === undefined
            ? 'missing Origin'
            : checkRequest(req, port, token, null);
      if (refusal) return answer('403 Forbidden', refusal);
      if (connections.size >= limits.maxConnections)
        return answer('503 Service Unavailable', 'too many Capsule Studio windows are connected');
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    } catch (e) {
      log(`capsule-studio: upgrade ${JSON.stringify(req.url)} failed: ${errorText(e)}`);
      socket.destroy();
    }
  });

  wss.on('connection', (ws: WebSocket) => {
    const conn = new Connection(ws, opts.host, limits, log);
    connections.set(ws, conn);
    // A protocol error (invalid UTF-8, a reserved opcode, an unmasked or oversized frame) makes
    // `ws` close the connection with the matching code; this listener keeps it from throwing.
    ws.on('error', () => {});
    ws.on('close', () => {
      conn.close();
      connections.delete(ws);
    });
    ws.on('message', (data, isBinary) => conn.message(data, isBinary));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => log(`capsule-studio: server error: ${errorText(e)}`));
  port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      for (const [ws, conn] of connections) {
        conn.close();
        ws.terminate();
      }
      connections.clear();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
