/**
 * How the Capsule Studio UI's files are served, by both transports: their content types and
 * the one Content-Security-Policy.
 *
 * Browser mode sends it as a header with every response of the 127.0.0.1 server; Electron sends
 * it with every response of the app's own `capsule://` protocol. The page itself carries no
 * `<meta>` policy, so exactly one policy applies and it names only what the UI uses: its own
 * scripts, styles, fonts and workers, inline style attributes (Monaco positions its widgets with
 * them), `data:` images and fonts, and one connection: the WebSocket to this server's `/rpc` in
 * browser mode, none in Electron (the host is reached through IPC there).
 *
 * @example
 *   res.setHeader('Content-Type', contentType(file));
 *   res.setHeader('Content-Security-Policy', contentSecurityPolicy({ connect: ['ws://127.0.0.1:41234/rpc'] }));
 */
import path from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The Content-Type of one of the UI's files, by its extension. */
export function contentType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface CspOptions {
  /** Sources the page may connect to (fetch, WebSocket); none at all when empty. */
  connect: string[];
}

export function contentSecurityPolicy(opts: CspOptions): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco positions its widgets with inline style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${opts.connect.length ? opts.connect.join(' ') : "'none'"}`,
    // Monaco's language workers are bundled files; blob: covers the worker it builds at start.
    "worker-src 'self' blob:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}
