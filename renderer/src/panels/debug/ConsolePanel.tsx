/**
 * Console: an xterm.js terminal on a console of the chosen source. Sources (the picker): the
 * emulator session's console UART, or a board's serial port (the ports the Boards panel lists,
 * and the one open now). Kernel and app output appear as they arrive, typing goes to the
 * process console, ANSI colours are honoured. Clear, Copy and Save the log. The terminal
 * (bundled, no network) replays the source's log when the panel is opened again or the source
 * is switched back.
 *
 * A serial port source is the Boards panel's serial console (one model, `studio.serialConsole`):
 * a baud picker, an optional log file in the project, and the port's state: the host reopens a
 * port that went away when the board reset ("reconnecting"), and lends it to the bootloader.
 *
 * @example
 *   <ConsolePanel studio={studio} />  // picker: "Emulator session" | "/dev/ttyACM0" | ...
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { BaudPicker } from '../../components/SerialConsole';
import { useModel } from '../../models/use';
import type { ConsoleStamps } from '../../models/debug-session';
import type { Studio } from '../../studio';

/**
 * `console-shown`'s detail: when the board sent a chunk, when the worker posted it and the host
 * passed it on (if they said), when the window received it (epoch ms).
 */
export interface ConsoleShown extends ConsoleStamps {
  receivedAt: number;
}

export function ConsolePanel({ studio }: { studio: Studio }) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const d = useModel(studio.debug);
  const serial = useModel(studio.serialConsole);
  const boards = useModel(studio.boards);
  const live = d.session !== null && d.session.phase !== 'ended';
  /** 'session', or a serial port's path (kept in the model: the panel remounts when shown). */
  const source = serial.shown ?? 'session';
  const setSource = (v: string): void => studio.serialConsole.show(v === 'session' ? null : v);
  const ports = [
    ...new Set([
      ...(boards.attached?.ports.map((p) => p.path) ?? []),
      ...(serial.path ? [serial.path] : []),
      ...(source !== 'session' ? [source] : []),
    ]),
  ];
  const port = source === 'session' ? null : source;
  const here = port !== null && serial.path === port;

  useEffect(() => {
    if (!boards.attached) void studio.boards.refresh();
  }, [studio, boards.attached]);

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
    let offData: () => void;
    let offClear: () => void;
    let input: { dispose(): void };
    if (port === null) {
      const log = studio.debug.console;
      t.write(log.all());
      // The terminal host carries when the board sent the last chunk written (data-sent-at) and
      // fires `console-shown` once the terminal has taken each stamped chunk (detail: that
      // stamp and when the window received the chunk, epoch ms), so output latency (UART
      // transmit to terminal shown) and its parts are measured from outside, chunk by chunk
      // (bench:ide).
      offData = log.onData((bytes, stamps) => {
        const receivedAt = Date.now();
        t.write(bytes, () => {
          if (stamps === undefined || !host.current) return;
          host.current.dataset.sentAt = String(stamps.sentAt);
          host.current.dispatchEvent(
            new CustomEvent<ConsoleShown>('console-shown', { detail: { ...stamps, receivedAt } }),
          );
        });
      });
      offClear = log.onClear(() => t.reset());
      input = t.onData((text) => void studio.debug.input(text));
    } else {
      const sc = studio.serialConsole;
      if (sc.snapshot().path === port) t.write(sc.snapshot().text);
      offData = sc.onData((bytes) => {
        if (sc.snapshot().path === port) t.write(bytes);
      });
      offClear = sc.onClear(() => t.reset());
      input = t.onData((text) => {
        if (sc.snapshot().path === port) void sc.sendRaw(text);
      });
    }
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
  }, [studio, port]);

  const text = (): string =>
    port === null ? studio.debug.console.text() : here ? serial.text : '';
  const save = (): void => {
    const blob = new Blob([text()], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download =
      port === null
        ? `console-${d.session?.board ?? 'session'}.log`
        : `console-${port.split('/').pop()}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <div className="console-panel">
      <div className="view-tools">
        <select
          aria-label="Console source"
          value={source}
          onChange={(e) => setSource(e.target.value)}
          title="Whose console: the emulator session, or a board's serial port"
        >
          <option value="session">Emulator session</option>
          {ports.map((p) => (
            <option key={p} value={p}>
              Serial {p}
            </option>
          ))}
        </select>
        {port === null ? (
          <span className={`dim console-state ${live ? 'live' : ''}`}>
            {live
              ? `${d.session?.board} console (UART ${d.session?.consoles[0] ?? 0}): type to send`
              : d.session
                ? 'The session ended; its output stays here.'
                : 'No session is running: Run (Ctrl+F5) or Debug (F5) starts one.'}
          </span>
        ) : (
          <SerialTools studio={studio} port={port} />
        )}
        <span className="spacer" />
        <button
          onClick={() =>
            port === null ? studio.debug.console.clear() : studio.serialConsole.clear()
          }
        >
          Clear
        </button>
        <button
          onClick={() => {
            const sel = term.current?.getSelection();
            void navigator.clipboard?.writeText(sel || text());
          }}
          title="Copy the selection, or the whole log"
        >
          Copy
        </button>
        <button onClick={save}>Save log…</button>
      </div>
      {port !== null && serial.error && (
        <div className="board-error" role="alert">
          {serial.error.message}
          {serial.error.fix && <div className="board-fix">Fix: {serial.error.fix}</div>}
        </div>
      )}
      <div
        ref={host}
        className="terminal-host"
        data-live={port === null ? live : here && serial.info?.state === 'open'}
        data-source={source}
      />
    </div>
  );
}

const SERIAL_STATE = {
  open: 'open: type to send',
  reconnecting:
    'reconnecting (the port went away, as when a board resets; waiting for it to come back)',
  paused: 'lent to the bootloader',
  closed: 'closed',
} as const;

/** Baud picker, log file, open/close and the port's state, for a serial source. */
function SerialTools({ studio, port }: { studio: Studio; port: string }) {
  const c = useModel(studio.serialConsole);
  const here = c.path === port;
  const [baud, setBaud] = useState(115200);
  const [logFile, setLogFile] = useState('');
  return (
    <>
      <BaudPicker studio={studio} port={port} baud={baud} setBaud={setBaud} unit=" baud" />
      {here ? (
        <>
          <span className="dim console-state serial-state" role="status">
            {c.info ? SERIAL_STATE[c.info.state] : 'opening…'}
            {c.info?.logFile && <> — logging to {c.info.logFile}</>}
          </span>
          <button onClick={() => void studio.serialConsole.close()}>Close port</button>
        </>
      ) : (
        <>
          <input
            aria-label="Log file"
            placeholder="log to a project file (optional)"
            value={logFile}
            onChange={(e) => setLogFile(e.target.value)}
          />
          <button
            className="primary"
            onClick={() => void studio.serialConsole.open(port, baud, logFile.trim() || undefined)}
          >
            Open port
          </button>
        </>
      )}
    </>
  );
}
