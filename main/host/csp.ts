/**
 * The one Content-Security-Policy of the Capsule Studio UI, for both ways it is served.
 *
 * Browser mode sends it as a header with every response of the 127.0.0.1 server; Electron sends
 * it with every response of the app's own `capsule://` protocol. The page itself carries no
 * `<meta>` policy, so exactly one policy applies and it names only what the UI uses: its own
 * scripts, styles, fonts and workers, inline style attributes (Monaco positions its widgets with
 * them), `data:` images and fonts, and one connection: the WebSocket to this server's `/rpc` in
 * browser mode, none in Electron (the host is reached through IPC there).
 *
 * @example
 *   res.setHeader('Content-Security-Policy', contentSecurityPolicy({ connect: ['ws://127.0.0.1:41234/rpc'] }));
 */

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
