/**
 * GDB Server: the switch that serves the running emulator session to GDB (issue 16).
 *
 * Why: gdb-multiarch's command line or VS Code's Cortex-Debug can attach to the board the IDE
 * already runs, beside its panels. The view shows the loopback port, a ready-to-paste
 * `gdb-multiarch` command line with the kernel ELF, and a Cortex-Debug `launch.json`
 * configuration (servertype "external"), each with a Copy button. A port that is taken is the
 * host's error, naming the port.
 *
 * @example
 *   SIDE_VIEWS: { id: 'GDB Server', component: GdbServerView }
 */
import { useState } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

function CopyBlock({ label, text }: { label: string; text: string }) {
  const [note, setNote] = useState('');
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setNote('Copied');
    } catch (e) {
      setNote(`Could not copy: ${(e as Error).message}; select the text instead`);
    }
    setTimeout(() => setNote(''), 2500);
  };
  return (
    <div className="gdb-copy" data-copy={label}>
      <div className="gdb-copy-head">
        <span>{label}</span>
        <button onClick={() => void copy()} aria-label={`Copy the ${label}`}>
          Copy
        </button>
        {note && <span className="gdb-copy-note">{note}</span>}
      </div>
      <pre className="gdb-copy-text" aria-label={label}>
        {text}
      </pre>
    </div>
  );
}

export function GdbServerView({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const [port, setPort] = useState('3333');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const s = d.session;
  const live = s && (s.phase === 'starting' || s.phase === 'running' || s.phase === 'halted');
  if (!s || !live)
    return (
      <div className="panel-empty">
        Start Run or Debug on an emulated board to serve it to GDB (gdb-multiarch, Cortex-Debug).
      </div>
    );
  if (s.targetKind !== 'emulator')
    return (
      <div className="panel-empty">
        This session already runs over GDB&apos;s protocol ({s.target}); connect GDB to that server.
      </div>
    );
  const g = s.gdbServer ?? null;
  const toggle = async (on: boolean): Promise<void> => {
    const n = Number(port);
    if (on && (!/^\d+$/.test(port.trim()) || n > 65535)) {
      setError(`'${port}' is not a TCP port (0-65535)`);
      return;
    }
    setBusy(true);
    const e = await studio.debug.gdbServer(on, n);
    setBusy(false);
    setError(e ? `${e.message}${e.fix ? ` ${e.fix}` : ''}` : null);
  };
  return (
    <div className="gdb-server">
      <label className="gdb-switch">
        <input
          type="checkbox"
          role="switch"
          checked={g !== null}
          disabled={busy}
          aria-label="Serve this session to GDB"
          onChange={(e) => void toggle(e.target.checked)}
        />
        Serve to GDB on 127.0.0.1:
        <input
          className="gdb-port"
          value={g ? String(g.port) : port}
          disabled={g !== null || busy}
          aria-label="GDB server port"
          inputMode="numeric"
          onChange={(e) => setPort(e.target.value)}
        />
      </label>
      {error && (
        <div className="gdb-error" role="alert">
          {error}
        </div>
      )}
      {g && (
        <>
          <div className="gdb-status" data-port={g.port}>
            Listening on {g.host}:{g.port} (loopback only) ·{' '}
            {g.clients === 1 ? '1 client' : `${g.clients} clients`}
          </div>
          <CopyBlock label="gdb-multiarch command" text={g.command} />
          <CopyBlock label="Cortex-Debug launch.json" text={g.launchJson} />
        </>
      )}
    </div>
  );
}
