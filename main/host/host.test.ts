// The host's connections: events of one tick arrive as one batch and before the reply that
// follows them, a cancelled call resolves at once and its handler sees the abort, and bytes
// cross the browser-mode WebSocket intact (the real server, a real socket).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { HostEvent } from '../common/contract';
import { decodeFrame, encodeFrame } from '../common/wire';
import { createHost, type Host } from './host';
import { startBrowserServer } from './server';

let dir: string;
let host: Host;
afterEach(() => {
  host?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function open(): Host {
  dir = mkdtempSync(path.join(tmpdir(), 'host-'));
  writeFileSync(path.join(dir, 'blob.bin'), Buffer.from([0, 1, 2, 0xfc, 0xff]));
  host = createHost({
    projectRoot: dir,
    appRoot: dir,
    transport: 'browser',
    recoveryDir: path.join(dir, '.cache'),
    watchTree: false,
  });
  return host;
}

describe('host connections', () => {
  it('batches the events of one tick and hands them over before the reply that follows', async () => {
    const h = open();
    mkdirSync(path.join(dir, 'boards', 'b'), { recursive: true });
    writeFileSync(path.join(dir, 'Cargo.toml'), '[workspace]\n');
    writeFileSync(path.join(dir, 'boards', 'b', 'Cargo.toml'), '[package]\nname = "b"\n');
    // A stand-in builder that writes 50 lines at once.
    const builder = path.join(dir, 'builder.mjs');
    writeFileSync(
      builder,
      "process.stderr.write(Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\\n') + '\\n');\n",
    );
    h.dispose();
    host = createHost({
      projectRoot: dir,
      appRoot: dir,
      transport: 'browser',
      recoveryDir: path.join(dir, '.cache'),
      builderScript: builder,
      watchTree: false,
    });
    const batches: HostEvent[][] = [];
    const conn = host.connect((events) => batches.push(events));
    const started = await conn.call(1, 'build.start', { board: 'b' });
    expect(started.ok).toBe(true);
    // The "$ node ..." line was emitted before the reply and was handed over before it.
    expect(batches.flat()[0]).toMatchObject({ name: 'build.output', payload: { stream: 'host' } });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (batches.flat().some((e) => e.name === 'build.finished')) {
          clearInterval(t);
          resolve();
        }
      }, 10);
    });
    const lines = batches.flat().filter((e) => e.name === 'build.output');
    expect(lines.length).toBe(51);
    // Fifty lines read in one tick travel together, not as fifty messages.
    expect(batches.length).toBeLessThan(10);
    conn.close();
  });

  it('cancels a call: it resolves at once and the handler sees the abort', async () => {
    const h = open();
    for (let i = 0; i < 200; i++) writeFileSync(path.join(dir, `f${i}.rs`), '');
    const conn = h.connect(() => {});
    const pending = conn.call(7, 'project.listFiles', {});
    conn.cancel(7);
    const r = await pending;
    expect(r).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    // The same id can be used again afterwards, and works.
    const again = await conn.call(7, 'project.listFiles', {});
    expect(again.ok).toBe(true);
  });

  it('refuses unknown methods and bad arguments by name', async () => {
    const h = open();
    expect(await h.dispatch('nope.nope', {})).toMatchObject({
      ok: false,
      error: { message: 'unknown method "nope.nope"' },
    });
    expect(await h.dispatch('project.readBytes', { path: 'x', length: -1 })).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: 'project.readBytes: arguments.length must be >= 0' },
    });
  });

  it('sends bytes over the browser-mode WebSocket as bytes', async () => {
    const h = open();
    const server = await startBrowserServer({ host: h, staticDir: dir, port: 0 });
    try {
      const origin = `http://127.0.0.1:${server.port}`;
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/rpc`, {
        headers: { Origin: origin, Cookie: `capsule-token-${server.port}=${server.token}` },
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const reply = new Promise<unknown>((resolve) =>
        ws.on('message', (data, isBinary) => {
          const f = decodeFrame(isBinary ? new Uint8Array(data as Buffer) : data.toString());
          if (f.ok && (f.value as { kind: string }).kind === 'reply') resolve(f.value);
        }),
      );
      ws.send(
        encodeFrame({
          kind: 'call',
          id: 3,
          method: 'project.readBytes',
          args: { path: 'blob.bin', length: 16 },
        }),
      );
      const r = (await reply) as {
        id: number;
        result: { ok: true; value: { bytes: Uint8Array; size: number } };
      };
      expect(r.id).toBe(3);
      expect(r.result.value.bytes).toBeInstanceOf(Uint8Array);
      expect([...r.result.value.bytes]).toEqual([0, 1, 2, 0xfc, 0xff]);
      expect(r.result.value.size).toBe(5);
      ws.close();
    } finally {
      await server.close();
    }
  });
});
