/**
 * The serial console of a board, in the Boards panel: the chosen port opened at a baud rate
 * (optionally logged to a project file), what the board prints as it arrives, a line to type
 * commands into (Enter sends the line and a carriage return), and the port's state: open,
 * reconnecting after the board reset, lent to the bootloader, or closed.
 *
 * @example
 *   <SerialConsole studio={studio} port="/dev/ttyACM0" />
 */
import { useEffect, useRef, useState } from 'react';
import { BAUD_RATES } from '../../../main/common/contract';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const STATE_TEXT = {
  open: 'open',
  reconnecting: 'reconnecting (the port went away; waiting for it to come back)',
  paused: 'lent to the bootloader',
  closed: 'closed',
} as const;

export function SerialConsole({ studio, port }: { studio: Studio; port: string }) {
  const c = useModel(studio.serialConsole);
  const [baud, setBaud] = useState(115200);
  const [logFile, setLogFile] = useState('');
  const [line, setLine] = useState('');
  const out = useRef<HTMLPreElement>(null);
  const here = c.path === port;
  useEffect(() => {
    const el = out.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [c.text]);
  return (
    <div className="serial-console" data-console={here ? port : undefined}>
      <div className="serial-console-bar">
        <label>
          Baud <BaudPicker studio={studio} port={port} baud={baud} setBaud={setBaud} />
        </label>{' '}
        {!here && (
          <>
            <input
              aria-label="Log file"
              placeholder="log to a project file (optional)"
              value={logFile}
              onChange={(e) => setLogFile(e.target.value)}
            />{' '}
            <button
              className="primary"
              onClick={() =>
                void studio.serialConsole.open(port, baud, logFile.trim() || undefined)
              }
            >
              Open console
            </button>
          </>
        )}
        {here && (
          <>
            <span className="serial-console-state" role="status">
              {c.info ? STATE_TEXT[c.info.state] : 'opening…'}
              {c.info?.logFile && <> — logging to {c.info.logFile}</>}
            </span>{' '}
            <button className="ghost" onClick={() => studio.serialConsole.clear()}>
              Clear
            </button>
            <button className="ghost" onClick={() => void studio.serialConsole.close()}>
              Close console
            </button>
          </>
        )}
      </div>
      {c.error && (
        <div className="board-error" role="alert">
          {c.error.message}
          {c.error.fix && <div className="board-fix">Fix: {c.error.fix}</div>}
        </div>
      )}
      {here && (
        <>
          <pre className="serial-output" ref={out} aria-label="Serial output">
            {c.text || 'Nothing received yet.'}
          </pre>
          <form
            className="serial-input"
            onSubmit={(e) => {
              e.preventDefault();
              void studio.serialConsole.send(line).then((ok) => ok && setLine(''));
            }}
          >
            <input
              aria-label="Console input"
              placeholder="type a command, Enter sends it"
              value={line}
              onChange={(e) => setLine(e.target.value)}
            />
          </form>
        </>
      )}
    </div>
  );
}

/**
 * The baud rate of a serial console: the open port's rate (changed at once), or the rate the
 * port will be opened at. Shared by the Boards panel and the Console panel.
 */
export function BaudPicker({
  studio,
  port,
  baud,
  setBaud,
  unit = '',
}: {
  studio: Studio;
  port: string;
  baud: number;
  setBaud(rate: number): void;
  /** Text after each rate (" baud" where no label says it). */
  unit?: string;
}) {
  const c = useModel(studio.serialConsole);
  const here = c.path === port;
  return (
    <select
      aria-label="Baud rate"
      value={here && c.info ? c.info.baudRate : baud}
      onChange={(e) => {
        const rate = Number(e.target.value);
        setBaud(rate);
        if (here) void studio.serialConsole.setBaudRate(rate);
      }}
    >
      {BAUD_RATES.map((r) => (
        <option key={r} value={r}>
          {r}
          {unit}
        </option>
      ))}
    </select>
  );
}
