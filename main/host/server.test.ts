// Browser mode's gatekeeping and the WebSocket transport: token, cookie, Origin and Host
// checks, CSP, argument validation, and events.
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodeFrame, rawRequest, rawResponseHead, rawUpgrade } from '../../tests/host/wire';
import type { HostEvent, HostEvents } from '../common/contract';
import { createHost, type Host } from './host';
import { startBrowserServer, type BrowserServer } from './server';

let host: Host;
let server: BrowserServer;
let cookie: string;
let base: string;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'capsule-server-'));
  writeFileSync(path.join(root, 'Cargo.toml'), '[workspace]\n');
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src', 'lib.rs'), '// hello\n');
  const ui = mkdtempSync(path.join(os.tmpdir(), 'capsule-ui-'));
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>ui</title>');
  host = createHost({
    projectRoot: root,
    appRoot: root,
    transport: 'browser',
    recoveryDir: mkdtempSync(path.join(os.tmpdir(), 'rec-')),
  });
  server = await startBrowserServer({ host, staticDir: ui });
  base = `http://127.0.0.1:${server.port}`;
  const first = await fetch(server.url, { redirect: 'manual' });
  expect(first.status).toBe(303);
  cookie = first.headers.get('set-cookie')!.split(';')[0]!;
});

afterAll(async () => {
  await server.close();
  host.dispose();
});

function rpc(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function call(
  ws: WebSocket,
  id: number,
  method: string,
  args: unknown,
  timeoutMs = 20_000,
): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`no reply with id ${id} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.kind === 'reply' && msg.id === id) {
        ws.off('message', onMessage);
        clearTimeout(timer);
        resolve(msg.result);
      }
    };
    ws.on('message', onMessage);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      reject(new Error(`connection closed (${code} ${reason.toString()}) before reply ${id}`));
    });
    ws.send(JSON.stringify({ kind: 'call', id, method, args }));
  });
}

/** The server still serves an authenticated page: nothing above knocked it over. */
async function stillServing(): Promise<void> {
  const page = await fetch(`${base}/`, { headers: { cookie } });
  expect(page.status).toBe(200);
}

describe('browser-mode server', () => {
  it('trades the URL token for an HttpOnly SameSite=Strict cookie and serves with a CSP', async () => {
    expect(cookie).toMatch(/^capsule-token-\d+=/);
    const page = await fetch(`${base}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-eval');
    // The page's connections: its WebSocket to /rpc, and the favicon it probes after a drop.
    expect(csp).toContain(
      `connect-src ws://127.0.0.1:${server.port}/rpc http://127.0.0.1:${server.port}/favicon.ico;`,
    );
  });

  it('refuses requests without the token, with a wrong token, or from a foreign Origin or Host', async () => {
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/?token=wrong`)).status).toBe(403);
    const foreign = await fetch(`${base}/`, { headers: { cookie, origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('foreign Origin');
    // fetch() will not override Host, so send this one with http.request.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/',
          headers: { cookie, host: `evil.example:${server.port}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebinding).toBe(403);
  });

  it('refuses WebSocket upgrades without cookie or from another Origin', async () => {
    await expect(rpc({ origin: base })).rejects.toThrow('403');
    await expect(rpc({ origin: 'http://evil.example', cookie })).rejects.toThrow('403');
    await expect(rpc({ cookie })).rejects.toThrow('403');
  });

  it('carries typed calls, validates arguments and confines paths', async () => {
    const ws = await rpc({ origin: base, cookie });
    const file = await call(ws, 1, 'project.readFile', { path: 'src/lib.rs' });
    expect(file).toMatchObject({ ok: true, value: { content: '// hello\n', readOnly: false } });
    const outside = await call(ws, 2, 'project.readFile', { path: '../../etc/passwd' });
    expect(outside).toMatchObject({ ok: false, error: { code: 'outside-project' } });
    const badArgs = await call(ws, 3, 'project.readFile', { path: 42 });
    expect(badArgs).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'project.readFile: arguments.path must be a string' },
    });
    const unknown = await call(ws, 4, 'project.deleteEverything', {});
    expect(unknown).toMatchObject({
      ok: false,
      error: { message: 'unknown method "project.deleteEverything"' },
    });
    ws.close();
  });

  it('pushes host events to connected windows', async () => {
    const ws = await rpc({ origin: base, cookie });
    const saved = await call(ws, 1, 'project.writeFile', { path: 'src/new.rs', content: 'x' });
    expect(saved.ok).toBe(true);
    await call(ws, 2, 'project.watch', { paths: ['src/new.rs'] });
    // Events travel in batches ({ kind: 'events', events: [...] }).
    const event = new Promise<{ name: string; payload: unknown }>((resolve) =>
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString());
        if (msg.kind !== 'events') return;
        const e = msg.events.find((x: { name: string }) => x.name === 'project.fileChanged');
        if (e) resolve(e);
      }),
    );
    rmSync(path.join(root, 'src', 'new.rs'));
    expect(await event).toEqual({
      name: 'project.fileChanged',
      payload: { path: 'src/new.rs', kind: 'deleted', mtimeMs: 0 },
    });
    ws.close();
  });
});

