/**
 * The Capsule Studio window: the layout of its parts. Behaviour lives in the studio's models
 * and commands (studio.ts); each part below is a component that renders a model.
 */
import { memo, useEffect, useState } from 'react';
import { BottomPanels } from './components/BottomPanels';
import { EditorArea } from './components/EditorArea';
import { NewCapsuleDialog } from './components/NewCapsuleDialog';
import { QuickInput } from './components/QuickInput';
import { Sidebar } from './components/Sidebar';
import { Splitter } from './components/Splitter';
import { StatusBar } from './components/StatusBar';
import { Toolbar } from './components/Toolbar';
import { useModel, useModelValue } from './models/use';
import type { Studio } from './studio';

// The window's parts render when the models they read change, not with every render of the
// frame: the frame renders at each stop (its phase and PC attributes) and with every workspace
// change (a stop opens its file and moves the cursor), and each of those rendered the whole
// window again (every side view and the bottom panel) before the editor's new line showed.
const ToolbarPart = memo(Toolbar);
const SidebarPart = memo(Sidebar);
const EditorPart = memo(EditorArea);
const BottomPart = memo(BottomPanels);
const StatusPart = memo(StatusBar);
const QuickInputPart = memo(QuickInput);
const NewCapsulePart = memo(NewCapsuleDialog);

export function App({ studio }: { studio: Studio }) {
  const layout = useModel(studio.layout);
  const build = useModel(studio.build);
  const ws = useModel(studio.workspace);
  // The session's phase and stop only: the debug model changes many times a stop and with every
  // rate report while running, and each render here renders the whole window again.
  const phase = useModelValue(studio.debug, (d) => d.session?.phase ?? 'none');
  const stopReason = useModelValue(studio.debug, (d) => d.session?.stop?.reason ?? '');
  const stopPc = useModelValue(studio.debug, (d) => d.session?.stop?.pc ?? '');
  const [height, setHeight] = useState(window.innerHeight);

  useEffect(() => {
    void studio.start();
    // Capture phase: the registry sees a key before the editor does.
    const onKey = (e: KeyboardEvent) => studio.commands.handleKey(e);
    const beforeUnload = (ev: BeforeUnloadEvent) => {
      void studio.workspace.flushRecovery();
      if (studio.workspace.hasDirty()) ev.preventDefault();
    };
    const onResize = () => setHeight(window.innerHeight);
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('beforeunload', beforeUnload);
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, [studio]);

  // However large the panel was made, the editor keeps a third of a window that shrank since.
  const bottom = layout.bottomHidden
    ? 0
    : Math.max(0, Math.min(layout.bottom, Math.round(((height - 68) * 2) / 3)));
  return (
    <div
      className="app"
      style={{
        gridTemplateColumns: `${layout.sidebar}px 4px minmax(0, 1fr)`,
        gridTemplateRows: `40px minmax(0, 1fr) ${layout.bottomHidden ? 0 : 4}px ${bottom}px 24px`,
      }}
      data-version={ws.version}
      data-build={build.running ? 'running' : (build.finished?.status ?? 'idle')}
      data-session={phase}
      data-stop={stopReason}
      data-stop-pc={stopPc}
    >
      <ToolbarPart studio={studio} />
      <SidebarPart studio={studio} />
      <Splitter
        direction="x"
        label="Resize explorer"
        size={() => studio.layout.snapshot().sidebar}
        sign={1}
        onResize={(px) => studio.layout.resizeSidebar(px)}
      />
      <EditorPart studio={studio} />
      <Splitter
        direction="y"
        label="Resize panels"
        size={() => studio.layout.snapshot().bottom}
        sign={-1}
        onResize={(px) => studio.layout.resizeBottom(px)}
      />
      {layout.bottomHidden ? <section className="panels" /> : <BottomPart studio={studio} />}
      <StatusPart studio={studio} />
      <QuickInputPart model={studio.quick} />
      <NewCapsulePart studio={studio} />
    </div>
  );
}
