/**
 * Electron preload: exposes the host contract to the sandboxed renderer as named async
 * functions, and nothing else.
 *
 * For each "service.method" of the contract it exposes `capsule.<service>.<method>(args)`,
 * which invokes the IPC channel of that one method; events arrive through `capsule.onEvent`.
 * There is no generic send or invoke: the page cannot reach any channel the contract does not
 * name. Bundled to CommonJS (dist/main/preload.cjs) because sandboxed preloads cannot load ES
 * modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { contract, type EventMessage } from '../common/contract.js';

const api: Record<string, Record<string, (args: unknown) => Promise<unknown>>> = {};
for (const [service, methods] of Object.entries(contract)) {
  const fns: Record<string, (args: unknown) => Promise<unknown>> = {};
  for (const method of Object.keys(methods)) {
    const channel = `capsule:${service}.${method}`;
    fns[method] = (args: unknown) => ipcRenderer.invoke(channel, args);
  }
  api[service] = fns;
}

contextBridge.exposeInMainWorld('capsule', {
  ...api,
  onEvent(listener: (message: EventMessage) => void): () => void {
    const wrapped = (_event: unknown, message: EventMessage): void => listener(message);
    ipcRenderer.on('capsule:event', wrapped);
    return () => ipcRenderer.removeListener('capsule:event', wrapped);
  },
});
