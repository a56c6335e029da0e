/**
 * Watch: expressions over the program's paths (`KERNEL.processes[0]`, `self.apps`, `*ptr`,
 * casts to a named type), re-evaluated at every stop in the selected frame; kept across
 * reloads.
 */
import { useEffect, useState } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';
import { ValueRow } from './ValueTree';

export function WatchView({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const [text, setText] = useState('');
  // Read at a stop only while shown (and when shown at a stop it was not read at).
  useEffect(() => {
    studio.debug.show('watches', 'view', true);
    return () => studio.debug.show('watches', 'view', false);
  }, [studio]);
  return (
    <div className="watch">
      <form
        className="view-tools"
        onSubmit={(e) => {
          e.preventDefault();
          void studio.debug.addWatch(text);
          setText('');
        }}
      >
        <input
          className="watch-input"
          placeholder="Add expression (self.apps, *ptr, KERNEL.processes[0])"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </form>
      {d.watches.length === 0 && <div className="panel-empty">No watch expressions.</div>}
      <ul
        className={`value-tree ${d.scopesAt !== d.stopSeq ? 'earlier' : ''}`}
        title={
          d.scopesAt !== d.stopSeq
            ? "The previous stop's values: this stop's are being read."
            : undefined
        }
      >
        {d.watches.map((w, i) =>
          w.value ? (
            <ValueRow
              key={`${w.expression}-${d.session?.stop?.pc}-${d.selectedFrame}`}
              studio={studio}
              node={{ ...w.value, name: w.expression }}
              depth={0}
              hex={d.hex}
              onRemove={() => studio.debug.removeWatch(i)}
            />
          ) : (
            <li key={`${w.expression}-${i}`}>
              <div className="value-row">
                <span className="twisty" />
                <span className="value-name">{w.expression}</span>
                <span className="value-sep">: </span>
                <span className="value-text dim">
                  {d.session?.phase === 'halted' ? (w.error ?? '…') : 'not halted'}
                </span>
                <button
                  className="icon remove"
                  aria-label={`Remove ${w.expression}`}
                  onClick={() => studio.debug.removeWatch(i)}
                >
                  ×
                </button>
              </div>
            </li>
          ),
        )}
      </ul>
    </div>
  );
}
