/**
 * Electron main process: opens the Capsule Studio window on a project and carries the host
 * contract over IPC.
 *
 * Electron's security checklist is applied here: the window has contextIsolation, sandbox and
 * no nodeIntegration; the page is loaded from files with a strict CSP set on every response;
 * navigation, new windows, webviews and permission requests are refused; each IPC call is
 * accepted only from our own window's main frame with a file:// URL, and its arguments are
 * checked against the contract by the host's dispatcher. The host behind it is the same
 * `createHost` that browser mode serves over a WebSocket.
 *
 * @example
 *   npx electron dist/main/electron-main.js [project-dir]
 */
import { app, BrowserWindow, ipcMain, session, shell, type IpcMainInvokeEvent } from 'electron';
import path from 'node:path';
import { methodIds, type EventMessage } from '../common/contract.js';
import { createHost } from '../host/host.js';

// The bundle lives in dist/main/, two levels below the app root.
const APP_ROOT = path.resolve(__dirname, '..', '..');
const RENDERER_INDEX = path.join(APP_ROOT, 'dist', 'renderer', 'index.html');

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

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
  // Child processes cannot read inside app.asar; the scripts are unpacked beside it.
  builderScript: path
    .join(APP_ROOT, 'scripts', 'kernel.mjs')
    .replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`),
});
let mainWindow: BrowserWindow | null = null;

/** Accepts IPC only from our window's top frame showing our own file. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!mainWindow || event.sender !== mainWindow.webContents || !frame || frame.parent)
    return false;
  try {
    const url = new URL(frame.url);
    return (
      url.protocol === 'file:' && path.resolve(decodeURIComponent(url.pathname)) === RENDERER_INDEX
    );
  } catch {
    return false;
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
  void mainWindow.loadFile(RENDERER_INDEX);
}

app.enableSandbox();

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) =>
    callback(false),
  );
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  for (const id of methodIds()) {
    ipcMain.handle(`capsule:${id}`, async (event, args: unknown) => {
      if (!trustedSender(event))
        return {
          ok: false,
          error: { code: 'bad-request', message: 'IPC from an untrusted frame refused' },
        };
      return host.dispatch(id, args);
    });
  }
  host.subscribe((name, payload) => {
    mainWindow?.webContents.send('capsule:event', {
      kind: 'event',
      name,
      payload,
    } satisfies EventMessage);
  });
  createWindow();
});

app.on('window-all-closed', () => {
  host.dispose();
  app.quit();
});
