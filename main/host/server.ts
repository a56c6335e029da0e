/**
 * Browser mode: serves the renderer and the host contract over HTTP and a WebSocket on
 * 127.0.0.1, for machines where Electron's binary is absent.
 *
 * Only the loopback interface is bound. A random token generated per launch is in the URL that
 * is printed once; the first request trades it for an HttpOnly, SameSite=Strict cookie and
 * redirects to a clean URL. Every later request, and the WebSocket upgrade, needs that cookie,
 * a Host header naming this server (against DNS rebinding) and, when the browser sends one, an
 * Origin equal to this server's. Pages carry a strict Content-Security-Policy.
 *
 * @example
 *   const server = await startBrowserServer({ host, staticDir: 'dist/renderer', port: 0 });
 *   console.log(server.url); // http://127.0.0.1:41234/?token=...
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { parseCall, type EventMessage, type ReplyMessage } from '../common/contract.js';
import type { Host } from './host.js';

export interface BrowserServerOptions {
  host: Host;
  staticDir: string;
  port?: number;
  token?: string;
}

export interface BrowserServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco positions its widgets with inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${port}`,
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

function sameToken(a: string | undefined, b: string): boolean {
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

export async function startBrowserServer(opts: BrowserServerOptions): Promise<BrowserServer> {
  const token = opts.token ?? randomBytes(24).toString('base64url');
  const staticDir = path.resolve(opts.staticDir);
  const sockets = new Set<WebSocket>();
  let port = 0;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal = checkRequest(req, port, token, url.searchParams.get('token'));
    const common = {
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'X-Frame-Options': 'DENY',
    };
    if (refusal) {
      res.writeHead(403, { ...common, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`Capsule Studio refused this request: ${refusal}\n`);
      return;
    }
    if (url.searchParams.has('token')) {
      res.writeHead(303, {
        ...common,
        'Set-Cookie': `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
      });
      res.end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD' });
      res.end();
      return;
    }
    let rel = decodeURIComponent(url.pathname);
    if (rel === '/' || rel === '') rel = '/index.html';
    const file = path.resolve(staticDir, '.' + rel);
    if (!file.startsWith(staticDir + path.sep)) {
      res.writeHead(404, common);
      res.end();
      return;
    }
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      const body = await readFile(file);
      res.writeHead(200, {
        ...common,
        'Content-Type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'Content-Security-Policy': contentSecurityPolicy(port),
        'Cache-Control': rel === '/index.html' ? 'no-store' : 'max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      const missingUi = rel === '/index.html';
      res.writeHead(404, { ...common, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(
        missingUi
          ? `The Capsule Studio UI is not built (${file} is missing). Run \`npm start\`, which builds it.\n`
          : 'not found\n',
      );
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 32 * 1024 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // The WebSocket must come from our own page: cookie and same Origin, never a URL token.
    const refusal =
      url.pathname !== '/rpc'
        ? 'unknown endpoint'
        : req.headers.origin === undefined
          ? 'missing Origin'
          : checkRequest(req, port, token, null);
    if (refusal) {
      socket.write(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\n${refusal}\n`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const unsubscribe = opts.host.subscribe((name, payload) => {
    const text = JSON.stringify({ kind: 'event', name, payload } satisfies EventMessage);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  });

  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', async (data, isBinary) => {
      if (isBinary) return;
      const call = parseCall(data.toString());
      if (!call.ok) {
        ws.send(JSON.stringify({ kind: 'reply', id: -1, result: call } satisfies ReplyMessage));
        return;
      }
      const result = await opts.host.dispatch(call.value.method, call.value.args);
      if (ws.readyState === ws.OPEN)
        ws.send(
          JSON.stringify({ kind: 'reply', id: call.value.id, result } satisfies ReplyMessage),
        );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
