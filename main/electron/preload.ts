/**
 * Electron preload: exposes the host contract to the sandboxed renderer as named async
 * functions, and nothing else.
 *
 * For each "service.method" of the contract it exposes `capsule.<service>.<method>(args, callId)`,
 * which invokes the IPC channel of that one method; `capsule.cancel(callId)` cancels a call and
 * event batches arrive through `capsule.onEvents`. There is no generic send or invoke: the page
 * cannot reach any channel the contract does not name. Bundled to CommonJS
 * (dist/main/preload.cjs) because sandboxed preloads cannot load ES modules; the channel names
 * are written out here rather than imported from ipc.ts, which needs Electron's main process.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { contract, type EventsMessage } from '../common/contract.js';

const api: Record<
  string,
  Record<string, (args: unknown, callId?: number) => Promise<unknown>>
> = {};
for (const [service, methods] of Object.entries(contract)) {
  const fns: Record<string, (args: unknown, callId?: number) => Promise<unknown>> = {};
  for (const method of Object.keys(methods)) {
    const channel = `capsule:${service}.${method}`;
    fns[method] = (args: unknown, callId?: number) => ipcRenderer.invoke(channel, args, callId);
  }
  api[service] = fns;
}

contextBridge.exposeInMainWorld('capsule', {
  ...api,
  cancel(callId: number): Promise<unknown> {
    return ipcRenderer.invoke('capsule:cancel', callId);
  },
  onEvents(listener: (message: EventsMessage) => void): () => void {
    const wrapped = (_event: unknown, message: EventsMessage): void => listener(message);
    ipcRenderer.on('capsule:events', wrapped);
    return () => ipcRenderer.removeListener('capsule:events', wrapped);
  },
});
