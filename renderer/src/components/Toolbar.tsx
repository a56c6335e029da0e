/**
 * The toolbar: project, board, Build / Cancel, Save, New capsule, and what to do when the host
 * is gone. Every button runs a registered command, so its enabled state is the command's.
 */
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import { LinkBanner } from './LinkBanner';

export function Toolbar({ studio }: { studio: Studio }) {
  const project = useModel(studio.project);
  const build = useModel(studio.build);
  const debug = useModel(studio.debug);
  useModel(studio.workspace);
  const phase = debug.session?.phase;
  const active = phase === 'starting' || phase === 'running' || phase === 'halted';
  const button = (id: string, label: string, symbol: string, primary = false) => (
    <button
      key={id}
      className={`debug-button ${primary ? 'primary' : ''}`}
      data-command={id}
      aria-label={label}
      title={title(id, label)}
      disabled={!c.enabled(id)}
      onClick={() => c.run(id)}
    >
      <span className="debug-symbol" aria-hidden>
        {symbol}
      </span>{' '}
      <span className="debug-label">{label}</span>
    </button>
  );
  const c = studio.commands;
  const title = (id: string, text: string): string =>
    c.shortcut(id) ? `${text} (${c.shortcut(id)})` : text;
  return (
    <header className="toolbar">
      <span className="brand">Capsule Studio</span>
      <span className="project" title={project.info?.root}>
        {project.info ? project.info.name : 'loading…'}
      </span>
      <label className="board">
        Board{' '}
        <select
          value={project.board}
          onChange={(e) => studio.project.setBoard(e.target.value)}
          disabled={!project.info?.boards.length || build.running}
        >
          {project.info?.boards.length ? (
            project.info.boards.map((b) => (
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
        onClick={() => c.run('build.start')}
        disabled={!c.enabled('build.start')}
        title={title('build.start', 'Build')}
      >
        Build
      </button>
      {build.running && (
        <button onClick={() => c.run('build.cancel')} disabled={!c.enabled('build.cancel')}>
          Cancel build
        </button>
      )}
      <button
        onClick={() => c.run('file.save')}
        disabled={!c.enabled('file.save')}
        title={title('file.save', 'Save')}
      >
        Save
      </button>
      <button onClick={() => c.run('capsule.new')} disabled={!c.enabled('capsule.new')}>
        New capsule…
      </button>
      <span className="debug-group" data-phase={phase ?? 'none'}>
        {!active && [button('session.run', 'Run', '▷'), button('session.debug', 'Debug', '▶')]}
        {active && [
          phase === 'halted'
            ? button('session.debug', 'Continue', '▶', true)
            : button('session.pause', 'Pause', '❚❚'),
          button('session.stepOver', 'Step over', '↷'),
          button('session.stepInto', 'Step into', '↓'),
          button('session.stepOut', 'Step out', '↑'),
          button('session.stepInstruction', 'Step instruction', '⇣'),
          button('session.restart', 'Restart', '↻'),
          button('session.stop', 'Stop', '■'),
        ]}
      </span>
      <span className="spacer" />
      <LinkBanner link={project.link} />
      <button
        className="ghost"
        onClick={() => c.run('palette.show')}
        title={title('palette.show', 'Show all commands')}
      >
        Commands
      </button>
      <span className="transport">
        {project.info?.transport === 'electron' ? 'Electron' : 'Browser mode'}
      </span>
    </header>
  );
}
