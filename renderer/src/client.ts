/**
 * The renderer's typed proxy for the host contract, over Electron IPC or a WebSocket.
 *
 * `connectHost()` picks the transport: the preload's `window.capsule` bridge in Electron, or a
 * WebSocket to `/rpc` on the page's own origin in browser mode (the access cookie travels with
 * the upgrade). Either way the result is a `HostApi` built from the contract's method table,
 * so calls are typed and no code here names a channel by hand. The WebSocket reconnects after
 * a drop; calls made while it is down resolve to an `unavailable` error instead of hanging.
 *
 * @example
 *   const host = connectHost();
 *   const files = await host.api.project.listFiles({});
 *   host.onEvent('build.output', (e) => append(e.line));
 */
import {
  contract,
  type HostApi,
  type HostEventName,
  type HostEvents,
  type ReplyMessage,
  type Result,
  type WireMessage,
} from '../../main/common/contract';

export interface Transport {
  call(method: string, args: unknown): Promise<Result<unknown>>;
  onEvent(listener: (name: HostEventName, payload: unknown) => void): () => void;
  onStatus?(listener: (connected: boolean) => void): void;
}

export interface HostConnection {
  api: HostApi;
  onEvent<K extends HostEventName>(name: K, listener: (payload: HostEvents[K]) => void): () => void;
  onStatus(listener: (connected: boolean) => void): void;
}

/** Builds the typed API from the contract's method table over any transport. */
export function createApi(transport: Transport): HostApi {
  const api: Record<string, Record<string, (args: unknown) => Promise<Result<unknown>>>> = {};
  for (const [service, methods] of Object.entries(contract)) {
    api[service] = {};
    for (const method of Object.keys(methods)) {
      api[service][method] = (args: unknown) => transport.call(`${service}.${method}`, args ?? {});
    }
  }
  return api as unknown as HostApi;
}

export function electronTransport(bridge: NonNullable<Window['capsule']>): Transport {
  return {
    async call(method, args) {
      const [service, name] = method.split('.') as [string, string];
      const fn = bridge[service]?.[name];
      if (!fn)
        return {
          ok: false,
          error: { code: 'unavailable', message: `${method} is not exposed by the preload` },
        };
      return (await fn(args)) as Result<unknown>;
    },
    onEvent(listener) {
      return bridge.onEvent((m) => listener(m.name, m.payload));
    },
  };
}

export function webSocketTransport(url: string): Transport {
  let nextId = 1;
  let retryMs = 250;
  const pending = new Map<number, (r: Result<unknown>) => void>();
  const eventListeners = new Set<(name: HostEventName, payload: unknown) => void>();
  const statusListeners = new Set<(connected: boolean) => void>();
  let opened: Promise<WebSocket>;

  const connect = (): Promise<WebSocket> =>
    new Promise((resolve) => {
      const ws = new WebSocket(url);
      ws.onopen = () => {
        retryMs = 250;
        statusListeners.forEach((l) => l(true));
        resolve(ws);
      };
      ws.onmessage = (ev) => {
        let msg: WireMessage;
        try {
          msg = JSON.parse(String(ev.data)) as WireMessage;
        } catch {
          return;
        }
        if (msg.kind === 'reply') {
          const r = msg as ReplyMessage;
          pending.get(r.id)?.(r.result);
          pending.delete(r.id);
        } else if (msg.kind === 'event') {
          eventListeners.forEach((l) => l(msg.name, msg.payload));
        }
      };
      ws.onclose = () => {
        statusListeners.forEach((l) => l(false));
        for (const [, settle] of pending)
          settle({
            ok: false,
            error: {
              code: 'unavailable',
              message: 'the connection to the Capsule Studio host was lost',
            },
          });
        pending.clear();
        setTimeout(() => {
          opened = connect();
        }, retryMs);
        retryMs = Math.min(retryMs * 2, 5000);
      };
    });
  opened = connect();

  return {
    async call(method, args) {
      const ws = await Promise.race([
        opened,
        new Promise<null>((r) => setTimeout(() => r(null), 10_000)),
      ]);
      if (!ws || ws.readyState !== WebSocket.OPEN)
        return {
          ok: false,
          error: {
            code: 'unavailable',
            message: 'the Capsule Studio host is not reachable; is `npm start` still running?',
          },
        };
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        ws.send(JSON.stringify({ kind: 'call', id, method, args }));
      });
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
    },
  };
}

export function connectHost(): HostConnection {
  const transport = window.capsule
    ? electronTransport(window.capsule)
    : webSocketTransport(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`);
  return {
    api: createApi(transport),
    onEvent(name, listener) {
      return transport.onEvent((n, payload) => {
        if (n === name) listener(payload as HostEvents[typeof name]);
      });
    },
    onStatus(listener) {
      transport.onStatus?.(listener);
    },
  };
}
