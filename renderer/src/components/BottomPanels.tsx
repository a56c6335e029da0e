/**
 * The bottom panel strip: one tab per registered panel (panels/registry.ts) and the chosen
 * panel's component.
 */
import { useModel, useModelValue } from '../models/use';
import { PANELS, panelById } from '../panels/registry';
import type { Studio } from '../studio';

export function BottomPanels({ studio }: { studio: Studio }) {
  const { panel } = useModel(studio.layout);
  useModel(studio.build);
  // The Faults tab's badge: the faults listed and whether the session halted on one.
  useModelValue(studio.debug, (d) => `${d.faults.length} ${d.session?.stop?.reason ?? ''}`);
  const current = panelById(panel);
  const Body = current.component;
  return (
    <section className="panels">
      <div className="panel-tabs" role="tablist">
        {PANELS.map((p) => {
          const badge = p.badge?.(studio) ?? null;
          return (
            <button
              key={p.id}
              role="tab"
              aria-selected={current.id === p.id}
              className={current.id === p.id ? 'active' : ''}
              onClick={() => studio.layout.showPanel(p.id)}
            >
              {p.id}
              {badge && (
                <span className={`badge ${badge.level}`} title={badge.title}>
                  {badge.text ?? badge.count}
                </span>
              )}
            </button>
          );
        })}
      </div>
      <div className="panel-body" data-panel={current.id}>
        <Body studio={studio} />
      </div>
    </section>
  );
}
