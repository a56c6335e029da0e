/**
 * The Electron window's security decisions, as plain functions the tests can run without
 * Electron: which file a `capsule://` request serves, which frame may call the host, which
 * links open in the user's browser, and which permissions the page gets.
 *
 * The renderer is served from the app's own privileged scheme (`capsule://app/`), never from
 * `file://`: one origin, one Content-Security-Policy sent with every response (main/host/ui-serving.ts,
 * with no connections at all: the host is reached through IPC), and no `file://` privileges
 * (the fuse that grants them is off in electron-builder.yml). Request URLs map onto files of the
 * renderer folder through `url.fileURLToPath`, so percent-escapes, Windows drive letters and UNC
 * paths are handled by Node rather than by string surgery (`path.resolve` of a URL path gave
 * `C:\C:\...` on Windows and refused every IPC call); the result must lie inside the folder.
 *
 * @example
 *   protocol.handle(RENDERER_SCHEME, (req) => serveRendererFile(req.url, rendererDir));
 *   ipcMain.handle(channel, (e) => isTrustedSenderUrl(e.senderFrame.url, rendererDir) ? ... : refuse);
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { contentSecurityPolicy, contentType } from '../host/ui-serving.js';

export const RENDERER_SCHEME = 'capsule';
export const RENDERER_HOST = 'app';
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`;
export const RENDERER_INDEX_URL = `${RENDERER_ORIGIN}/index.html`;

/**
 * How the scheme is registered (`protocol.registerSchemesAsPrivileged`, before the app is
 * ready): standard (an origin, relative URLs resolve), secure (a secure context, as https is),
 * fetch and CORS-mode requests, which Vite's `crossorigin` module scripts and the module
 * workers use (the responses carry no Access-Control-Allow-Origin, so no other origin can read
 * them), and V8's code cache. It does not bypass the CSP and gets no service workers.
 */
export const RENDERER_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  corsEnabled: true,
  codeCache: true,
} as const;

/** The one policy of the Electron page: no connections at all (IPC needs none). */
export const ELECTRON_CSP = contentSecurityPolicy({ connect: [] });

export type PathFlavour = 'posix' | 'win32';
const hostFlavour = (): PathFlavour => (process.platform === 'win32' ? 'win32' : 'posix');

/**
 * The file of `rendererDir` that `requestUrl` names, or null when it names none (another
 * scheme or host, a credential or port, an encoded separator, a path leading outside).
 */
export function rendererFile(
  requestUrl: string,
  rendererDir: string,
  flavour: PathFlavour = hostFlavour(),
): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (
    url.protocol !== `${RENDERER_SCHEME}:` ||
    url.hostname !== RENDERER_HOST ||
    url.port ||
    url.username ||
    url.password
  )
    return null;
  const pathname = url.pathname === '/' ? '/index.html' : url.pathname;
  // A backslash is a separator in a file: URL (and on Windows); no URL of ours carries one.
  if (/\\|%5c|%2f|%00/i.test(pathname)) return null;
  const windows = flavour === 'win32';
  const p = windows ? path.win32 : path.posix;
  let file: string;
  try {
    const base = pathToFileURL(p.join(rendererDir, p.sep), { windows });
    file = fileURLToPath(new URL(`.${pathname}`, base), { windows });
  } catch {
    return null;
  }
  const rel = p.relative(rendererDir, file);
  return rel && !rel.startsWith('..') && !p.isAbsolute(rel) ? file : null;
}

/** IPC is accepted only from a frame showing our own index.html on our own scheme. */
export function isTrustedSenderUrl(
  frameUrl: string,
  rendererDir: string,
  flavour: PathFlavour = hostFlavour(),
): boolean {
  const p = flavour === 'win32' ? path.win32 : path.posix;
  return rendererFile(frameUrl, rendererDir, flavour) === p.join(rendererDir, 'index.html');
}

/** Headers of every `capsule://` response: its type and the one policy. */
export function rendererHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentType(file),
    'Content-Security-Policy': ELECTRON_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

/**
 * Where the app links to: rustc's error-code pages and the standard library, crate docs,
 * Tock's book, site and repositories, Nordic's and Arm's documentation. Anything else a page
 * could try to open is refused.
 */
export const EXTERNAL_LINKS: readonly string[] = [
  'https://doc.rust-lang.org/',
  'https://docs.rs/',
  'https://book.tockos.org/',
  'https://www.tockos.org/',
  'https://github.com/tock/',
  'https://docs.nordicsemi.com/',
  'https://infocenter.nordicsemi.com/',
  'https://developer.arm.com/documentation/',
];

/**
 * The URL to hand to `shell.openExternal`, re-serialised from its parse (so what opens is
 * exactly what was checked), or null when the app does not link there.
 */
export function externalUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return null;
  const allowed = EXTERNAL_LINKS.some((prefix) => {
    const p = new URL(prefix);
    return url.origin === p.origin && url.pathname.startsWith(p.pathname);
  });
  return allowed ? url.href : null;
}

/** Whether a URL is a page of the renderer (for permission checks, which give an origin). */
export function isRendererOrigin(originOrUrl: string): boolean {
  try {
    const url = new URL(originOrUrl);
    return (
      url.protocol === `${RENDERER_SCHEME}:` &&
      url.hostname === RENDERER_HOST &&
      !url.port &&
      !url.username &&
      !url.password
    );
  } catch {
    return false;
  }
}

/**
 * Permissions the page may hold: writing the clipboard (Monaco's copy), and the serial and USB
 * APIs (which device, if any, is decided by `DeviceGrants`); only for our own main frame.
 * Everything else (camera, microphone, notifications, geolocation, HID, MIDI, ...) is refused.
 */
export function permissionAllowed(
  permission: string,
  requestingOrigin: string,
  isMainFrame: boolean,
): boolean {
  if (!isMainFrame || !isRendererOrigin(requestingOrigin)) return false;
  return ['clipboard-sanitized-write', 'serial', 'usb'].includes(permission);
}
