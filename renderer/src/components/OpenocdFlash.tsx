/**
 * Flash and debug a board through OpenOCD, in the Boards panel: the board (from the registry's
 * boards with an OpenOCD configuration), how it is reached (one of the listed debug probes, or
 * the emulated board on its remote_bitbang port), the build image; "Flash" programs it with
 * verify and reset (phases and bytes from OpenOCD's output, the error with its fix), "Debug"
 * attaches the debug session through OpenOCD's GDB port.
 *
 * @example
 *   <OpenocdFlash studio={studio} />
 */
import { useEffect, useState } from 'react';
import type { HostError } from '../../../main/common/contract';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const EMULATED = 'emulated';

export function OpenocdFlash({ studio }: { studio: Studio }) {
  const boards = useModel(studio.boards);
  const { board: projectBoard } = useModel(studio.project);
  const o = useModel(studio.openocd);
  const session = useModel(studio.debug);
  const [image, setImage] = useState('');
  const [port, setPort] = useState('');
  const choices = boards.attached?.openocdBoards ?? [];
  const probes = boards.attached?.probes ?? [];
  const [reach, setReach] = useState('');
  const [attachError, setAttachError] = useState<HostError | null>(null);
  const reachValue = reach || (probes[0] ? `probe:${probes[0].serialNumber ?? ''}` : EMULATED);

  useEffect(() => {
    if (o.board || choices.length === 0) return;
    const b = choices.some((c) => c.name === projectBoard) ? projectBoard : choices[0]!.name;
    studio.openocd.choose({ board: b });
  }, [o.board, choices, projectBoard, studio]);
  useEffect(() => {
    if (!o.images.includes(image)) setImage(o.images[0] ?? '');
  }, [o.images, image]);
  useEffect(() => {
    if (reachValue === EMULATED) {
      const n = Number(port);
      studio.openocd.choose({
        via: Number.isInteger(n) && n > 0 && n < 65536 ? { emulatorPort: n } : {},
      });
    } else {
      const serial = reachValue.slice('probe:'.length);
      studio.openocd.choose({ via: serial ? { probeSerial: serial } : {} });
    }
  }, [reachValue, port, studio]);

  const needsPort = reachValue === EMULATED && o.via.emulatorPort === undefined;
  const busy = o.flashing !== null;
  const p = o.progress;
  const sessionLive = session.session !== null && session.session.phase !== 'ended';
  return (
    <div className="openocd-flash">
      <div className="openocd-row">
        <label>
          Board{' '}
          <select
            aria-label="OpenOCD board"
            value={o.board}
            onChange={(e) => studio.openocd.choose({ board: e.target.value })}
          >
            {choices.map((b) => (
              <option key={b.name} value={b.name}>
                {b.label}
              </option>
            ))}
          </select>
        </label>{' '}
        <label>
          through{' '}
          <select aria-label="Probe" value={reachValue} onChange={(e) => setReach(e.target.value)}>
            {probes.map((pr) => (
              <option
                key={`${pr.vendorId}:${pr.productId}:${pr.serialNumber ?? ''}`}
                value={`probe:${pr.serialNumber ?? ''}`}
              >
                {pr.name}
                {pr.serialNumber ? ` #${pr.serialNumber}` : ''}
              </option>
            ))}
            <option value={EMULATED}>the emulated board (remote_bitbang port)</option>
          </select>
        </label>
        {reachValue === EMULATED && (
          <>
            {' '}
            <input
              aria-label="remote_bitbang port"
              className="openocd-port"
              placeholder="port (npm run emulator -- --remote-bitbang PORT)"
              value={port}
              onChange={(e) => setPort(e.target.value.trim())}
            />
          </>
        )}
      </div>
      <div className="openocd-row">
        <label>
          Image{' '}
          <select aria-label="Flash image" value={image} onChange={(e) => setImage(e.target.value)}>
            {o.images.length === 0 && (
              <option value="">no image.hex or kernel.elf from a build of {o.board}</option>
            )}
            {o.images.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </label>{' '}
        <button
          className="primary"
          disabled={busy || !image || needsPort || !o.board}
          onClick={() => void studio.openocd.flash(image)}
        >
          Flash
        </button>{' '}
        <button
          disabled={busy || needsPort || !o.board || sessionLive}
          title="Debug the board through OpenOCD's GDB port"
          onClick={() => {
            setAttachError(null);
            void studio.debug.attachOpenocd(o.board, o.via).then(setAttachError);
          }}
        >
          Debug
        </button>
      </div>
      {busy && (
        <div className="boards-busy" role="status">
          Flashing {o.flashing?.image}…
          {p && (
            <>
              {' '}
              {p.phase}
              {p.total > 0 && (
                <>
                  {' '}
                  <progress max={p.total} value={p.done} /> {Math.round((100 * p.done) / p.total)}%
                </>
              )}
              {p.message && <span className="boards-progress-message"> {p.message}</span>}
            </>
          )}
        </div>
      )}
      {o.result && (
        <div className="openocd-result" role="status">
          Flashed {o.result.bytes} bytes into {o.result.board}
          {o.result.verified ? ', verified' : ''}
          {o.result.reset ? ', reset' : ''} ({(o.result.ms / 1000).toFixed(1)} s).
        </div>
      )}
      {sessionLive && session.session?.mode === 'attach' && (
        <div className="openocd-session" role="status">
          Debugging {session.session.board} through {session.session.target}:{' '}
          {session.session.phase}
        </div>
      )}
      {attachError && (
        <div className="board-error" role="alert">
          {attachError.message}
          {attachError.fix && <pre className="board-fix">Fix: {attachError.fix}</pre>}
        </div>
      )}
      {o.error && (
        <div className="board-error" role="alert">
          {o.error.message}
          {o.error.fix && <pre className="board-fix">Fix: {o.error.fix}</pre>}
        </div>
      )}
    </div>
  );
}
