/**
 * The Boards panel: debug probes and serial ports attached to this machine (live), why one
 * cannot be opened (with the udev rule to add), flashing and debugging a board through OpenOCD
 * (OpenocdFlash), and Tock's serial bootloader on the chosen
 * port: its layout and attributes, the apps it holds, install / remove / erase apps, and EXIT
 * to start the kernel.
 */
import { useEffect, useState } from 'react';
import type { BootloaderSession, SerialPortEntry } from '../../../main/common/contract';
import { OpenocdFlash } from '../components/OpenocdFlash';
import { SerialConsole } from '../components/SerialConsole';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;
const kib = (n: number): string =>
  n >= 1024 ? `${(n / 1024).toFixed(n % 1024 ? 1 : 0)} KiB` : `${n} B`;

function PortRow(props: {
  port: SerialPortEntry;
  chosen: boolean;
  onChoose: () => void;
  onRemove: () => void;
}) {
  const { port } = props;
  const usb = port.vendorId ? `${port.vendorId}:${port.productId ?? '????'}` : '';
  return (
    <tr className={props.chosen ? 'chosen' : ''} data-port={port.path}>
      <td>
        <label>
          <input type="radio" name="board-port" checked={props.chosen} onChange={props.onChoose} />{' '}
          <code>{port.path}</code>
        </label>
      </td>
      <td>
        {[port.manufacturer, port.product].filter(Boolean).join(' ') ||
          (port.manual ? 'added by hand' : '')}
      </td>
      <td>
        {usb}
        {port.serialNumber ? ` #${port.serialNumber}` : ''}
      </td>
      <td>{port.probe ?? ''}</td>
      <td>
        {port.problem && (
          <div className="board-problem">
            {port.problem}
            {port.fix &&
              (port.fix.includes('\n') ? (
                <pre>{port.fix}</pre>
              ) : (
                <div className="board-fix">Fix: {port.fix}</div>
              ))}
          </div>
        )}
        {port.manual && (
          <button className="ghost" onClick={props.onRemove} title="Forget this port">
            Remove
          </button>
        )}
      </td>
    </tr>
  );
}

