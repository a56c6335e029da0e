/**
 * Variables: the selected frame's arguments and locals, and the kernel's statics, rendered as
 * Rust shows them, expandable, numbers in hex or decimal, scalars editable. The Statics group
 * starts closed and is read (at each stop) only while open. Values still being read for a new
 * stop show the last stop's, dimmed and titled as such.
 */
import { useEffect } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import { ValueRow } from './ValueTree';

export function VariablesView({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  // Read at a stop only while shown (and when shown at a stop it was not read at).
  useEffect(() => {
    studio.debug.show('variables', 'view', true);
    return () => studio.debug.show('variables', 'view', false);
  }, [studio]);
  const halted = d.session?.phase === 'halted';
  if (!halted)
    return (
      <div className="panel-empty">
        {d.session?.phase === 'running'
          ? 'Running: pause or stop at a breakpoint to see variables.'
          : 'No debug session is halted.'}
      </div>
    );
  if (!d.session?.sourceLevel)
    return (
      <div className="panel-empty">
        The images carry no debug information (DWARF), so there are no variables to show.
      </div>
    );
  const frame = d.frames[d.selectedFrame];
  const earlier = d.scopesAt !== d.stopSeq;
  return (
    <div
      className={`variables ${earlier ? 'earlier' : ''}`}
      data-frame={d.selectedFrame}
      title={earlier ? "The previous stop's values: this stop's are being read." : undefined}
    >
      <div className="view-tools">
        <span className="dim">{frame ? frame.function : ''}</span>
        <span className="spacer" />
        <button className="small" onClick={() => studio.debug.toggleHex()} aria-pressed={d.hex}>
          {d.hex ? 'Hex' : 'Dec'}
        </button>
      </div>
      {d.scopes.length === 0 && (
        <div className="panel-empty">{d.loading ? 'Reading…' : 'No variables in this frame.'}</div>
      )}
      {d.scopes.map((s) => {
        const rows = (variables: typeof s.variables) =>
          variables.map((v, i) => (
            <ValueRow
              key={`${d.session?.stop?.pc}-${d.selectedFrame}-${v.name}-${i}`}
              studio={studio}
              node={v}
              depth={0}
              hex={d.hex}
            />
          ));
        if (s.name === 'Statics')
          return (
            <section key={s.name} className="scope">
              <h4>
                <button
                  className="scope-toggle"
                  aria-expanded={d.staticsOpen}
                  onClick={() => void studio.debug.openStatics(!d.staticsOpen)}
                >
                  <span className="twisty">{d.staticsOpen ? '▾' : '▸'}</span>
                  {s.name}
                </button>
              </h4>
              {d.staticsOpen && (
                <ul className="value-tree" data-scope={s.name}>
                  {s.unread && <li className="value-empty">Reading…</li>}
                  {!s.unread && s.variables.length === 0 && <li className="value-empty">(none)</li>}
                  {rows(s.variables)}
                </ul>
              )}
            </section>
          );
        return (
          <section key={s.name} className="scope">
            <h4>{s.name}</h4>
            <ul className="value-tree" data-scope={s.name}>
              {s.variables.length === 0 && <li className="value-empty">(none)</li>}
              {rows(s.variables)}
            </ul>
          </section>
        );
      })}
    </div>
  );
}
