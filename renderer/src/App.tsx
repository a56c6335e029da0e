/**
 * The Capsule Studio window: toolbar, project explorer, editor tabs, and the bottom panels
 * (Build, Problems and the views that later services will feed).
 *
 * State that React renders (tabs, build output, diagnostics, panel sizes) lives here; the
 * editor documents live in `Workspace`. The Build command (toolbar button, Ctrl/Cmd+B) saves
 * dirty files, asks the host to build the selected board, and follows the `build.*` events.
 */
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { Diagnostic, FileNode, HostEvents, ProjectInfo } from '../../main/common/contract';
import type { HostConnection } from './client';
import { monaco } from './monaco';
import { Workspace } from './workspace';

const PANELS = [
  'Build',
  'Problems',
  'Console',
  'Processes',
  'Cells',
  'DMA',
  'Peripherals',
  'Registers',
  'Memory',
] as const;
type PanelName = (typeof PANELS)[number];

/** What each not-yet-connected view will show, so its empty state says exactly what is missing. */
const SESSION_VIEWS: Record<Exclude<PanelName, 'Build' | 'Problems'>, string> = {
  Console: "the kernel's console output (UART) and a prompt to its process console",
  Processes: 'each process of the running kernel: state, memory regions, grants, upcalls',
  Cells: "the kernel's TakeCell / MapCell contents and who holds them",
  DMA: 'buffers handed to DMA-capable peripherals and their ownership',
  Peripherals: 'memory-mapped peripheral registers decoded from the chip description (SVD)',
  Registers: 'the Cortex-M core registers of the stopped target',
  Memory: 'a hex view of target memory',
};

interface BuildState {
  running: boolean;
  buildId: number | null;
  lines: { stream: string; line: string }[];
  crate: string;
  done: number;
  finished: HostEvents['build.finished'] | null;
}

const MAX_BUILD_LINES = 5000;

/**
 * Events of a build can arrive before the reply that names it (the host streams as soon as the
 * process starts), so the first event of a newer build id starts a fresh build state; events of
 * older builds are dropped (null).
 */
function adoptBuild(b: BuildState, buildId: number): BuildState | null {
  if (b.buildId === buildId) return b;
  if (b.buildId !== null && buildId < b.buildId) return null;
  return { running: true, buildId, lines: [], crate: '', done: 0, finished: null };
}

function usePersistentNumber(key: string, initial: number): [number, (n: number) => void] {
  const [value, setValue] = useState(() => {
    const saved = Number(localStorage.getItem(key));
    return Number.isFinite(saved) && saved > 0 ? saved : initial;
  });
  const set = useCallback(
    (n: number) => {
      setValue(n);
      localStorage.setItem(key, String(Math.round(n)));
    },
    [key],
  );
  return [value, set];
}

function Splitter(props: { direction: 'x' | 'y'; onDrag: (delta: number) => void; label: string }) {
  const onPointerDown = (e: React.PointerEvent) => {
    e.preventDefault();
    let last = props.direction === 'x' ? e.clientX : e.clientY;
    const move = (ev: PointerEvent) => {
      const now = props.direction === 'x' ? ev.clientX : ev.clientY;
      props.onDrag(now - last);
      last = now;
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return (
    <div
      className={`splitter splitter-${props.direction}`}
      role="separator"
      aria-label={props.label}
      aria-orientation={props.direction === 'x' ? 'vertical' : 'horizontal'}
      onPointerDown={onPointerDown}
    />
  );
}

function Tree(props: {
  nodes: FileNode[];
  depth: number;
  onOpen: (path: string) => void;
  active: string | null;
}) {
  const [open, setOpen] = useState<Record<string, boolean>>({});
  return (
    <ul className="tree" role={props.depth === 0 ? 'tree' : 'group'}>
      {props.nodes.map((n) => (
        <li
          key={n.path}
          role="treeitem"
          aria-expanded={n.kind === 'dir' ? !!open[n.path] : undefined}
        >
          <button
            className={`tree-row ${n.kind} ${props.active === n.path ? 'active' : ''}`}
            style={{ paddingLeft: 8 + props.depth * 12 }}
            data-path={n.path}
            title={n.path}
            onClick={() =>
              n.kind === 'dir'
                ? setOpen((o) => ({ ...o, [n.path]: !o[n.path] }))
                : props.onOpen(n.path)
            }
          >
            <span className="twisty">{n.kind === 'dir' ? (open[n.path] ? '▾' : '▸') : ''}</span>
            {n.name}
          </button>
          {n.kind === 'dir' && open[n.path] && n.children && (
            <Tree
              nodes={n.children}
              depth={props.depth + 1}
              onOpen={props.onOpen}
              active={props.active}
            />
          )}
        </li>
      ))}
    </ul>
  );
}

function EditorView(props: {
  workspace: Workspace;
  version: number;
  onCommand: (c: 'save' | 'build') => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const commands = useRef(props.onCommand);
  commands.current = props.onCommand;

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      model: null,
      theme: 'capsule-dark',
      automaticLayout: true,
      fontSize: 13,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderValidationDecorations: 'on',
    });
    e.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => commands.current('save'));
    e.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyB, () => commands.current('build'));
    editor.current = e;
    (window as unknown as { __capsuleEditor?: unknown }).__capsuleEditor = e;
    return () => e.dispose();
  }, []);

  const doc = props.workspace.activeDoc;
  useEffect(() => {
    const e = editor.current;
    if (!e) return;
    const model = doc?.model ?? null;
    if (e.getModel() !== model) e.setModel(model);
    e.updateOptions({ readOnly: doc?.readOnly ?? true });
    const reveal = props.workspace.pendingReveal;
    if (model && reveal) {
      props.workspace.pendingReveal = null;
      e.revealLineInCenter(reveal.line);
      e.setPosition({ lineNumber: reveal.line, column: reveal.column });
      e.focus();
    }
  }, [doc, props.version, props.workspace]);

  return (
    <div className="editor-wrap">
      {doc?.notice && <div className="editor-notice">{doc.notice}</div>}
      {!doc && (
        <div className="editor-empty">
          <p>Open a file from the explorer on the left.</p>
          <p>Ctrl/Cmd+S saves, Ctrl/Cmd+B builds the kernel for the selected board.</p>
        </div>
      )}
      <div ref={host} className="editor-host" style={{ visibility: doc ? 'visible' : 'hidden' }} />
    </div>
  );
}

