/**
 * The Capsule Studio host: one implementation of `HostApi` behind both transports.
 *
 * `createHost` composes the services for one open project and returns a `dispatch` that takes
 * an untrusted "service.method" name and argument value, checks both against the contract and
 * runs the call. Electron's IPC handlers and the browser-mode WebSocket both call `dispatch`
 * and forward `subscribe`d events, so neither transport holds any behaviour of its own.
 *
 * @example
 *   const host = createHost({ projectRoot: '/home/me/kernel', appRoot, transport: 'browser' });
 *   const off = host.subscribe((name, payload) => socket.send(JSON.stringify({ kind: 'event', name, payload })));
 *   const result = await host.dispatch('project.readFile', { path: 'Cargo.toml' });
 */
import path from 'node:path';
import {
  schemaFor,
  type HostApi,
  type HostEventName,
  type HostEvents,
  type ProjectInfo,
  type Result,
} from '../common/contract.js';
import { BuildService } from './build.js';
import { ProjectService, err } from './project.js';
import { RecoveryStore } from './recovery.js';

export interface HostOptions {
  projectRoot: string;
  /** Folder of the Capsule Studio installation (holds scripts/kernel.mjs). */
  appRoot: string;
  transport: ProjectInfo['transport'];
  recoveryDir?: string;
  builderScript?: string;
}

export type EventListener = <K extends HostEventName>(name: K, payload: HostEvents[K]) => void;

export interface Host {
  api: HostApi;
  dispatch(method: string, args: unknown): Promise<Result<unknown>>;
  subscribe(listener: EventListener): () => void;
  dispose(): void;
}

export function createHost(opts: HostOptions): Host {
  const projectRoot = path.resolve(opts.projectRoot);
  const listeners = new Set<EventListener>();
  const emit: EventListener = (name, payload) => {
    for (const l of listeners) {
      try {
        l(name, payload);
      } catch {
        // A broken listener (a closed socket) must not stop the others.
      }
    }
  };
  const project = new ProjectService(projectRoot, opts.transport, emit);
  const recovery = new RecoveryStore(projectRoot, opts.recoveryDir);
  const build = new BuildService({
    projectRoot,
    builderScript: opts.builderScript ?? path.join(opts.appRoot, 'scripts', 'kernel.mjs'),
    emit,
  });

  const api: HostApi = {
    project: {
      info: async () => project.info(),
      listFiles: () => project.listFiles(),
      readFile: ({ path: p }) => project.readFile(p),
      writeFile: ({ path: p, content, expectedMtimeMs }) =>
        project.writeFile(p, content, expectedMtimeMs),
      watch: ({ paths }) => project.watch(paths),
    },
    recovery: {
      put: ({ path: p, content, baseMtimeMs }) => recovery.put(p, content, baseMtimeMs),
      discard: ({ path: p }) => recovery.discard(p),
      list: async () => recovery.list(),
    },
    build: {
      start: async ({ board }) => build.start(board, project.boards()),
      cancel: async ({ buildId }) => build.cancel(buildId),
    },
  };

  return {
    api,
    async dispatch(method, args) {
      const schema = schemaFor(method);
      if (!schema) return err('bad-request', `unknown method "${method}"`);
      const checked = schema.check(args ?? {}, 'arguments');
      if (!checked.ok) return err('bad-request', `${method}: ${checked.error}`);
      const [service, name] = method.split('.') as [keyof HostApi, string];
      const fn = (
        api[service] as unknown as Record<string, (a: unknown) => Promise<Result<unknown>>>
      )[name]!;
      try {
        return await fn(checked.value);
      } catch (e) {
        return err('io', `${method} failed: ${(e as Error).message}`);
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      project.dispose();
      build.dispose();
      listeners.clear();
    },
  };
}