function Session({ studio, session }: { studio: Studio; session: BootloaderSession }) {
  const { busy, appFiles, kernelFiles } = useModel(studio.boards);
  const [file, setFile] = useState('');
  const [kernel, setKernel] = useState('');
  useEffect(() => {
    if (!appFiles.includes(file)) setFile(appFiles[0] ?? '');
  }, [appFiles, file]);
  useEffect(() => {
    if (!kernelFiles.includes(kernel)) setKernel(kernelFiles[0] ?? '');
  }, [kernelFiles, kernel]);
  const apps = session.apps.filter((a) => !a.padding);
  const L = session.layout;
  return (
    <div className="bootloader-session" data-bootloader={session.path}>
      <div className="session-title">
        <strong>{session.label}</strong> — bootloader {hex(L.bootloader[0])}-{hex(L.bootloader[1])},
        kernel {hex(L.kernel[0])}-{hex(L.kernel[1])}, apps {hex(L.apps[0])}-{hex(L.apps[1])} (apps
        are written only above the apps start; a kernel only into the kernel region; the bootloader
        never)
      </div>
      <div className="session-attributes">
        Attributes:{' '}
        {session.attributes.map((a) => (
          <span key={a.index} className="attribute" title={`attribute ${a.index}`}>
            {a.key}=<code>{a.value}</code>
          </span>
        ))}
      </div>
      <table className="bootloader-apps">
        <thead>
          <tr>
            <th>app</th>
            <th>address</th>
            <th>size</th>
            <th>flags</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {apps.length === 0 && (
            <tr>
              <td colSpan={5}>No apps are installed.</td>
            </tr>
          )}
          {apps.map((a) => (
            <tr key={a.address} data-app={a.name}>
              <td>{a.name}</td>
              <td>
                <code>{hex(a.address)}</code>
              </td>
              <td>{kib(a.size)}</td>
              <td>
                {[
                  a.enabled ? 'enabled' : 'disabled',
                  a.sticky ? 'sticky' : null,
                  a.fixedFlash === null ? 'position independent' : `linked at ${hex(a.fixedFlash)}`,
                ]
                  .filter(Boolean)
                  .join(', ')}
              </td>
              <td>
                <button disabled={!!busy} onClick={() => void studio.boards.uninstall(a.name)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {session.problem && <div className="board-problem">{session.problem}</div>}
      <div className="session-actions">
        <label>
          App file{' '}
          <select aria-label="App file" value={file} onChange={(e) => setFile(e.target.value)}>
            {appFiles.length === 0 && (
              <option value="">no .tab/.tbf from a build of {session.board}</option>
            )}
            {appFiles.map((f) => (
              <option key={f} value={f}>
                {f.slice(f.lastIndexOf('/') + 1)}
              </option>
            ))}
          </select>
        </label>
        <button
          className="primary"
          disabled={!!busy || !file}
          onClick={() => void studio.boards.install(file)}
        >
          Install
        </button>
        <button disabled={!!busy} onClick={() => void studio.boards.refreshApps()}>
          List apps
        </button>
        <button
          disabled={!!busy || apps.length === 0}
          onClick={() => void studio.boards.eraseApps(false)}
        >
          Erase all apps
        </button>
        <button disabled={!!busy} onClick={() => void studio.boards.exit()}>
          Exit bootloader (start kernel)
        </button>
        <button className="ghost" disabled={!!busy} onClick={() => void studio.boards.close()}>
          Close port
        </button>
      </div>
      <div className="session-actions">
        <label>
          Kernel image{' '}
          <select
            aria-label="Kernel image"
            value={kernel}
            onChange={(e) => setKernel(e.target.value)}
          >
            {kernelFiles.length === 0 && (
              <option value="">no kernel.elf from a build of {session.board}</option>
            )}
            {kernelFiles.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>
        <button disabled={!!busy || !kernel} onClick={() => void studio.boards.flashKernel(kernel)}>
          Flash kernel
        </button>
      </div>
    </div>
  );
}

export function BoardsPanel({ studio }: { studio: Studio }) {
  const state = useModel(studio.boards);
  const { board } = useModel(studio.project);
  const [manual, setManual] = useState('');
  const [target, setTarget] = useState('');
  useEffect(() => {
    if (state.attached === null) void studio.boards.refresh();
  }, [state.attached, studio]);
  const boards = state.attached?.bootloaderBoards ?? [];
  const chosenBoard =
    target || (boards.some((b) => b.name === board) ? board : boards[0]?.name) || '';
  const a = state.attached;
  const p = state.progress;
  return (
    <div className="boards-panel">
      <section>
        <h3>Debug probes</h3>
        {a === null && <div>Looking for probes and ports…</div>}
        {a && a.probes.length === 0 && (
          <div className="boards-empty">No debug probe is attached.</div>
        )}
        {a?.probes.map((probe) => (
          <div
            key={`${probe.vendorId}:${probe.productId}:${probe.serialNumber ?? ''}`}
            className="probe"
          >
            <strong>{probe.name}</strong> {probe.vendorId}:{probe.productId}
            {probe.serialNumber ? ` #${probe.serialNumber}` : ''}
            {probe.ports.length > 0 && <> — serial port {probe.ports.join(', ')}</>}
            {probe.problem && (
              <div className="board-problem">
                {probe.problem}
                {probe.fix &&
                  (probe.fix.includes('\n') ? (
                    <pre>{probe.fix}</pre>
                  ) : (
                    <div className="board-fix">Fix: {probe.fix}</div>
                  ))}
              </div>
            )}
          </div>
        ))}
        {a?.notes.map((n) => (
          <div key={n} className="boards-note">
            {n}
          </div>
        ))}
      </section>
      <section>
        <h3>Flash and debug through OpenOCD</h3>
        <OpenocdFlash studio={studio} />
      </section>
      <section>
        <h3>Serial ports</h3>
        {a && a.ports.length === 0 && (
          <div className="boards-empty">
            No serial port is attached. Plug a board in, or add a port by its path.
          </div>
        )}
        {a && a.ports.length > 0 && (
          <table className="ports">
            <tbody>
              {a.ports.map((port) => (
                <PortRow
                  key={port.path}
                  port={port}
                  chosen={port.path === state.port}
                  onChoose={() => studio.boards.selectPort(port.path)}
                  onRemove={() => void studio.boards.removePort(port.path)}
                />
              ))}
            </tbody>
          </table>
        )}
        <form
          className="add-port"
          onSubmit={(e) => {
            e.preventDefault();
            void studio.boards.addPort(manual).then((ok) => ok && setManual(''));
          }}
        >
          <input
            aria-label="Port path"
            placeholder="/dev/pts/3 (a pseudo-terminal, an emulated board)"
            value={manual}
            onChange={(e) => setManual(e.target.value)}
          />
          <button type="submit" disabled={!manual.trim()}>
            Add port
          </button>
        </form>
      </section>
      <section>
        <h3>Serial console</h3>
        {!state.port && <div className="boards-empty">Choose a serial port above.</div>}
        {state.port && <SerialConsole studio={studio} port={state.port} />}
      </section>
      <section>
        <h3>Tock bootloader</h3>
        {!state.port && <div className="boards-empty">Choose a serial port above.</div>}
        {state.port && (
          <div className="bootloader-open">
            <label>
              Board{' '}
              <select
                aria-label="Board"
                value={chosenBoard}
                onChange={(e) => setTarget(e.target.value)}
              >
                {boards.map((b) => (
                  <option key={b.name} value={b.name}>
                    {b.label}
                  </option>
                ))}
              </select>
            </label>{' '}
            <button
              className="primary"
              disabled={!!state.busy || !chosenBoard}
              onClick={() => void studio.boards.openBootloader(chosenBoard)}
            >
              {state.session ? 'Reopen bootloader' : 'Open bootloader'}
            </button>{' '}
            on <code>{state.port}</code>
          </div>
        )}
        {state.busy && (
          <div className="boards-busy" role="status">
            {state.busy}…
            {p && p.total > 0 && (
              <>
                {' '}
                <progress max={p.total} value={p.done} /> {p.phase}{' '}
                {Math.round((100 * p.done) / p.total)}%
              </>
            )}
            {p?.message && <span className="boards-progress-message"> {p.message}</span>}
          </div>
        )}
        {state.error && (
          <div className="board-error" role="alert">
            {state.error.message}
            {state.error.fix && <div className="board-fix">Fix: {state.error.fix}</div>}
          </div>
        )}
        {state.session && state.session.path === state.port && (
          <Session studio={studio} session={state.session} />
        )}
        {state.log.length > 0 && (
          <ul className="boards-log">
            {state.log.slice(-6).map((l, i) => (
              <li key={i}>{l}</li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
