/**
 * The status bar. Each item is a button: the cursor position goes to a line, the problem
 * counts open Problems, the build state opens Build, the board opens the board chooser and
 * the session state opens the Console.
 */
import { plural } from '../models/build';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

export function StatusBar({ studio }: { studio: Studio }) {
  const ws = useModel(studio.workspace);
  const build = useModel(studio.build);
  const project = useModel(studio.project);
  const c = studio.commands;
  const buildState = build.running
    ? `Building ${build.board ?? ''}…`
    : build.finished
      ? `Build ${build.finished.status.replace('-', ' ')}`
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
        className="status-item"
        data-item="session"
        title="No emulator session yet: Run and Debug arrive with the debugger. Shows the Console."
        onClick={() => studio.layout.showPanel('Console')}
      >
        No session
      </button>
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