function ProblemsPanel(props: { diagnostics: Diagnostic[]; onJump: (d: Diagnostic) => void }) {
  if (props.diagnostics.length === 0)
    return <div className="panel-empty">No problems from the last build.</div>;
  return (
    <ul className="problems">
      {props.diagnostics.map((d, i) => (
        <li key={i}>
          <button
            className={`problem ${d.severity}`}
            data-path={d.path}
            data-line={d.line}
            onClick={() => props.onJump(d)}
            disabled={!d.inProject}
            title={d.inProject ? 'Go to the source' : 'Outside the project'}
          >
            <span className="sev">{d.severity}</span>
            <span className="msg">
              {d.code ? `[${d.code}] ` : ''}
              {d.message.split('\n')[0]}
            </span>
            <span className="loc">
              {d.path}:{d.line}:{d.column}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}

function BuildPanel(props: { build: BuildState; info: ProjectInfo | null }) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Braced on purpose: newer Chromium returns a Promise from scrollIntoView, and an effect
    // must return nothing but a clean-up function.
    void end.current?.scrollIntoView({ block: 'end' });
  }, [props.build.lines.length]);
  const { build } = props;
  return (
    <div className="build-panel">
      <div
        className="build-status"
        data-status={build.running ? 'running' : (build.finished?.status ?? 'idle')}
      >
        {build.running && (
          <>
            <span className="spinner" aria-hidden /> Building… {build.done} crate
            {build.done === 1 ? '' : 's'} done
            {build.crate ? `, now ${build.crate}` : ''}
          </>
        )}
        {!build.running && build.finished && (
          <>
            <strong>{build.finished.message}</strong> ({build.finished.errors} errors,{' '}
            {build.finished.warnings} warnings, {build.finished.seconds.toFixed(1)} s)
            {build.finished.fix && <div className="fix">Fix: {build.finished.fix}</div>}
          </>
        )}
        {!build.running && !build.finished && (
          <>
            {props.info?.isCargoWorkspace
              ? 'No build yet. Press Build or Ctrl/Cmd+B.'
              : (props.info?.problem ?? 'No project loaded.')}
          </>
        )}
      </div>
      <pre className="build-output">
        {build.lines.map((l, i) => (
          <div key={i} className={`line ${l.stream}`}>
            {l.line || ' '}
          </div>
        ))}
        <div ref={end} />
      </pre>
    </div>
  );
}

export function App(props: { host: HostConnection }) {
  const { api } = props.host;
  const workspace = useMemo(() => new Workspace(api), [api]);
  const snap = useSyncExternalStore(
    useCallback((l: () => void) => workspace.subscribe(l), [workspace]),
    useCallback(() => workspace.snapshot().version, [workspace]),
  );
  const ws = workspace.snapshot();
  const [info, setInfo] = useState<ProjectInfo | null>(null);
  const [tree, setTree] = useState<FileNode[]>([]);
  const [board, setBoard] = useState('');
  const [panel, setPanel] = useState<PanelName>('Build');
  const [connected, setConnected] = useState(true);
  const [diagnostics, setDiagnostics] = useState<Diagnostic[]>([]);
  const [build, setBuild] = useState<BuildState>({
    running: false,
    buildId: null,
    lines: [],
    crate: '',
    done: 0,
    finished: null,
  });
  const [sidebar, setSidebar] = usePersistentNumber('capsule.sidebar', 260);
  const [bottom, setBottom] = usePersistentNumber('capsule.bottom', 260);

  const refresh = useCallback(async () => {
    const i = await api.project.info({});
    if (!i.ok) return workspace.reportError(i.error);
    setInfo(i.value);
    setBoard((b) => b || i.value.boards[0] || '');
    if (i.value.problem) workspace.notify('warning', i.value.problem);
    const t = await api.project.listFiles({});
    if (t.ok) setTree(t.value);
    else workspace.reportError(t.error);
  }, [api, workspace]);

  useEffect(() => {
    void refresh().then(() => workspace.restore());
    const offs = [
      props.host.onEvent('build.output', (e) =>
        setBuild((b) => {
          const cur = adoptBuild(b, e.buildId);
          if (!cur) return b;
          return {
            ...cur,
            lines: [...cur.lines, { stream: e.stream, line: e.line }].slice(-MAX_BUILD_LINES),
          };
        }),
      ),
      props.host.onEvent('build.progress', (e) =>
        setBuild((b) => {
          const cur = adoptBuild(b, e.buildId);
          return cur ? { ...cur, crate: e.crate, done: e.done } : b;
        }),
      ),
      props.host.onEvent('build.diagnostics', (e) => {
        setDiagnostics(e.diagnostics);
        workspace.setDiagnostics(e.diagnostics);
      }),
      props.host.onEvent('build.finished', (e) => {
        setBuild((b) => {
          const cur = adoptBuild(b, e.buildId);
          return cur ? { ...cur, running: false, finished: e } : b;
        });
        if (e.status === 'failed') setPanel('Problems');
        if (e.status === 'toolchain-missing' || e.status === 'crashed')
          workspace.notify('error', e.message, e.fix ? { fix: e.fix } : {});
      }),
      props.host.onEvent('project.fileChanged', (e) =>
        workspace.onDiskChange(e.path, e.kind, e.mtimeMs),
      ),
    ];
    props.host.onStatus(setConnected);
    const beforeUnload = (ev: BeforeUnloadEvent) => {
      void workspace.flushRecovery();
      if (workspace.hasDirty()) ev.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      offs.forEach((off) => off());
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [props.host, refresh, workspace]);

  const runBuild = useCallback(async () => {
    if (build.running) return;
    if (!info?.isCargoWorkspace) {
      workspace.notify('error', info?.problem ?? 'No kernel workspace is open.');
      return;
    }
    if (!board) {
      workspace.notify(
        'error',
        'This project has no board crates under boards/; there is nothing to build.',
      );
      return;
    }
    await workspace.saveAll();
    setPanel('Build');
    const r = await api.build.start({ board });
    if (!r.ok) return workspace.reportError(r.error);
    const id = r.value.buildId;
    setBuild((b) => adoptBuild(b, id) ?? b);
  }, [api, board, build.running, info, workspace]);

  const cancelBuild = useCallback(async () => {
    if (build.buildId === null) return;
    const r = await api.build.cancel({ buildId: build.buildId });
    if (!r.ok) workspace.reportError(r.error);
  }, [api, build.buildId, workspace]);

  const save = useCallback(() => {
    if (ws.active) void workspace.save(ws.active);
  }, [workspace, ws.active]);

  const onCommand = useCallback(
    (c: 'save' | 'build') => (c === 'save' ? save() : void runBuild()),
    [runBuild, save],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const k = e.key.toLowerCase();
      if (k === 's' || k === 'b') {
        e.preventDefault();
        onCommand(k === 's' ? 'save' : 'build');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCommand]);

  const jump = (d: Diagnostic) => void workspace.open(d.path, { line: d.line, column: d.column });
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;

  return (
    <div
      className="app"
      style={{
        gridTemplateColumns: `${sidebar}px 4px 1fr`,
        gridTemplateRows: `40px 1fr 4px ${bottom}px 22px`,
      }}
      data-version={snap}
      data-build={build.running ? 'running' : (build.finished?.status ?? 'idle')}
    >
      <header className="toolbar">
        <span className="brand">Capsule Studio</span>
        <span className="project" title={info?.root}>
          {info ? info.name : 'loading…'}
        </span>
        <label className="board">
          Board{' '}
          <select
            value={board}
            onChange={(e) => setBoard(e.target.value)}
            disabled={!info?.boards.length}
          >
            {info?.boards.length ? (
              info.boards.map((b) => (
                <option key={b} value={b}>
                  {b}
                </option>
              ))
            ) : (
              <option value="">no boards</option>
            )}
          </select>
        </label>
        <button
          className="primary"
          onClick={() => void runBuild()}
          disabled={build.running}
          title="Build (Ctrl/Cmd+B)"
        >
          Build
        </button>
        {build.running && <button onClick={() => void cancelBuild()}>Cancel build</button>}
        <button onClick={save} disabled={!ws.active} title="Save (Ctrl/Cmd+S)">
          Save
        </button>
        <span className="spacer" />
        {!connected && <span className="disconnected">Host connection lost, reconnecting…</span>}
        <span className="transport">
          {info?.transport === 'electron' ? 'Electron' : 'Browser mode'}
        </span>
      </header>

      <nav className="sidebar" aria-label="Project explorer">
        <div className="sidebar-title">Explorer</div>
        {tree.length ? (
          <Tree nodes={tree} depth={0} onOpen={(p) => void workspace.open(p)} active={ws.active} />
        ) : (
          <div className="panel-empty">The project folder is empty or could not be read.</div>
        )}
      </nav>
      <Splitter
        direction="x"
        label="Resize explorer"
        onDrag={(d) => setSidebar(Math.min(600, Math.max(140, sidebar + d)))}
      />

      <main className="center">
        <div className="tabs" role="tablist">
          {ws.docs.map((d) => (
            <div
              key={d.path}
              role="tab"
              aria-selected={d.path === ws.active}
              className={`tab ${d.path === ws.active ? 'active' : ''} ${d.dirty ? 'dirty' : ''} ${d.deletedOnDisk ? 'deleted' : ''}`}
              data-path={d.path}
              title={`${d.path}${d.dirty ? ' (unsaved)' : ''}${d.deletedOnDisk ? ' (deleted on disk)' : ''}${d.readOnly ? ' (read-only)' : ''}`}
              onClick={() => workspace.activate(d.path)}
            >
              <span>{d.path.split('/').pop()}</span>
              {d.dirty && (
                <span className="dirty-dot" aria-label="unsaved">
                  ●
                </span>
              )}
              {d.readOnly && <span className="ro">RO</span>}
              <button
                className="close"
                aria-label={`Close ${d.path}`}
                onClick={(e) => {
                  e.stopPropagation();
                  workspace.close(d.path);
                }}
              >
                ×
              </button>
            </div>
          ))}
        </div>
        <EditorView workspace={workspace} version={snap} onCommand={onCommand} />
        <div className="notices" aria-live="polite">
          {ws.notices.map((n) => (
            <div key={n.id} className={`notice ${n.level}`}>
              <span>{n.text}</span>
              {n.fix && <div className="fix">Fix: {n.fix}</div>}
              {n.actions?.map((a) => (
                <button
                  key={a.label}
                  onClick={() => {
                    workspace.dismiss(n.id);
                    a.run();
                  }}
                >
                  {a.label}
                </button>
              ))}
              <button
                className="dismiss"
                aria-label="Dismiss"
                onClick={() => workspace.dismiss(n.id)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
      </main>

      <Splitter
        direction="y"
        label="Resize panels"
        onDrag={(d) => setBottom(Math.min(700, Math.max(80, bottom - d)))}
      />

      <section className="panels">
        <div className="panel-tabs" role="tablist">
          {PANELS.map((p) => (
            <button
              key={p}
              role="tab"
              aria-selected={panel === p}
              className={panel === p ? 'active' : ''}
              onClick={() => setPanel(p)}
            >
              {p}
              {p === 'Problems' && diagnostics.length > 0 && (
                <span className="badge">{diagnostics.length}</span>
              )}
            </button>
          ))}
        </div>
        <div className="panel-body" data-panel={panel}>
          {panel === 'Build' && <BuildPanel build={build} info={info} />}
          {panel === 'Problems' && <ProblemsPanel diagnostics={diagnostics} onJump={jump} />}
          {panel !== 'Build' && panel !== 'Problems' && (
            <div className="panel-empty">
              <strong>No emulator session is running.</strong> This panel will show{' '}
              {SESSION_VIEWS[panel]}. No data source is connected to it yet.
            </div>
          )}
        </div>
      </section>

      <footer className="statusbar">
        <span>{ws.active ?? 'no file'}</span>
        <span className="spacer" />
        <span>
          {errors} errors, {warnings} warnings
        </span>
        <span>{board || 'no board'}</span>
      </footer>
    </div>
  );
}
