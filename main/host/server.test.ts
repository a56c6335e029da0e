// Browser mode's gatekeeping and the WebSocket transport: token, cookie, Origin and Host
// checks, CSP, argument validation, and events.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
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
): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString());
      if (msg.kind === 'reply' && msg.id === id) {
        ws.off('message', onMessage);
        resolve(msg.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'call', id, method, args }));
  });
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
    const event = new Promise<{ kind: string; name: string; payload: unknown }>((resolve) =>
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString());
        if (msg.kind === 'event') resolve(msg);
      }),
    );
    rmSync(path.join(root, 'src', 'new.rs'));
    expect(await event).toEqual({
      kind: 'event',
      name: 'project.fileChanged',
      payload: { path: 'src/new.rs', kind: 'deleted', mtimeMs: 0 },
    });
    ws.close();
  });
});
