/**
 * Electron main process: opens the Capsule Studio window on a project and carries the host
 * contract over IPC.
 *
 * Electron's security checklist is applied here: the window has contextIsolation, sandbox and
 * no nodeIntegration; the page is served from the app's own privileged `capsule://app/` scheme
 * (not `file://`), with one strict CSP on every response (main/electron/security.ts);
 * navigation, new windows and webviews are refused; links open in the user's browser only
 * when they go where the app links to, re-serialised; permission checks and requests are
 * refused except the clipboard and the serial/USB APIs, and a USB device or serial port is
 * usable only once the user picked it (`deviceGrants`, main/electron/devices.ts); each IPC
 * call is accepted only from our window's main frame showing our index.html, and its
 * arguments are checked against the contract by the host's dispatcher. The host behind it is
 * the same `createHost` that browser mode serves over a WebSocket.
 *
 * @example
 *   npx electron dist/main/electron-main.js [project-dir]
 */
import {
  app,
  BrowserWindow,
  ipcMain,
  protocol,
  session,
  shell,
  type IpcMainInvokeEvent,
} from 'electron';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { installCrashGuard } from '../host/guard.js';
import { createHost } from '../host/host.js';
import { DeviceGrants } from './devices.js';
import { bindContractIpc, EVENTS_CHANNEL } from './ipc.js';
import {
  ELECTRON_CSP,
  externalUrl,
  isTrustedSenderUrl,
  permissionAllowed,
  RENDERER_INDEX_URL,
  RENDERER_PRIVILEGES,
  RENDERER_SCHEME,
  rendererFile,
  rendererHeaders,
} from './security.js';

// The bundle lives in dist/main/, two levels below the app root.
const APP_ROOT = path.resolve(__dirname, '..', '..');
const RENDERER_DIR = path.join(APP_ROOT, 'dist', 'renderer');

installCrashGuard((line) => console.error(line));

// Must happen before the app is ready: the scheme's privileges are fixed at start.
protocol.registerSchemesAsPrivileged([
  { scheme: RENDERER_SCHEME, privileges: RENDERER_PRIVILEGES },
]);

const projectArg = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => !a.startsWith('-'));
// Packaged builds carry the kernel workspace as a resource (see electron-builder.yml).
const sampleProject = app.isPackaged
  ? path.join(process.resourcesPath, 'sample-project')
  : path.join(APP_ROOT, 'kernel');
const projectRoot = path.resolve(projectArg ?? process.env.CAPSULE_PROJECT ?? sampleProject);
const host = createHost({
  projectRoot,
  appRoot: APP_ROOT,
  transport: 'electron',
  // Run and Debug take an emulator worker started ahead (its modules already loaded).
  debug: { spareWorker: true },
  // Child processes cannot read inside app.asar; the scripts are unpacked beside it.
  builderScript: path
    .join(APP_ROOT, 'scripts', 'kernel.mjs')
    .replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`),
});

/**
 * The USB devices and serial ports the user picked in the app. The board picker (issue 19)
 * calls `deviceGrants.pick(...)` when the user chooses a board; nothing else is reachable.
 */
export const deviceGrants = new DeviceGrants();

let mainWindow: BrowserWindow | null = null;

/** Accepts IPC only from our window's top frame showing our own index.html. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!mainWindow || event.sender !== mainWindow.webContents || !frame || frame.parent)
    return false;
  return isTrustedSenderUrl(frame.url, RENDERER_DIR);
}

async function serveRenderer(request: Request): Promise<Response> {
  const file = rendererFile(request.url, RENDERER_DIR);
  if (!file) return new Response('not found', { status: 404 });
  try {
    return new Response(await readFile(file), { headers: rendererHeaders(file) });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Capsule Studio',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webviewTag: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => (mainWindow = null));
  void mainWindow.loadURL(RENDERER_INDEX_URL);
}

app.enableSandbox();

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Documentation links open in the user's browser, never inside the app.
    const allowed = externalUrl(url);
    if (allowed) void shell.openExternal(allowed);
    return { action: 'deny' };
  });
});

void app.whenReady().then(() => {
  const ses = session.defaultSession;
  protocol.handle(RENDERER_SCHEME, serveRenderer);
  ses.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(permissionAllowed(permission, details.requestingUrl ?? '', details.isMainFrame)),
  );
  ses.setPermissionCheckHandler((_wc, permission, requestingOrigin, details) =>
    permissionAllowed(permission, requestingOrigin, details.isMainFrame),
  );
  ses.setDevicePermissionHandler(
    (details) =>
      permissionAllowed(details.deviceType, details.origin, true) &&
      deviceGrants.allows(details.deviceType, details.device),
  );
  // The choosers never show Chromium's list: the user picks a board in the app's own picker.
  ses.on('select-serial-port', (event, portList, _wc, callback) => {
    event.preventDefault();
    callback(deviceGrants.choose('serial', portList) ?? '');
  });
  ses.on('select-usb-device', (event, details, callback) => {
    event.preventDefault();
    const id = deviceGrants.choose('usb', details.deviceList);
    if (id) callback(id);
    else callback();
  });
  ses.on('select-hid-device', (event, _details, callback) => {
    event.preventDefault();
    callback();
  });
  // Anything not served by our scheme (there should be nothing) gets the same policy.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [ELECTRON_CSP] },
    });
  });
  bindContractIpc(host, ipcMain, {
    trusted: trustedSender,
    send: (message) => mainWindow?.webContents.send(EVENTS_CHANNEL, message),
  });
  createWindow();
});

app.on('window-all-closed', () => {
  host.dispose();
  app.quit();
});