describe('browser-mode server under hostile input (issue 12)', () => {
  const hostHeader = () => `Host: 127.0.0.1:${server.port}\r\n`;

  it.each([['GET //[x HTTP/1.1'], ['GET http://[ HTTP/1.1'], ['GET //[x?token=abc HTTP/1.1']])(
    'answers the unauthenticated request line %j with 400 and stays up',
    async (line) => {
      expect(await rawRequest(server.port, `${line}\r\n${hostHeader()}\r\n`)).toBe(400);
      // The same line on a WebSocket upgrade goes through the upgrade handler.
      const upgrade = `${line}\r\n${hostHeader()}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
      expect(await rawRequest(server.port, upgrade)).toBe(400);
      await stillServing();
    },
  );

  it('answers a malformed percent-escape with 400, authenticated or not', async () => {
    for (const target of ['/100%', '/%E0%A4%A', '/%zz', '/a%', '/rpc%']) {
      const req = `GET ${target} HTTP/1.1\r\n${hostHeader()}Cookie: ${cookie}\r\n\r\n`;
      expect(await rawRequest(server.port, req)).toBe(400);
    }
    await stillServing();
  });

  it('redirects the token URL only to this server, never to another host', async () => {
    for (const target of ['/.//evil.com/', '//evil.com/', '/\\evil.com/', '/./\\evil.com']) {
      const head = await rawResponseHead(
        server.port,
        `GET ${target}?token=${server.token} HTTP/1.1\r\n${hostHeader()}\r\n`,
      );
      // Either refused as a target naming another host, or redirected to this server's root.
      const location = /\r\nLocation: ([^\r]*)/i.exec(head)?.[1];
      if (target === '/.//evil.com/') expect(head).toMatch(/^HTTP\/1\.1 303/);
      if (/^HTTP\/1\.1 303/.test(head)) expect(location).toBe('/');
      else expect(head).toMatch(/^HTTP\/1\.1 400/);
    }
  });

  it.each([
    [
      'a text frame with invalid UTF-8',
      textFrameBytes(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
      1007,
    ],
    ['a reserved opcode', encodeFrame({ opcode: 0x3, payload: Buffer.from('{}') }), 1002],
    [
      'an unmasked client frame',
      encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), mask: false }),
      1002,
    ],
    [
      'reserved bits without an extension',
      encodeFrame({ opcode: 0x1, rsv: 4, payload: Buffer.from('{}') }),
      1002,
    ],
    [
      'a frame over the payload limit',
      encodeFrame({ opcode: 0x1, announcedLength: 2 ** 40 }),
      1009,
    ],
  ])('closes the connection on %s and stays up', async (_what, bytes, code) => {
    const ws = await rawUpgrade(server.port, { Cookie: cookie, Origin: base });
    ws.socket.write(bytes);
    expect((await ws.closed).code).toBe(code);
    await stillServing();
    const fresh = await rpc({ origin: base, cookie });
    expect(await call(fresh, 1, 'project.info', {})).toMatchObject({ ok: true });
    fresh.close();
  });

  it('accepts a contract-valid writeFile of 12 M CJK characters (36 MB on the wire)', async () => {
    const ws = await rpc({ origin: base, cookie });
    const content = '\u4e2d'.repeat(12 * 1024 * 1024);
    const r = await call(ws, 1, 'project.writeFile', { path: 'src/cjk.txt', content }, 60_000);
    expect(r).toMatchObject({ ok: true });
    expect(statSync(path.join(root, 'src', 'cjk.txt')).size).toBe(3 * 12 * 1024 * 1024);
    ws.close();
  }, 90_000);

  it("answers a call with an over-long method name under the call's own id", async () => {
    const ws = await rpc({ origin: base, cookie });
    const r = await call(ws, 77, 'project.' + 'x'.repeat(200), {}, 3000);
    expect(r).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    ws.close();
  });
});

function textFrameBytes(payload: Buffer): Buffer {
  return encodeFrame({ opcode: 0x1, payload });
}

describe('browser-mode server back-pressure per connection', () => {
  it('drops a client that lets events pile up past the hard limit, and only that one', async () => {
    // A host whose events the test emits itself, to every connected window.
    const windows = new Set<(events: HostEvent[]) => void>();
    const emit = (name: 'build.output', payload: HostEvents['build.output']): void =>
      windows.forEach((w) => w([{ name, payload }]));
    const stub: Host = {
      api: host.api,
      instance: host.instance,
      debug: host.debug,
      dispatch: (method, args) => host.dispatch(method, args),
      subscribe: () => () => {},
      connect: (onEvents) => {
        windows.add(onEvents);
        const real = host.connect(() => {});
        return {
          call: (id, method, args) => real.call(id, method, args),
          cancel: (id) => real.cancel(id),
          close: () => {
            windows.delete(onEvents);
            real.close();
          },
        };
      },
      dispose: () => {},
    };
    const logged: string[] = [];
    const ui = mkdtempSync(path.join(os.tmpdir(), 'capsule-ui-'));
    const small = await startBrowserServer({
      host: stub,
      staticDir: ui,
      limits: { softBytes: 64 * 1024, hardBytes: 1024 * 1024 },
      log: (l) => logged.push(l),
    });
    const first = await fetch(small.url, { redirect: 'manual' });
    const smallCookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const origin = `http://127.0.0.1:${small.port}`;
    const stalled = await rawUpgrade(small.port, { Cookie: smallCookie, Origin: origin });
    stalled.socket.pause();
    const reader = await rawUpgrade(small.port, { Cookie: smallCookie, Origin: origin });
    const line = 'x'.repeat(100 * 1024);
    for (let i = 0; i < 100; i++) {
      emit('build.output', { buildId: 1, stream: 'stdout', line: `${i} ${line}` });
      await new Promise((r) => setImmediate(r));
    }
    await reader.waitFor((m) => m.includes('"99 xxx'));
    expect(reader.messages.filter((m) => m.includes('"kind":"events"'))).toHaveLength(100);
    stalled.socket.resume();
    expect((await stalled.closed).code).toBe(0); // dropped, not closed politely
    expect(logged.join('\n')).toContain('dropped a WebSocket client that stopped reading');
    reader.socket.destroy();
    await small.close();
  });
});
