// The browser-mode host as `npm start` runs it (a separate Node process): requests a web page
// or a broken client can send must never end the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, rawRequest, rawUpgrade, textFrame } from '../../tests/host/wire';
import { parseCliArgs } from './cli';

const APP_ROOT = path.resolve(import.meta.dirname, '..', '..');

let child: ChildProcess;
let output = '';
let port = 0;
let cookie = '';

beforeAll(async () => {
  const project = mkdtempSync(path.join(os.tmpdir(), 'capsule-cli-'));
  writeFileSync(path.join(project, 'Cargo.toml'), '[workspace]\n');
  child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(APP_ROOT, 'main', 'host', 'cli.ts'), project, '--no-browser'],
    {
      cwd: APP_ROOT,
      env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'cache-')) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Open: (http:\/\/127\.0\.0\.1:(\d+)\/\?token=\S+)/.exec(output);
      if (m) {
        clearInterval(timer);
        port = Number(m[2]);
        resolve(m[1]!);
      }
    }, 20);
    child.once('exit', (code) => reject(new Error(`host exited (${code}): ${output}`)));
  });
  const first = await fetch(url, { redirect: 'manual' });
  cookie = first.headers.get('set-cookie')!.split(';')[0]!;
}, 30_000);

afterAll(() => {
  child.kill('SIGTERM');
});

async function alive(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
  expect(child.exitCode, output).toBe(null);
  const page = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
  expect([200, 404]).toContain(page.status); // 404: the UI bundle is not built in this test
}

describe('browser-mode host process', () => {
  it('survives pre-authentication request lines that are not URLs', async () => {
    for (const line of ['GET //[x HTTP/1.1', 'GET http://[ HTTP/1.1']) {
      const status = await rawRequest(port, `${line}\r\nHost: 127.0.0.1:${port}\r\n\r\n`).catch(
        () => 0,
      );
      expect(status, `${line} -> ${output}`).toBe(400);
      await alive();
    }
  });

  it('survives a malformed percent-escape and WebSocket protocol errors', async () => {
    const status = await rawRequest(
      port,
      `GET /100% HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\n\r\n`,
    ).catch(() => 0);
    expect(status).toBe(400);
    await alive();
    const frames = [
      encodeFrame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28]) }),
      encodeFrame({ opcode: 0xb, payload: Buffer.alloc(0) }),
      encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), mask: false }),
      encodeFrame({ opcode: 0x2, announcedLength: 2 ** 53 - 1 }),
      textFrame('{"kind":"call","id":1,"method":"' + 'm'.repeat(300) + '"}'),
    ];
    for (const bytes of frames) {
      const ws = await rawUpgrade(port, { Cookie: cookie, Origin: `http://127.0.0.1:${port}` });
      ws.socket.write(bytes);
      await Promise.race([ws.closed, new Promise((r) => setTimeout(r, 300))]);
      ws.socket.destroy();
      await alive();
    }
  });
});

describe('parseCliArgs', () => {
  it('reads the project, --port and --no-browser', () => {
    expect(parseCliArgs(['/p', '--port', '8080', '--no-browser'], {})).toMatchObject({
      project: '/p',
      port: 8080,
      openBrowser: false,
    });
    expect(parseCliArgs(['--port', 'x'], {})).toBe('port must be an integer 0..65535');
  });
});
