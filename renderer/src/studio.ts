/**
 * The studio: the window's models and commands, created once per page and handed to the
 * components. Components render models and run commands; the behaviour lives here and in
 * the models, outside React.
 *
 * The commands registered here are the window's whole vocabulary: the toolbar, the status bar,
 * the explorer's menu, the command palette and the keyboard all run them by id, so a shortcut
 * is bound once and the palette lists exactly what the window can do. A command that needs the
 * host is disabled while the host is unreachable.
 *
 * @example
 *   const studio = new Studio(connectHost(), localStorage);
 *   await studio.start();
 *   studio.commands.run('build.start');
 */
import type { HostError } from '../../main/common/contract';
import type { HostConnection } from './client';
import { BreakpointsModel } from './models/breakpoints';
import { BoardsModel } from './models/boards';
import { OpenocdModel } from './models/openocd';
import { SerialConsoleModel } from './models/serial-console';
import { BuildModel } from './models/build';
import { DebugSessionModel } from './models/debug-session';
import { CommandRegistry } from './models/commands';
import { LayoutModel, type KeyValueStore } from './models/layout';
import { PeripheralsModel } from './models/peripherals';
import { TockCellsModel } from './models/tock-cells';
import { ProjectModel } from './models/project';
import { QuickInputModel, filterItems } from './models/quickinput';
import { Model } from './models/model';
import { Workspace } from './models/workspace';

/** Small pieces of window state that are not worth a model of their own. */
export interface UiState {
  /** The New capsule dialog is open. */
  newCapsule: boolean;
  /** The explorer's selected entry (target of Rename, Delete, New File). */
  selected: string | null;
}

export class UiModel extends Model<UiState> {
  constructor() {
    super({ newCapsule: false, selected: null });
  }
  update(patch: Partial<UiState>): void {
    this.set(patch);
  }
}

const parentOf = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const join = (dir: string, name: string): string => (dir ? `${dir}/${name}` : name);

