/**
 * Breakpoints: every breakpoint of the project, with where it really sits, why it is not set,
 * its condition and hit count; a click opens the line, the box enables or disables it.
 */
import { useModel } from '../../models/use';
import { describeBreakpoint, shownLine } from '../../models/breakpoints';
import type { Studio } from '../../studio';

export function BreakpointsView({ studio }: { studio: Studio }) {
  useModel(studio.breakpoints);
  const all = studio.breakpoints.all();
  if (all.length === 0)
    return (
      <div className="panel-empty">
        No breakpoints. Click left of a line number, or press{' '}
        {studio.commands.shortcut('debug.toggleBreakpoint')}.
      </div>
    );
  return (
    <ul className="breakpoint-list">
      {all.map(({ path, breakpoint: b }) => (
        <li
          key={`${path}:${b.line}`}
          className={`bp-item ${b.status}`}
          data-path={path}
          data-line={b.line}
        >
          <input
            type="checkbox"
            checked={b.enabled !== false}
            aria-label={`Enable the breakpoint at ${path}:${b.line}`}
            onChange={(e) =>
              void studio.breakpoints.update(path, b.line, { enabled: e.target.checked })
            }
          />
          <span className={`bp-dot ${b.status} ${b.enabled === false ? 'disabled' : ''}`} />
          <button
            className="link"
            title={describeBreakpoint(b)}
            onClick={() => void studio.workspace.open(path, { line: shownLine(b), column: 1 })}
          >
            {path.split('/').pop()}:{shownLine(b)}
            {b.resolvedLine ? ` (line ${b.line} moved)` : ''}
          </button>
          <span className="bp-detail">{describeBreakpoint(b)}</span>
          <button
            className="icon remove"
            aria-label={`Remove the breakpoint at ${path}:${b.line}`}
            onClick={() => void studio.breakpoints.remove(path, b.line)}
          >
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
