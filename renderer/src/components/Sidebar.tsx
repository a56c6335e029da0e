/**
 * The side bar: the Explorer or the Run and Debug view, switched by the two buttons on top
 * (Ctrl+Shift+E, Ctrl+Shift+D). Debug switches to Run and Debug by itself.
 */
import { useModel } from '../models/use';
import { DebugSidebar } from '../panels/debug/DebugSidebar';
import type { Studio } from '../studio';
import { Explorer } from './Explorer';

export function Sidebar({ studio }: { studio: Studio }) {
  const { side } = useModel(studio.layout);
  const c = studio.commands;
  return (
    <div className="side">
      <div className="side-switch" role="tablist">
        <button
          role="tab"
          aria-selected={side === 'explorer'}
          className={side === 'explorer' ? 'active' : ''}
          title={`Explorer (${c.shortcut('view.explorer')})`}
          onClick={() => c.run('view.explorer')}
        >
          Explorer
        </button>
        <button
          role="tab"
          aria-selected={side === 'debug'}
          className={side === 'debug' ? 'active' : ''}
          title={`Run and Debug (${c.shortcut('view.debug')})`}
          onClick={() => c.run('view.debug')}
        >
          Run and Debug
        </button>
      </div>
      {side === 'explorer' ? <Explorer studio={studio} /> : <DebugSidebar studio={studio} />}
    </div>
  );
}
