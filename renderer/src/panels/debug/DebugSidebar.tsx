/**
 * The Run and Debug side view: Call Stack, Variables, Watch and Breakpoints one above the
 * other, as a debugger shows them, each a registered view.
 */
import { useState } from 'react';
import type { Studio } from '../../studio';
import { SIDE_VIEWS } from '../registry';

export function DebugSidebar({ studio }: { studio: Studio }) {
  const [closed, setClosed] = useState<Record<string, boolean>>({});
  return (
    <div className="debug-side" aria-label="Run and Debug">
      {SIDE_VIEWS.map((v) => {
        const Body = v.component;
        const open = !closed[v.id];
        return (
          <section key={v.id} className={`side-view ${open ? 'open' : ''}`} data-view={v.id}>
            <button
              className="side-view-title"
              onClick={() => setClosed((c) => ({ ...c, [v.id]: open }))}
            >
              <span className="twisty">{open ? '▾' : '▸'}</span>
              {v.id}
            </button>
            {open && (
              <div className="side-view-body">
                <Body studio={studio} />
              </div>
            )}
          </section>
        );
      })}
    </div>
  );
}
