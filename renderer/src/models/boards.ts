/**
 * The boards model: probes and serial ports attached to the machine (kept current by the host's
 * `boards.changed` events), the port chosen in the Boards panel, and the Tock-bootloader
 * session on it (its layout, attributes and apps), with the progress and outcome of what runs.
 *
 * Ports added by hand (a pseudo-terminal, an emulated board's) are remembered in the browser's
 * storage and added again when the window opens. Operations run one at a time; each ends with
 * the session as the board now holds it, or with the host's error (message and fix) shown in
 * the panel.
 *
 * @example
 *   const boards = new BoardsModel(host, localStorage);
 *   await boards.refresh();
 *   await boards.openBootloader('/dev/ttyACM0', 'nrf52840dk');
 */
import type {
  AttachedBoards,
  BootloaderSession,
  HostError,
  HostEvents,
  Result,
} from '../../../main/common/contract';
import type { HostConnection } from '../client';
import type { KeyValueStore } from './layout';
import { Model } from './model';

const MANUAL_KEY = 'capsule.boards.manualPorts';
const MAX_LOG = 200;

export interface BoardsState {
  attached: AttachedBoards | null;
  /** The port the panel works on. */
  port: string | null;
  session: BootloaderSession | null;
  /** What is running now ("Installing hello.tab"), or null. */
  busy: string | null;
  progress: HostEvents['bootloader.progress'] | null;
  error: HostError | null;
  /** One line per finished operation, newest last. */
  log: string[];
  appFiles: string[];
  /** Kernel images the bootloader can take (builds of the board with its bootloader first). */
  kernelFiles: string[];
}

export class BoardsModel extends Model<BoardsState> {
  constructor(
    private readonly host: HostConnection,
    private readonly store: KeyValueStore,
  ) {
    super({
      attached: null,
      port: null,
      session: null,
      busy: null,
      progress: null,
      error: null,
      log: [],
      appFiles: [],
      kernelFiles: [],
    });
    host.onEvent('boards.changed', (a) => this.adopt(a));
    host.onEvent('bootloader.progress', (p) => {
      if (p.path === this.state.port) this.set({ progress: p });
    });
  }

  private adopt(attached: AttachedBoards): void {
    const port =
      this.state.port && attached.ports.some((p) => p.path === this.state.port)
        ? this.state.port
        : (attached.ports.find((p) => !p.problem)?.path ?? null);
    this.set({ attached, port });
  }

  private manualPorts(): string[] {
    try {
      const v = JSON.parse(this.store.getItem(MANUAL_KEY) ?? '[]') as unknown;
      return Array.isArray(v) ? v.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Lists what is attached (adding the remembered hand-added ports that still exist). */
  async refresh(): Promise<void> {
    for (const p of this.manualPorts()) await this.host.api.boards.addPort({ path: p });
    const r = await this.host.api.boards.list({});
    if (r.ok) this.adopt(r.value);
    else this.set({ error: r.error });
  }

  async addPort(path: string): Promise<boolean> {
    const r = await this.host.api.boards.addPort({ path: path.trim() });
    if (!r.ok) {
      this.set({ error: r.error });
      return false;
    }
    const manual = [...new Set([...this.manualPorts(), path.trim()])];
    this.store.setItem(MANUAL_KEY, JSON.stringify(manual));
    this.adopt(r.value);
    this.set({ port: path.trim(), error: null });
    return true;
  }

  async removePort(path: string): Promise<void> {
    this.store.setItem(MANUAL_KEY, JSON.stringify(this.manualPorts().filter((p) => p !== path)));
    const r = await this.host.api.boards.removePort({ path });
    if (r.ok) this.adopt(r.value);
  }

  selectPort(path: string): void {
    if (path === this.state.port) return;
    this.set({ port: path, session: null, error: null, progress: null });
  }

  async loadAppFiles(board: string): Promise<void> {
    const r = await this.host.api.bootloader.appFiles({ board });
    this.set({ appFiles: r.ok ? r.value : [] });
    const k = await this.host.api.bootloader.kernelFiles({ board });
    this.set({ kernelFiles: k.ok ? k.value : [] });
  }

  /** Runs one operation on the chosen port; its result replaces the session. */
  private async run(
    what: string,
    op: (path: string) => Promise<Result<BootloaderSession | null>>,
    keepSession = true,
  ): Promise<boolean> {
    const port = this.state.port;
    if (!port || this.state.busy) return false;
    this.set({ busy: what, error: null, progress: null });
    const r = await op(port);
    const log = [...this.state.log, `${what}: ${r.ok ? 'done' : r.error.message}`].slice(-MAX_LOG);
    if (r.ok) this.set({ busy: null, progress: null, log, session: keepSession ? r.value : null });
    else
      this.set({
        busy: null,
        progress: null,
        log,
        error: r.error,
        // A lost link or a board that stopped answering ends the session on the host.
        session: r.error.code === 'unavailable' ? null : this.state.session,
      });
    return r.ok;
  }

  openBootloader(board: string): Promise<boolean> {
    void this.loadAppFiles(board);
    return this.run(`Open the bootloader (${board})`, (path) =>
      this.host.api.bootloader.open({ path, board }),
    );
  }

  refreshApps(): Promise<boolean> {
    return this.run('List apps', (path) => this.host.api.bootloader.apps({ path }));
  }

  install(file: string): Promise<boolean> {
    const name = file.slice(file.lastIndexOf('/') + 1);
    return this.run(`Install ${name}`, (path) => this.host.api.bootloader.install({ path, file }));
  }

  flashKernel(file: string): Promise<boolean> {
    return this.run(`Flash the kernel ${file}`, (path) =>
      this.host.api.bootloader.flashKernel({ path, file }),
    );
  }

  uninstall(name: string): Promise<boolean> {
    return this.run(`Remove ${name}`, (path) => this.host.api.bootloader.uninstall({ path, name }));
  }

  eraseApps(force: boolean): Promise<boolean> {
    return this.run('Erase all apps', (path) =>
      this.host.api.bootloader.eraseApps({ path, force }),
    );
  }

  setAttribute(index: number, key: string, value: string): Promise<boolean> {
    return this.run(`Set attribute ${index} (${key})`, (path) =>
      this.host.api.bootloader.setAttribute({ path, index, key, value }),
    );
  }

  exit(): Promise<boolean> {
    return this.run(
      'Exit the bootloader (start the kernel)',
      (path) => this.host.api.bootloader.exit({ path }),
      false,
    );
  }

  close(): Promise<boolean> {
    return this.run('Close the port', (path) => this.host.api.bootloader.close({ path }), false);
  }
}
