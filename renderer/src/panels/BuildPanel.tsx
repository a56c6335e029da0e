/**
 * The Build panel: the state of the current or last build, its summary (flash and RAM used by
 * the kernel and by each app against the board's layout) and cargo's output.
 */
import { useEffect, useRef } from 'react';
import type { BuildSummary } from '../../../main/common/contract';
import { plural } from '../models/build';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

function Bar(props: { used: number; available: number }) {
  const share = props.available > 0 ? props.used / props.available : 0;
  const level = share > 1 ? 'over' : share >= 0.85 ? 'near' : 'ok';
  return (
    <span className={`usage ${level}`} title={`${Math.round(share * 100)}%`}>
      <span className="usage-fill" style={{ width: `${Math.min(100, share * 100)}%` }} />
      <span className="usage-text">
        {kib(props.used)} / {props.available ? kib(props.available) : '?'}
      </span>
    </span>
  );
}

export function SummaryTable({ summary }: { summary: BuildSummary }) {
  return (
    <div className="build-summary" data-board={summary.board}>
      {summary.warnings.map((w) => (
        <div key={w} className="summary-warning">
          ⚠ {w}
        </div>
      ))}
      {summary.parts.length > 0 && (
        <table>
          <thead>
            <tr>
              <th>{summary.board}</th>
              <th>flash</th>
              <th>RAM</th>
            </tr>
          </thead>
          <tbody>
            {summary.regions.length > 0 && (
              <>
                {['kernel', 'apps'].map((name) => {
                  const flash = summary.regions.find(
                    (r) => r.name === name && r.memory === 'flash',
                  );
                  const ram = summary.regions.find((r) => r.name === name && r.memory === 'ram');
                  if (!flash || !ram) return null;
                  return (
                    <tr key={`region-${name}`} className="region" data-part={`${name} region`}>
                      <td>{name} region</td>
                      <td>
                        <Bar used={flash.used} available={flash.size} />
                      </td>
                      <td>
                        <Bar used={ram.used} available={ram.size} />
                      </td>
                    </tr>
                  );
                })}
              </>
            )}
            {summary.parts
              .filter((p) => p.kind === 'app')
              .map((p) => (
                <tr key={p.name} data-part={p.name}>
                  <td>app {p.name}</td>
                  <td>
                    <Bar used={p.flash.used} available={p.flash.available} />
                  </td>
                  <td>
                    <Bar used={p.ram.used} available={p.ram.available} />
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {summary.notes.map((n) => (
        <div key={n} className="summary-note">
          {n}
        </div>
      ))}
    </div>
  );
}

export function BuildPanel({ studio }: { studio: Studio }) {
  const build = useModel(studio.build);
  const { info, link } = useModel(studio.project);
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Braced on purpose: newer Chromium returns a Promise from scrollIntoView, and an effect
    // must return nothing but a clean-up function.
    void end.current?.scrollIntoView({ block: 'end' });
  }, [build.lines.length]);
  return (
    <div className="build-panel">
      <div
        className="build-status"
        data-status={build.running ? 'running' : (build.finished?.status ?? 'idle')}
      >
        {build.running && (
          <>
            <span className="spinner" aria-hidden /> Building… {plural(build.done, 'crate')} done
            {build.crate ? `, now ${build.crate}` : ''}
          </>
        )}
        {!build.running && build.finished && (
          <>
            <strong>{build.finished.message}</strong> ({plural(build.finished.errors, 'error')},{' '}
            {plural(build.finished.warnings, 'warning')}, {build.finished.seconds.toFixed(1)} s)
            {build.stale && ' — from before Capsule Studio restarted'}
            {build.finished.fix && <div className="fix">Fix: {build.finished.fix}</div>}
          </>
        )}
        {link !== 'connected' && (
          <div className="fix">
            Capsule Studio is not reachable: building needs it (see the toolbar).
          </div>
        )}
        {!build.running && !build.finished && (
          <>
            {info?.isCargoWorkspace
              ? 'No build yet. Press Build or Ctrl/Cmd+B.'
              : (info?.problem ?? 'No project loaded.')}
          </>
        )}
      </div>
      {!build.running && build.summary && <SummaryTable summary={build.summary} />}
      <pre className="build-output">
        {build.lines.map((l, i) => (
          <div key={i} className={`line ${l.stream}`}>
            {l.line || ' '}
          </div>
        ))}
        <div ref={end} />
      </pre>
    </div>
  );
}
