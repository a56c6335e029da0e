/**
 * The views that will show a running emulator session. Until the debugging work connects a
 * session, each says plainly that none is running and what it will show.
 */
import type { PanelDefinition } from './registry';

export function sessionPanel(id: string, shows: string): PanelDefinition {
  function NoSession() {
    return (
      <div className="panel-empty">
        <strong>No emulator session is running.</strong> This panel will show {shows}. No data
        source is connected to it yet.
      </div>
    );
  }
  NoSession.displayName = `${id}Panel`;
  return { id, component: NoSession };
}
