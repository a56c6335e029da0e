/**
 * The contract over Electron IPC: one `ipcMain.handle` channel per contract method, one for
 * cancelling a call, and the host's event batches sent to the window.
 *
 * Each call is accepted only when `trusted` says it comes from our own window's top frame; its
 * arguments are then checked by the host's dispatcher like any other transport's. The window's
 * calls run on one host `Connection`, so a cancel reaches the handler's abort signal and events
 * arrive in the same batches as in browser mode.
 *
 * @example
 *   bindContractIpc(host, ipcMain, { trusted: trustedSender, send: (m) => win.webContents.send('capsule:events', m) });
 */
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { methodIds, type EventsMessage, type Result } from '../common/contract.js';
import type { Host } from '../host/host.js';

export const EVENTS_CHANNEL = 'capsule:events';
export const CANCEL_CHANNEL = 'capsule:cancel';

export function bindContractIpc(
  host: Host,
  ipc: Pick<IpcMain, 'handle'>,
  opts: { trusted(event: IpcMainInvokeEvent): boolean; send(message: EventsMessage): void },
): () => void {
  const conn = host.connect((events) => opts.send({ kind: 'events', events }));
  const refused: Result<unknown> = {
    ok: false,
    error: { code: 'bad-request', message: 'IPC from an untrusted frame refused' },
  };
  for (const id of methodIds()) {
    ipc.handle(`capsule:${id}`, async (event, args: unknown, callId: unknown) => {
      if (!opts.trusted(event)) return refused;
      // Calls without an id cannot be cancelled; -1 never matches a cancel.
      const n = typeof callId === 'number' && Number.isInteger(callId) && callId >= 0 ? callId : -1;
      return conn.call(n, id, args);
    });
  }
  ipc.handle(CANCEL_CHANNEL, (event, callId: unknown) => {
    if (opts.trusted(event) && typeof callId === 'number') conn.cancel(callId);
  });
  return () => conn.close();
}
