/**
 * The Problems panel: rustc's diagnostics of the last build; a click opens the source at the
 * diagnostic. Its tab's badge counts them, red only when there are errors.
 */
import { plural } from '../models/build';
import { useModel } from '../models/use';
import type { Studio } from '../studio';
import type { PanelBadge } from './registry';

export function problemsBadge(studio: Studio): PanelBadge | null {
  const { diagnostics, errors, warnings } = studio.build.snapshot();
  if (diagnostics.length === 0) return null;
  return {
    count: diagnostics.length,
    level: errors > 0 ? 'error' : warnings > 0 ? 'warning' : 'info',
    title: `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`,
  };
}

export function ProblemsPanel({ studio }: { studio: Studio }) {
  const { diagnostics } = useModel(studio.build);
  if (diagnostics.length === 0)
    return <div className="panel-empty">No problems from the last build.</div>;
  return (
    <ul className="problems">
      {diagnostics.map((d, i) => (
        <li key={i}>
          <button
            className={`problem ${d.severity}`}
            data-path={d.path}
            data-line={d.line}
            onClick={() => void studio.workspace.open(d.path, { line: d.line, column: d.column })}
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