/** Problems with a file or folder name typed by the user, or null. */
export function nameProblem(name: string): string | null {
  if (!name.trim()) return 'Type a name.';
  if (name.startsWith('/')) return 'Give a path inside the project, not an absolute one.';
  if (name.split('/').some((part) => part === '..' || part === '.'))
    return 'Names may not contain "." or ".." parts.';
  if (/[\\:*?"<>|\0]/.test(name)) return 'Names may not contain \\ : * ? " < > |';
  return null;
}

export class Studio {
  readonly workspace: Workspace;
  readonly build: BuildModel;
  readonly boards: BoardsModel;
  readonly openocd: OpenocdModel;
  readonly serialConsole: SerialConsoleModel;
  readonly project: ProjectModel;
  readonly layout: LayoutModel;
  readonly commands = new CommandRegistry();
  readonly quick = new QuickInputModel();
  readonly ui = new UiModel();
  readonly peripherals: PeripheralsModel;
  readonly tockCells: TockCellsModel;
  readonly debug: DebugSessionModel;
  readonly breakpoints: BreakpointsModel;

  constructor(
    readonly host: HostConnection,
    private readonly store: KeyValueStore,
    windowHeight: () => number = () => window.innerHeight,
  ) {
    this.workspace = new Workspace(host.api);
    this.build = new BuildModel(host);
    this.boards = new BoardsModel(host, store);
    this.openocd = new OpenocdModel(host);
    this.serialConsole = new SerialConsoleModel(host);
    this.project = new ProjectModel(host, store);
    this.layout = new LayoutModel(store, windowHeight);
    this.peripherals = new PeripheralsModel(host, store);
    this.tockCells = new TockCellsModel(host);
    this.debug = new DebugSessionModel(host, store);
    this.breakpoints = new BreakpointsModel(host);
    host.onEvent('session.state', (s) => {
      void this.peripherals.sessionChanged({ board: s.board, phase: s.phase });
      this.tockCells.sessionChanged(s.phase);
      if (s.phase === 'halted' && s.stop) {
        const loc = s.stop.location;
        if (loc?.inProject) void this.workspace.open(loc.path, { line: loc.line, column: 1 });
        else this.layout.showStopPanel('Disassembly');
        if (s.stop.reason === 'fault' || s.stop.reason === 'lockup')
          this.layout.showPanel('Faults');
      }
      if (s.phase === 'ended' && s.ended && !/^(stopped|a new session started)$/.test(s.ended))
        this.workspace.notify('error', `The session ended: ${s.ended}`);
    });
    // Once a stop's stack is known, the files a step from it may show are read ahead (off the
    // step's path: the stop's own line is already shown), so a step into one shows it at once.
    this.debug.onStack(() => void this.readAheadSources());
    host.onEvent('build.diagnostics', (e) => this.workspace.setDiagnostics(e.diagnostics));
    host.onEvent('build.finished', (e) => {
      if (e.status === 'failed') this.layout.showPanel('Problems');
      if (e.status === 'toolchain-missing' || e.status === 'crashed')
        this.workspace.notify('error', e.message, e.fix ? { fix: e.fix } : {});
    });
    host.onEvent('project.fileChanged', (e) =>
      this.workspace.onDiskChange(e.path, e.kind, e.mtimeMs),
    );
    this.project.onRestart(() => {
      this.build.hostRestarted();
      this.workspace.notify(
        'info',
        'Capsule Studio restarted; this window reconnected to it. Unsaved edits are kept.',
      );
    });
    this.workspace.subscribe(() => this.saveTabs());
    this.registerCommands();
    this.registerQuickSources();
  }

  private async readAheadSources(): Promise<void> {
    const stop = this.debug.snapshot().session?.stop;
    // Only while the target stays at this stop: a step pressed meanwhile goes first, and its
    // own stop reads ahead again (nearest files first).
    const here = (): boolean =>
      this.debug.halted &&
      !this.debug.controlPending &&
      this.debug.snapshot().session?.stop === stop;
    const r = await this.host.api.session.sources({});
    if (r.ok && here()) await this.workspace.prefetch(r.value, here);
  }

  private tabsKey(): string | null {
    const root = this.project.snapshot().info?.root;
    return root ? `capsule.tabs.${root}` : null;
  }

  private saveTabs(): void {
    const key = this.tabsKey();
    if (key && this.started) this.store.setItem(key, JSON.stringify(this.workspace.openTabs()));
  }

  private started = false;

  /** Loads the project, reopens the last window's tabs and unsaved edits. */
  async start(): Promise<void> {
    await this.project.load();
    void this.breakpoints.load();
    void this.debug.load();
    const info = this.project.snapshot().info;
    if (info?.problem) this.workspace.notify('warning', info.problem);
    const key = this.tabsKey();
    if (key) {
      try {
        const saved = JSON.parse(this.store.getItem(key) ?? 'null') as {
          paths?: unknown;
          active?: unknown;
        } | null;
        if (saved && Array.isArray(saved.paths))
          await this.workspace.reopen(
            saved.paths.filter((p): p is string => typeof p === 'string'),
            typeof saved.active === 'string' ? saved.active : null,
          );
      } catch {
        // A damaged entry only loses the tab list.
      }
    }
    await this.workspace.restore();
    this.started = true;
    this.saveTabs();
  }

  get hostReady(): boolean {
    return this.project.hostReady;
  }

  report(error: HostError | null): void {
    if (error) this.workspace.reportError(error);
  }

  async startBuild(): Promise<void> {
    const { info, board } = this.project.snapshot();
    if (this.build.snapshot().running) return;
    if (!info?.isCargoWorkspace) {
      this.workspace.notify('error', info?.problem ?? 'No kernel workspace is open.');
      return;
    }
    if (!board) {
      this.workspace.notify(
        'error',
        'This project has no board crates under boards/; there is nothing to build.',
      );
      return;
    }
    await this.workspace.saveAll();
    this.layout.showPanel('Build');
    this.report(await this.build.start(board));
  }

  // -------------------------------------------------------------------------------------------
  // Explorer operations

  /** The folder new files go into: the selected folder, or the selected file's folder. */
  private targetFolder(): string {
    const sel = this.ui.snapshot().selected;
    if (!sel) return '';
    const isDir = this.isDir(sel);
    return isDir ? sel : parentOf(sel);
  }

  isDir(p: string): boolean {
    const find = (nodes: ReturnType<ProjectModel['snapshot']>['tree']): boolean | null => {
      for (const n of nodes) {
        if (n.path === p) return n.kind === 'dir';
        if (n.children && p.startsWith(`${n.path}/`)) return find(n.children);
      }
      return null;
    };
    return find(this.project.snapshot().tree) ?? false;
  }

  async newEntry(kind: 'file' | 'dir'): Promise<void> {
    const folder = this.targetFolder();
    const name = await this.quick.ask({
      title: `New ${kind === 'file' ? 'file' : 'folder'} in ${folder || 'the project folder'}`,
      placeholder: kind === 'file' ? 'name.rs (a/b.rs makes folders too)' : 'folder name',
      validate: nameProblem,
    });
    if (!name) return;
    const target = join(folder, name.trim());
    const r = await this.host.api.files.create({ path: target, kind });
    if (!r.ok) return this.report(r.error);
    await this.project.refreshTree();
    this.ui.update({ selected: r.value.path });
    if (kind === 'file') await this.workspace.open(r.value.path);
  }

  async renameSelected(): Promise<void> {
    const sel = this.ui.snapshot().selected;
    if (!sel) return;
    const name = await this.quick.ask({
      title: `Rename ${sel}`,
      value: sel.slice(sel.lastIndexOf('/') + 1),
      validate: (v) => nameProblem(v) ?? (v.includes('/') ? 'Use drag and drop to move.' : null),
    });
    if (!name || name === sel.slice(sel.lastIndexOf('/') + 1)) return;
    await this.move(sel, join(parentOf(sel), name.trim()));
  }

  async move(from: string, to: string): Promise<void> {
    const r = await this.host.api.files.rename({ from, to });
    if (!r.ok) return this.report(r.error);
    await this.workspace.onRenamed(r.value.from, r.value.to);
    await this.project.refreshTree();
    this.ui.update({ selected: r.value.to });
  }

  async deleteSelected(): Promise<void> {
    const sel = this.ui.snapshot().selected;
    if (!sel) return;
    let r = await this.host.api.files.delete({ path: sel });
    if (!r.ok && r.error.code === 'unavailable') {
      if (
        !window.confirm(`${r.error.message}.\n\nDelete ${sel} permanently? It cannot be restored.`)
      )
        return;
      r = await this.host.api.files.delete({ path: sel, permanently: true });
    }
    if (!r.ok) return this.report(r.error);
    this.workspace.onDeleted(r.value.path);
    await this.project.refreshTree();
    this.ui.update({ selected: null });
    this.workspace.notify(
      'info',
      r.value.trashed
        ? `${r.value.path} was moved to the system trash.`
        : `${r.value.path} was deleted.`,
    );
  }

  // -------------------------------------------------------------------------------------------
  // Commands

  private registerCommands(): void {
    const c = this.commands;
    const ready = (): boolean => this.hostReady;
    c.register({
      id: 'palette.show',
      title: 'Show All Commands',
      category: 'View',
      keys: ['F1', 'Ctrl+Shift+P'],
      run: () => this.quick.show('>'),
    });
    c.register({
      id: 'quickOpen.show',
      title: 'Go to File...',
      category: 'File',
      keys: ['Ctrl+P'],
      run: () => this.quick.show(''),
    });
    c.register({
      id: 'editor.goToLine',
      title: 'Go to Line...',
      category: 'Go',
      keys: ['Ctrl+G'],
      run: () => this.quick.show(':'),
      enabled: () => !!this.workspace.activeDoc,
    });
    c.register({
      id: 'file.save',
      title: 'Save',
      category: 'File',
      keys: ['Ctrl+S'],
      run: () => {
        const active = this.workspace.snapshot().active;
        if (active) void this.workspace.save(active);
      },
      enabled: () => ready() && this.workspace.snapshot().activeDirty,
    });
    c.register({
      id: 'file.saveAll',
      title: 'Save All',
      category: 'File',
      keys: ['Ctrl+Alt+S'],
      run: () => this.workspace.saveAll(),
      enabled: () => ready() && this.workspace.snapshot().anyDirty,
    });
    c.register({
      id: 'file.newFile',
      title: 'New File...',
      category: 'File',
      keys: ['Alt+N'],
      run: () => this.newEntry('file'),
      enabled: ready,
    });
    c.register({
      id: 'file.newFolder',
      title: 'New Folder...',
      category: 'File',
      run: () => this.newEntry('dir'),
      enabled: ready,
    });
    c.register({
      id: 'explorer.rename',
      title: 'Rename Selected File or Folder...',
      category: 'File',
      keys: ['F2'],
      run: () => this.renameSelected(),
      enabled: () => ready() && !!this.ui.snapshot().selected,
    });
    c.register({
      id: 'explorer.delete',
      title: 'Delete Selected File or Folder',
      category: 'File',
      run: () => this.deleteSelected(),
      enabled: () => ready() && !!this.ui.snapshot().selected,
    });
    c.register({
      id: 'file.close',
      title: 'Close Editor',
      category: 'File',
      keys: ['Alt+W'],
      run: () => {
        const active = this.workspace.snapshot().active;
        if (active) this.workspace.close(active);
      },
      enabled: () => !!this.workspace.snapshot().active,
    });
    c.register({
      id: 'markdown.togglePreview',
      title: 'Toggle Markdown Preview',
      category: 'View',
      keys: ['Ctrl+Shift+V'],
      run: () => this.workspace.togglePreview(),
      enabled: () => /\.(md|markdown)$/i.test(this.workspace.snapshot().active ?? ''),
    });
    c.register({
      id: 'build.start',
      title: 'Build',
      category: 'Build',
      keys: ['Ctrl+B'],
      run: () => this.startBuild(),
      enabled: () => ready() && !this.build.snapshot().running,
    });
    c.register({
      id: 'build.cancel',
      title: 'Cancel Build',
      category: 'Build',
      run: async () => this.report(await this.build.cancel()),
      enabled: () => ready() && this.build.snapshot().running,
    });
    c.register({
      id: 'board.choose',
      title: 'Choose Board...',
      category: 'Build',
      run: () => this.quick.show('board '),
      enabled: () => (this.project.snapshot().info?.boards.length ?? 0) > 0,
    });
    c.register({
      id: 'capsule.new',
      title: 'New Capsule...',
      category: 'Kernel',
      run: () => this.ui.update({ newCapsule: true }),
      enabled: ready,
    });
    this.registerDebugCommands();
    c.register({
      id: 'view.explorer',
      title: 'Show Explorer',
      category: 'View',
      keys: ['Ctrl+Shift+E'],
      run: () => this.layout.showSide('explorer'),
    });
    c.register({
      id: 'view.debug',
      title: 'Show Run and Debug',
      category: 'View',
      keys: ['Ctrl+Shift+D'],
      run: () => this.layout.showSide('debug'),
    });
    c.register({
      id: 'view.boards',
      title: 'Show Boards (probes, serial ports, Tock bootloader)',
      category: 'View',
      run: () => this.layout.showPanel('Boards'),
    });
    c.register({
      id: 'view.togglePanel',
      title: 'Toggle Bottom Panel',
      category: 'View',
      keys: ['Ctrl+J'],
      run: () => this.layout.toggleBottom(),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Run and Debug

  /** Waits for the build the studio just started; true when it succeeded. */
  private waitForBuild(): Promise<boolean> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const b = this.build.snapshot();
        if (b.running || !b.finished) return false;
        off();
        resolve(b.finished.status === 'succeeded');
        return true;
      };
      const off = this.build.subscribe(() => void check());
    });
  }

  /** Builds the selected board, then starts the session when the build succeeded. */
  private async buildThen(mode: 'run' | 'debug', apps?: string[]): Promise<void> {
    const board = this.project.snapshot().board;
    const done = this.waitForBuild();
    await this.startBuild();
    if (!this.build.snapshot().running && !this.build.snapshot().finished) return;
    if (!(await done)) {
      this.workspace.notify(
        'error',
        `The build of ${board} did not succeed, so nothing was started.`,
        { fix: 'See the Build and Problems panels.' },
      );
      return;
    }
    await this.launch(mode, apps);
  }

  private async launch(mode: 'run' | 'debug', apps?: string[]): Promise<void> {
    const board = this.project.snapshot().board;
    this.layout.showPanel('Console');
    if (mode === 'debug') this.layout.showSide('debug');
    const e = await this.debug.start(mode, board, apps);
    if (e) this.report(e);
  }

  /**
   * Run (Ctrl+F5) and Debug (F5): the board's last build, built first when there is none, when
   * it is another board's, or when sources changed since. F5 while halted continues. `apps`
   * picks the apps the kernel loads (New capsule's Run: the new app, past the kernel's 8).
   */
  async startSession(mode: 'run' | 'debug', apps?: string[]): Promise<void> {
    if (this.debug.active) {
      if (mode === 'debug' && this.debug.halted) this.report(await this.debug.resume());
      return;
    }
    const board = this.project.snapshot().board;
    if (!board) {
      this.workspace.notify(
        'error',
        'This project has no board crates under boards/; there is nothing to run.',
      );
      return;
    }
    await this.workspace.saveAll();
    const check = await this.host.api.session.check({ board });
    if (!check.ok) return this.report(check.error);
    const c = check.value;
    const verb = mode === 'run' ? 'Run' : 'Debug';
    switch (c.state) {
      case 'ready':
        return this.launch(mode, apps);
      case 'missing':
        this.workspace.notify('info', `${c.message} Build it and ${verb.toLowerCase()}?`, {
          actions: [{ label: `Build and ${verb}`, run: () => void this.buildThen(mode, apps) }],
        });
        return;
      case 'other-board':
        this.workspace.notify('info', `${c.message} Building ${board} now.`);
        return this.buildThen(mode, apps);
      case 'stale':
        this.workspace.notify('info', `${c.message} Building ${board} first.`);
        return this.buildThen(mode, apps);
    }
  }

  /** Attach to QEMU: the selected board when QEMU runs it (the board registry says which do),
   * else the first board that it runs. */
  async attachQemu(): Promise<void> {
    const attachable = await this.host.api.session.attachable({});
    if (!attachable.ok) return this.report(attachable.error);
    const current = this.project.snapshot().board;
    const board = attachable.value.includes(current) ? current : attachable.value[0];
    if (!board) {
      this.workspace.notify('error', 'No board in the board registry runs under QEMU.');
      return;
    }
    if (current !== board) this.project.setBoard(board);
    const check = await this.host.api.session.check({ board });
    if (check.ok && check.value.state !== 'ready') {
      this.workspace.notify('info', `${check.value.message} Building ${board} first.`);
      const done = this.waitForBuild();
      await this.startBuild();
      if (!(await done)) return;
    }
    this.layout.showPanel('Console');
    this.layout.showSide('debug');
    this.report(await this.debug.attachQemu(board));
  }

  /** The breakpoint line of the active editor (the cursor's line). */
  async toggleBreakpointAtCursor(): Promise<void> {
    const path = this.workspace.snapshot().active;
    const line = this.workspace.snapshot().cursor?.line;
    if (!path || !line) return;
    this.report(await this.breakpoints.toggle(path, line));
  }

  async runToCursor(): Promise<void> {
    const path = this.workspace.snapshot().active;
    const line = this.workspace.snapshot().cursor?.line;
    if (!path || !line) return;
    this.report(await this.debug.runToCursor(path, line));
  }

  /** Moves the editor and Variables to a frame of the call stack. */
  async selectFrame(index: number): Promise<void> {
    const f = await this.debug.selectFrame(index);
    if (!f) return;
    if (f.location?.inProject)
      await this.workspace.open(f.location.path, { line: f.location.line, column: 1 });
    else this.layout.showPanel('Disassembly');
  }

  private registerDebugCommands(): void {
    const c = this.commands;
    const ready = (): boolean => this.hostReady;
    const active = (): boolean => ready() && this.debug.active;
    const halted = (): boolean => ready() && this.debug.halted;
    const running = (): boolean => ready() && this.debug.snapshot().session?.phase === 'running';
    c.register({
      id: 'session.debug',
      title: 'Start Debugging / Continue',
      category: 'Debug',
      keys: ['F5'],
      run: () => this.startSession('debug'),
      enabled: () => ready() && (!this.debug.active || this.debug.halted),
    });
    c.register({
      id: 'session.run',
      title: 'Run Without Debugging',
      category: 'Debug',
      keys: ['Ctrl+F5'],
      run: () => this.startSession('run'),
      enabled: () => ready() && !this.debug.active,
    });
    c.register({
      id: 'session.attachQemu',
      title: 'Attach to QEMU',
      category: 'Debug',
      run: () => this.attachQemu(),
      enabled: () => ready() && !this.debug.active,
    });
    c.register({
      id: 'session.pause',
      title: 'Pause',
      category: 'Debug',
      keys: ['F6'],
      run: async () => this.report(await this.debug.pause()),
      enabled: running,
    });
    c.register({
      id: 'session.continue',
      title: 'Continue',
      category: 'Debug',
      run: async () => this.report(await this.debug.resume()),
      enabled: halted,
    });
    c.register({
      id: 'session.stop',
      title: 'Stop',
      category: 'Debug',
      keys: ['Shift+F5'],
      run: async () => this.report(await this.debug.stop()),
      enabled: active,
    });
    c.register({
      id: 'session.restart',
      title: 'Restart',
      category: 'Debug',
      keys: ['Ctrl+Shift+F5'],
      run: async () => {
        const e = await this.debug.restart();
        if (e === null) this.peripherals.restarted();
        this.report(e);
      },
      enabled: active,
    });
    const step = (
      id: string,
      title: string,
      kind: 'over' | 'into' | 'out' | 'instruction',
      keys?: string[],
    ) =>
      c.register({
        id,
        title,
        category: 'Debug',
        ...(keys ? { keys } : {}),
        run: async () => this.report(await this.debug.step(kind)),
        enabled: halted,
      });
    step('session.stepOver', 'Step Over', 'over', ['F10']);
    step('session.stepInto', 'Step Into', 'into', ['F11']);
    step('session.stepOut', 'Step Out', 'out', ['Shift+F11']);
    step('session.stepInstruction', 'Step Instruction', 'instruction', ['Alt+F10']);
    c.register({
      id: 'session.runToCursor',
      title: 'Run to Cursor',
      category: 'Debug',
      keys: ['Ctrl+F10'],
      run: () => this.runToCursor(),
      enabled: () => halted() && !!this.workspace.snapshot().active,
    });
    c.register({
      id: 'debug.toggleBreakpoint',
      title: 'Toggle Breakpoint',
      category: 'Debug',
      keys: ['F9'],
      run: () => this.toggleBreakpointAtCursor(),
      enabled: () => ready() && !!this.workspace.snapshot().active,
    });
  }

  private registerQuickSources(): void {
    this.quick.source('>', {
      placeholder: 'Type the name of a command',
      items: (text) =>
        filterItems(
          text.trim(),
          this.commands
            .list()
            .filter((c) => !c.id.startsWith('palette.'))
            .map((c) => ({
              id: c.id,
              label: `${c.category}: ${c.title}`,
              ...(c.keys ? { keys: c.keys.join('  ') } : {}),
              disabled: !this.commands.enabled(c.id),
            })),
        ),
      accept: (item) => {
        if (item) this.commands.run(item.id);
      },
    });
    this.quick.source(':', {
      placeholder: 'Type a line number and press Enter',
      items: (text) => {
        const doc = this.workspace.activeDoc;
        if (!doc)
          return [{ id: 'none', label: 'Open a file to go to a line in it.', disabled: true }];
        const lines = doc.model.getLineCount();
        const n = Number(text.trim());
        const valid = text.trim() !== '' && Number.isInteger(n) && n >= 1 && n <= lines;
        return [
          {
            id: valid ? String(n) : 'none',
            label: valid
              ? `Go to line ${n}`
              : `Type a line number between 1 and ${lines} (the current line is ${this.workspace.snapshot().cursor?.line ?? 1})`,
            disabled: !valid,
          },
        ];
      },
      accept: (item) => {
        if (item && item.id !== 'none') this.workspace.goToLine(Number(item.id));
      },
    });
    this.quick.source('board ', {
      placeholder: 'Choose the board to build for',
      items: (text) =>
        filterItems(
          text.trim(),
          (this.project.snapshot().info?.boards ?? []).map((b) => ({
            id: b,
            label: b,
            ...(b === this.project.snapshot().board ? { detail: 'selected' } : {}),
          })),
        ),
      accept: (item) => {
        if (item) this.project.setBoard(item.id);
      },
    });
    this.quick.source('', {
      placeholder: 'Type a file name (">" for commands, ":" for a line)',
      items: (text) =>
        filterItems(
          text.trim(),
          this.project.files().map((p) => ({
            id: p,
            label: p.slice(p.lastIndexOf('/') + 1),
            detail: p,
          })),
          100,
        ),
      accept: (item) => {
        if (item) void this.workspace.open(item.id);
      },
    });
  }
}
