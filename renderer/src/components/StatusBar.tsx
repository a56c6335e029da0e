/**
 * The status bar. Each item is a button: the cursor position goes to a line, the problem
 * counts open Problems, the build state opens Build, the board opens the board chooser and
 * the session state opens the Console.
 */
import { plural } from '../models/build';
import { describeSession } from '../models/debug-session';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

export function StatusBar({ studio }: { studio: Studio }) {
  const ws = useModel(studio.workspace);
  const build = useModel(studio.build);
  const project = useModel(studio.project);
  const debug = useModel(studio.debug);
  const c = studio.commands;
  const session = debug.session;
  const stale = session && session.phase !== 'ended' ? session.staleFiles : [];
  const buildState = build.running
    ? `Building ${build.board ?? ''}…`
    : build.finished
      ? `Build ${build.finished.status.replace('-', ' ')}`
      : session && session.builtAt > 0 && session.phase !== 'ended'
        ? // No build in this window, but the session runs one from disk: say when it was made.
          `Built ${new Date(session.builtAt).toLocaleTimeString()}`
        : 'Not built';
  return (
    <footer className="statusbar">
      <span className="status-file">{ws.active ?? 'no file'}</span>
      {ws.cursor && (
        <button
          className="status-item"
          data-item="cursor"
          title="Go to line (Ctrl+G)"
          onClick={() => c.run('editor.goToLine')}
        >
          Ln {ws.cursor.line}, Col {ws.cursor.column}
        </button>
      )}
      <span className="spacer" />
      <button
        className={`status-item ${build.errors ? 'has-errors' : build.warnings ? 'has-warnings' : ''}`}
        data-item="problems"
        title="Show Problems"
        onClick={() => studio.layout.showPanel('Problems')}
      >
        {plural(build.errors, 'error')}, {plural(build.warnings, 'warning')}
      </button>
      <button
        className="status-item"
        data-item="build"
        data-status={build.running ? 'running' : (build.finished?.status ?? 'idle')}
        title="Show the Build panel"
        onClick={() => studio.layout.showPanel('Build')}
      >
        {buildState}
      </button>
      <button
        className={`status-item session-${session?.phase ?? 'none'} ${session?.stop?.reason === 'fault' || session?.stop?.reason === 'lockup' ? 'faulted' : ''}`}
        data-item="session"
        data-phase={session?.phase ?? 'none'}
        title={
          session
            ? `${session.target}${session.stop ? `: ${session.stop.description}` : ''}. Shows the Console.`
            : 'No session: Run (Ctrl+F5) or Debug (F5) starts one. Shows the Console.'
        }
        onClick={() => studio.layout.showPanel('Console')}
      >
        {describeSession(session, debug.stats)}
      </button>
      {stale.length > 0 && (
        <span
          className="status-item stale-build"
          data-item="stale"
          title={`Changed after the build this session runs: ${stale.join(', ')}. Lines and breakpoints may not match; rebuild and restart.`}
        >
          ⚠ stale build
        </span>
      )}
      <button
        className="status-item"
        data-item="board"
        title="Choose the board"
        disabled={!c.enabled('board.choose')}
        onClick={() => c.run('board.choose')}
      >
        {project.board || 'no board'}
      </button>
    </footer>
  );
}
