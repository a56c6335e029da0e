/**
 * The kernel and peripheral views still to come (Tock processes, cells, DMA, peripherals): each
 * says plainly what it will show and that nothing feeds it yet, session or not.
 */
import type { PanelDefinition } from './registry';

export function sessionPanel(id: string, shows: string): PanelDefinition {
  function NoSession() {
    return (
      <div className="panel-empty">
        <strong>Not connected yet.</strong> This panel will show {shows}. It reads nothing from the
        session today.
      </div>
    );
  }
  NoSession.displayName = `${id}Panel`;
  return { id, component: NoSession };
}
