/**
 * Console: an xterm.js terminal on the board's console UART. Kernel and app output appear as
 * they arrive (the host streams them while the board runs), typing goes to the process console,
 * ANSI colours are honoured. Clear, Copy and Save the log. The terminal (bundled, no network)
 * replays the session's log when the panel is opened again.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

export function ConsolePanel({ studio }: { studio: Studio }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const d = useModel(studio.debug);
  const live = d.session !== null && d.session.phase !== 'ended';

  useEffect(() => {
    const t = new Terminal({
      convertEol: true,
      cursorBlink: true,
      fontSize: 13,
      scrollback: 10_000,
      theme: { background: '#1b1d23', foreground: '#d7dae0' },
    });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(host.current!);
    term.current = t;
    const log = studio.debug.console;
    t.write(log.all());
    // The terminal host carries when the board sent the last chunk written (data-sent-at), so
    // output latency (UART transmit to terminal shown) can be measured from outside.
    const offData = log.onData((bytes, sentAt) =>
      t.write(bytes, () => {
        if (sentAt !== undefined && host.current) host.current.dataset.sentAt = String(sentAt);
      }),
    );
    const offClear = log.onClear(() => t.reset());
    const input = t.onData((text) => void studio.debug.input(text));
    const resize = new ResizeObserver(() => {
      try {
        fit.fit();
      } catch {
        // hidden (zero size): fit again when shown
      }
    });
    resize.observe(host.current!);
    return () => {
      resize.disconnect();
      input.dispose();
      offData();
      offClear();
      t.dispose();
      term.current = null;
    };
  }, [studio]);

  const save = (): void => {
    const blob = new Blob([studio.debug.console.text()], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `console-${d.session?.board ?? 'session'}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="console-panel">
      <div className="view-tools">
        <span className={`dim console-state ${live ? 'live' : ''}`}>
          {live
            ? `${d.session?.board} console (UART ${d.session?.consoles[0] ?? 0}): type to send`
            : d.session
              ? 'The session ended; its output stays here.'
              : 'No session is running: Run (Ctrl+F5) or Debug (F5) starts one.'}
        </span>
        <span className="spacer" />
        <button onClick={() => studio.debug.console.clear()}>Clear</button>
        <button
          onClick={() => {
            const sel = term.current?.getSelection();
            void navigator.clipboard?.writeText(sel || studio.debug.console.text());
          }}
          title="Copy the selection, or the whole log"
        >
          Copy
        </button>
        <button onClick={save}>Save log…</button>
      </div>
      <div ref={host} className="terminal-host" data-live={live} />
    </div>
  );
}
