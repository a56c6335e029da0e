// The host fuzz suite (issue 12): random request lines, headers, percent-escapes and WebSocket
// frames against a real browser-mode host process. The host must never exit, must answer every
// well-formed call it reads, must never need its last-resort crash guard (every handler is
// total), and its memory must stay bounded.
//
// Replay a failure with the seed it prints: HOST_FUZZ_SEED=1234 npm run test:host
// Run longer with HOST_FUZZ_CASES=1000000 npm run test:host
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpuSeconds, residentBytes, startHostProcess, type HostProcess } from './harness';
import { encodeFrame, FrameReader, rawUpgrade } from './wire';

const MiB = 1024 * 1024;
const SEED = Number(process.env.HOST_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CASES = Number(process.env.HOST_FUZZ_CASES ?? 100_000);
const HTTP_SHARE = 0.4;

/** Small fast deterministic generator (mulberry32), so a seed replays a run exactly. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number): boolean => next() < p;
  const bytes = (n: number): Buffer => {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  return { next, int, pick, chance, bytes };
}
type Rng = ReturnType<typeof rng>;

let host: HostProcess;
let project: string;
const stats = {
  http: 0,
  httpStatuses: new Map<number, number>(),
  /** Requests the server answered by closing the connection (CONNECT, upgrades gone wrong). */
  httpClosed: 0,
  closedSamples: [] as string[],
  frames: 0,
  calls: 0,
  replies: 0,
  closes: new Map<number, number>(),
};

beforeAll(async () => {
  project = mkdtempSync(path.join(os.tmpdir(), 'capsule-fuzz-'));
  writeFileSync(path.join(project, 'Cargo.toml'), '[workspace]\n');
  mkdirSync(path.join(project, 'src'));
  writeFileSync(path.join(project, 'src', 'lib.rs'), '// fuzz target\n'.repeat(100));
  const ui = mkdtempSync(path.join(os.tmpdir(), 'capsule-fuzz-ui-'));
  writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>ui</title>');
  mkdirSync(path.join(ui, 'assets'));
  writeFileSync(path.join(ui, 'assets', 'app.js'), 'console.log(1);\n'.repeat(5000));
  host = await startHostProcess(project, ui);
  console.log(`host fuzz: seed ${SEED}, ${CASES} cases (replay with HOST_FUZZ_SEED=${SEED})`);
}, 60_000);

afterAll(async () => {
  await host?.stop();
});

// ---------------------------------------------------------------------------------------------
// HTTP request generator

const PIECES = [
  '/',
  '//',
  '/./',
  '/../',
  '..',
  '.',
  '%',
  '%%',
  '%zz',
  '%2',
  '%2e%2e/',
  '%2f',
  '%5c',
  '%00',
  '%E0%A4',
  '%C3%28',
  '%FF',
  '%u0041',
  '[',
  ']',
  '[x',
  '@',
  ':',
  '\\',
  '?',
  '?token=',
  '&token=',
  '#',
  '~',
  'index.html',
  'assets/app.js',
  'rpc',
  'a',
  'é',
  '\u4e2d',
  '\u{1F600}',
  ';',
  ',',
  '"',
  "'",
  '<',
  '>',
  '{',
  '}',
  '|',
  '^',
  '`',
  '*',
];
const METHODS = [
  'GET',
  'GET',
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'PATCH',
  'TRACE',
  'CONNECT',
  'get',
  'XYZ',
  'M-SEARCH',
  'PROPFIND',
  '',
];

const BENIGN = [
  '/',
  '/index.html',
  '/assets/app.js',
  '/assets/../index.html',
  '/%69ndex.html',
  '/assets/app%2ejs',
  '/rpc',
  '/nope',
  '/assets/',
  '/assets/%2e%2e/%2e%2e/Cargo.toml',
  '/..%2f..%2fetc%2fpasswd',
];

function target(r: Rng): string {
  if (r.chance(0.4)) {
    let t = r.pick(BENIGN);
    if (r.chance(0.2))
      t += r.pick([
        '%',
        '%zz',
        '%E0%A4',
        '?x=%',
        `?token=${r.chance(0.5) ? host.token : 'x'}`,
        '#frag',
        '?',
      ]);
    return t;
  }
  const kind = r.int(12);
  if (kind === 0)
    return r.pick([
      'http://[',
      '//[x',
      'http://127.0.0.1/',
      'http://evil.com/',
      '*',
      'evil.com:443',
      '//evil.com/',
      '/.//evil.com/',
      'http://[::1]:80/',
      'https://a@b/',
    ]);
  let t = r.chance(0.9) ? '/' : '';
  const n = r.int(8);
  for (let i = 0; i < n; i++) {
    if (r.chance(0.15)) t += `%${r.bytes(1).toString('hex')}`;
    else if (r.chance(0.1))
      t += `%${String.fromCharCode(32 + r.int(95))}${String.fromCharCode(32 + r.int(95))}`;
    else t += r.pick(PIECES);
  }
  if (kind === 1) t += `?token=${host.token}`;
  if (kind === 2) t = '/' + 'a'.repeat(r.int(9000));
  return t;
}

function header(r: Rng, name: string): string {
  switch (name) {
    case 'Host':
      return r.chance(0.8)
        ? `127.0.0.1:${host.port}`
        : r.pick([
            `localhost:${host.port}`,
            'evil.com',
            '',
            `127.0.0.1:${host.port + 1}`,
            '[',
            `127.0.0.1:${host.port}\u0000`,
          ]);
    case 'Cookie':
      return r.chance(0.7)
        ? host.cookie
        : r.pick([
            `${host.cookie}x`,
            'capsule-token-1=abc',
            host.cookie.split('=')[0] + '=',
            ';;;=',
            `a=b; ${host.cookie}`,
          ]);
    case 'Origin':
      return r.chance(0.6)
        ? host.origin
        : r.pick([
            'null',
            'http://evil.com',
            '',
            'http://localhost',
            `http://localhost:${host.port}`,
          ]);
    default:
      return r.chance(0.8)
        ? Array.from({ length: r.int(30) }, () => String.fromCharCode(32 + r.int(95))).join('')
        : r.bytes(r.int(20)).toString('latin1');
  }
}

function httpRequest(r: Rng): { bytes: Buffer; method: string } {
  if (r.chance(0.25)) {
    // A well-formed authenticated request, to reach the file serving behind the checks.
    const method = r.pick(['GET', 'GET', 'HEAD']);
    const lines = [
      `${method} ${target(r)} HTTP/1.1`,
      `Host: 127.0.0.1:${host.port}`,
      `Cookie: ${host.cookie}`,
    ];
    if (r.chance(0.3)) lines.push(`Origin: ${host.origin}`);
    if (r.chance(0.2))
      lines.push(
        r.pick([
          'Range: bytes=0-10',
          'If-None-Match: "x"',
          'Accept-Encoding: gzip',
          'Connection: close',
        ]),
      );
    return { bytes: Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'utf8'), method };
  }
  const method = r.pick(METHODS);
  const version = r.chance(0.9)
    ? 'HTTP/1.1'
    : r.pick(['HTTP/1.0', 'HTTP/2', 'HTTP/1.1 x', 'HTTP/9.9', '', 'http/1.1']);
  const lines = [`${method} ${target(r)} ${version}`];
  for (const name of ['Host', 'Cookie', 'Origin'])
    if (r.chance(name === 'Host' ? 0.95 : 0.6)) lines.push(`${name}: ${header(r, name)}`);
  if (r.chance(0.15))
    lines.push(
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${r.chance(0.8) ? r.bytes(16).toString('base64') : 'x'}`,
      `Sec-WebSocket-Version: ${r.chance(0.8) ? 13 : r.int(20)}`,
    );
  const extra = r.int(4);
  for (let i = 0; i < extra; i++) {
    const name = r.chance(0.7)
      ? r.pick([
          'Accept',
          'X-Forwarded-For',
          'Cookie',
          'Host',
          'Content-Type',
          'Range',
          'If-None-Match',
          'Expect',
          'Transfer-Encoding',
          'Connection',
        ])
      : r.bytes(1 + r.int(8)).toString('latin1');
    lines.push(`${name}: ${header(r, name === 'Cookie' || name === 'Host' ? name : 'other')}`);
  }
  let body: Buffer = Buffer.alloc(0);
  if (r.chance(0.1)) {
    body = r.bytes(r.int(64));
    lines.push(`Content-Length: ${body.length}`);
  }
  return {
    bytes: Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]),
    method,
  };
}

/**
 * Sends requests one after another on keep-alive connections, reconnecting whenever the server
 * closes one (as it must after a malformed request). Resolves after `count` requests.
 */
async function httpStream(r: Rng, count: number): Promise<void> {
  let sent = 0;
  while (sent < count) {
    const socket = net.connect(host.port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    let buffered: Buffer = Buffer.alloc(0);
    let closed = false;
    // The server announced it closes after its answer: the next request needs a new connection.
    let closing = false;
    let wake: () => void = () => {};
    socket.on('data', (c: Buffer) => {
      buffered = Buffer.concat([buffered, c]);
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.on('error', () => {});
    const perConnection = 1 + r.int(40);
    for (let i = 0; i < perConnection && sent < count && !closed && !closing; i++) {
      const req = httpRequest(r);
      sent++;
      stats.http++;
      socket.write(req.bytes);
      // Wait for one whole response (head plus Content-Length body) or for the close.
      const done = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 10_000);
        let answered = false;
        wake = () => {
          if (answered) return;
          const end = buffered.indexOf('\r\n\r\n');
          if (end < 0 && closed) {
            stats.httpClosed++;
            if (stats.closedSamples.length < 3)
              stats.closedSamples.push(req.bytes.toString('latin1').slice(0, 80));
            answered = true;
            clearTimeout(timer);
            return resolve(true);
          }
          if (end < 0) return;
          const head = buffered.subarray(0, end).toString('latin1');
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
          const length =
            req.method === 'HEAD' ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (status === 101) {
            // An upgrade went through: this connection now speaks WebSocket; drop it.
            socket.destroy();
            answered = true;
            clearTimeout(timer);
            return resolve(true);
          }
          if (/\r\ntransfer-encoding: chunked/i.test(head)) {
            const tail = buffered.indexOf('\r\n0\r\n\r\n', end);
            if (tail < 0) return;
            buffered = buffered.subarray(tail + 7);
          } else {
            if (buffered.length < end + 4 + length && !closed) return;
            buffered = buffered.subarray(end + 4 + length);
          }
          if (/\r\nconnection: close/i.test(head)) closing = true;
          stats.httpStatuses.set(status, (stats.httpStatuses.get(status) ?? 0) + 1);
          answered = true;
          clearTimeout(timer);
          resolve(true);
        };
        wake();
      });
      if (!done)
        throw new Error(
          `no answer within 10 s to ${JSON.stringify(req.bytes.toString('latin1').slice(0, 200))} (seed ${SEED})`,
        );
    }
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// WebSocket frame generator

const METHOD_NAMES = [
  'project.info',
  'project.listFiles',
  'project.readFile',
  'project.writeFile',
  'project.watch',
  'recovery.put',
  'recovery.discard',
  'recovery.list',
  'build.start',
  'build.cancel',
  'project',
  'project.',
  '.readFile',
  'constructor',
  '__proto__.x',
  'project.__proto__',
  'project.constructor',
  'x'.repeat(150),
  '',
  'a.b.c',
];
const PATHS = [
  'src/lib.rs',
  'src/lib.rs/',
  'Cargo.toml',
  '../../etc/passwd',
  '/etc/passwd',
  'src/../../x',
  'src\\..\\..\\x',
  'C:\\x',
  'src/\u0000x',
  'src/new-%d.rs',
  'nope.rs',
  '.',
  '..',
  'src',
  'src/./lib.rs',
  '',
  'a'.repeat(5000),
  'src/\u4e2d.rs',
];

function randomJson(r: Rng, depth = 0): unknown {
  switch (r.int(depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, Number.MAX_SAFE_INTEGER]);
    case 3:
      return r.bytes(r.int(16)).toString('latin1');
    case 4:
      return r.pick(PATHS).replace('%d', String(r.int(50)));
    case 5:
      return Array.from({ length: r.int(4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      const n = r.int(4);
      for (let i = 0; i < n; i++)
        o[
          r.pick([
            'path',
            'content',
            'paths',
            'board',
            'buildId',
            'expectedMtimeMs',
            'baseMtimeMs',
            '__proto__',
            'constructor',
            'x',
          ])
        ] = randomJson(r, depth + 1);
      return o;
    }
  }
}

function callArgs(r: Rng, method: string): unknown {
  if (r.chance(0.3)) return randomJson(r);
  const p = r.pick(PATHS).replace('%d', String(r.int(50)));
  switch (method) {
    case 'project.readFile':
    case 'recovery.discard':
      return { path: p };
    case 'project.writeFile':
      return {
        path: p,
        content: r.bytes(r.int(200)).toString('latin1'),
        ...(r.chance(0.5) ? { expectedMtimeMs: r.int(3) === 0 ? 0 : r.next() * 1e12 } : {}),
      };
    case 'recovery.put':
      return { path: p, content: r.bytes(r.int(200)).toString('utf8'), baseMtimeMs: r.int(2) };
    case 'project.watch':
      return { paths: Array.from({ length: r.int(5) }, () => r.pick(PATHS)) };
    case 'build.start':
      return { board: r.pick(['nrf52840dk', '--project', '', '../x']) };
    case 'build.cancel':
      return { buildId: r.pick([1, 0, -1, 1.5, 99]) };
    default:
      return {};
  }
}

interface FrameCase {
  bytes: Buffer;
  /** The call id the server must answer, when this frame completes a call. */
  callId?: number;
  /** The frame breaks the protocol: the server must close the connection. */
  fatal?: boolean;
}

function wsFrame(r: Rng, nextId: () => number): FrameCase {
  const roll = r.next();
  if (roll < 0.75) {
    const method = r.pick(METHOD_NAMES);
    const id = nextId();
    const call: Record<string, unknown> = { kind: 'call', id, method, args: callArgs(r, method) };
    if (r.chance(0.05)) delete call.args;
    const text = JSON.stringify(call);
    // The server answers every call whose envelope is well formed (kind, integer id >= 0).
    return { bytes: encodeFrame({ opcode: 0x1, payload: Buffer.from(text) }), callId: id };
  }
  if (roll < 0.85) {
    // Text that is not a call: JSON of any shape, broken JSON, a call envelope with a bad id.
    const text = r.pick([
      JSON.stringify(randomJson(r)),
      r.bytes(r.int(40)).toString('utf8'),
      '{"kind":"call","id":' +
        r.pick(['-1', '1.5', '"7"', 'null', '1e400']) +
        ',"method":"project.info"}',
      '{"kind":"call"',
      '[]',
      '{"kind":"reply","id":1}',
    ]);
    return { bytes: encodeFrame({ opcode: 0x1, payload: Buffer.from(text) }) };
  }
  if (roll < 0.9)
    return { bytes: encodeFrame({ opcode: r.pick([0x9, 0xa]), payload: r.bytes(r.int(100)) }) };
  if (roll < 0.93) return { bytes: encodeFrame({ opcode: 0x2, payload: r.bytes(r.int(300)) }) };
  if (roll < 0.985) {
    // A call split into fragments (a text frame without FIN, then continuations).
    const id = nextId();
    const text = Buffer.from(
      JSON.stringify({ kind: 'call', id, method: 'project.info', args: {} }),
    );
    const cut = 1 + r.int(text.length - 2);
    return {
      bytes: Buffer.concat([
        encodeFrame({ opcode: 0x1, fin: false, payload: text.subarray(0, cut) }),
        ...(r.chance(0.3) ? [encodeFrame({ opcode: 0x9, payload: Buffer.from('p') })] : []),
        encodeFrame({ opcode: 0x0, payload: text.subarray(cut) }),
      ]),
      callId: id,
    };
  }
  // Protocol violations: the server must close this connection (and only this one).
  const bad = r.int(9);
  const payload = r.bytes(r.int(20));
  const bytes = [
    () => encodeFrame({ opcode: 0x1, payload: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }),
    () =>
      encodeFrame({ opcode: r.pick([0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf]), payload }),
    () => encodeFrame({ opcode: 0x1, payload: Buffer.from('{}'), mask: false }),
    () => encodeFrame({ opcode: 0x1, rsv: 1 + r.int(7), payload }),
    () => encodeFrame({ opcode: 0x1, announcedLength: r.pick([2 ** 31, 2 ** 40, 2 ** 53 - 1]) }),
    () => encodeFrame({ opcode: 0x9, payload: r.bytes(126 + r.int(100)) }),
    () => encodeFrame({ opcode: 0x9, fin: false, payload }),
    () => encodeFrame({ opcode: 0x0, payload }),
    () => encodeFrame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) }),
  ][bad]!();
  return { bytes, fatal: true };
}

async function wsStream(r: Rng, count: number): Promise<void> {
  let sent = 0;
  let id = 1;
  while (sent < count) {
    const ws = await rawUpgrade(host.port, { Cookie: host.cookie, Origin: host.origin });
    const pending = new Set<number>();
    const reader = new FrameReader();
    let closeCode = 0; // 0: dropped without a close frame
    let settled: () => void = () => {};
    ws.socket.removeAllListeners('data');
    ws.socket.on('data', (chunk: Buffer) => {
      for (const f of reader.push(chunk)) {
        if (f.opcode === 0x8) closeCode = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
        if (f.opcode !== 0x1) continue;
        const msg = JSON.parse(f.payload.toString('utf8')) as { kind: string; id: number };
        if (msg.kind === 'reply') {
          stats.replies++;
          pending.delete(msg.id);
        }
      }
      if (pending.size === 0) settled();
    });
    let open = true;
    void ws.closed.then(() => {
      open = false;
      stats.closes.set(closeCode, (stats.closes.get(closeCode) ?? 0) + 1);
      settled();
    });
    while (open && sent < count) {
      // A batch of frames, then wait for the replies to the calls among them.
      const batch: Buffer[] = [];
      let fatal = false;
      const n = 1 + r.int(40);
      for (let i = 0; i < n && sent < count && !fatal; i++) {
        const f = wsFrame(r, () => id++);
        sent++;
        stats.frames++;
        batch.push(f.bytes);
        if (f.callId !== undefined) {
          stats.calls++;
          pending.add(f.callId);
        }
        fatal = f.fatal === true;
      }
      ws.socket.write(Buffer.concat(batch));
      if (fatal) {
        const { code } = await Promise.race([
          ws.closed,
          new Promise<{ code: number }>((res) => setTimeout(() => res({ code: -1 }), 10_000)),
        ]);
        if (code === -1)
          throw new Error(
            `the server kept a connection open after a protocol error (seed ${SEED})`,
          );
        break;
      }
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `calls ${[...pending].slice(0, 5).join(', ')} got no reply within 20 s (seed ${SEED})`,
              ),
            ),
          20_000,
        );
        settled = () => {
          if (pending.size === 0 || !open) {
            clearTimeout(timer);
            resolve();
          }
        };
        settled();
      });
      if (!open)
        throw new Error(`the server closed a connection that broke no rule (seed ${SEED})`);
    }
    ws.socket.destroy();
  }
}

describe('host fuzz suite', () => {
  it(`survives random request lines, headers, percent-escapes and WebSocket frames`, async () => {
    const started = Date.now();
    const cpuBefore = { host: await cpuSeconds(host.child.pid!), client: process.cpuUsage() };
    const before = await host.memory();
    const baseRss = (await residentBytes(host.child.pid!)) ?? before.rss;
    let peakRss = baseRss;
    const sampler = setInterval(() => {
      void residentBytes(host.child.pid!).then((b) => (peakRss = Math.max(peakRss, b ?? 0)));
    }, 200);

    const httpCases = Math.round(CASES * HTTP_SHARE);
    const wsCases = CASES - httpCases;
    const lanes = 4;
    const laneSeconds = { http: 0, ws: 0 };
    const timed = async (what: 'http' | 'ws', run: Promise<void>): Promise<void> => {
      await run;
      laneSeconds[what] = Math.max(laneSeconds[what], (Date.now() - started) / 1000);
    };
    try {
      await Promise.all([
        ...Array.from({ length: lanes }, (_, i) =>
          timed('http', httpStream(rng(SEED + i), Math.ceil(httpCases / lanes))),
        ),
        ...Array.from({ length: lanes }, (_, i) =>
          timed('ws', wsStream(rng(SEED + 100 + i), Math.ceil(wsCases / lanes))),
        ),
      ]);
    } catch (e) {
      // A connection reset usually means the host died: say so, with what it printed.
      if (!host.alive())
        throw new Error(
          `the host process died (seed ${SEED}):\n${host.output.join('').slice(-4000)}`,
          { cause: e },
        );
      throw e;
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const hostCpu = ((await cpuSeconds(host.child.pid!)) ?? 0) - (cpuBefore.host ?? 0);
    const clientCpuUs = process.cpuUsage(cpuBefore.client);
    const clientCpu = (clientCpuUs.user + clientCpuUs.system) / 1e6;
    const after = await host.memory();
    const grown = after.heapUsed + after.external - before.heapUsed - before.external;
    console.log(
      `host fuzz: ${stats.http} HTTP requests (statuses ${JSON.stringify(Object.fromEntries(stats.httpStatuses))}, ${stats.httpClosed} answered by a close, e.g. ${JSON.stringify(stats.closedSamples)}), ` +
        `${stats.frames} WebSocket frames (${stats.calls} calls, ${stats.replies} replies, closes ${JSON.stringify(Object.fromEntries(stats.closes))}) in ${seconds.toFixed(1)} s (HTTP lanes ${laneSeconds.http.toFixed(1)} s, WebSocket lanes ${laneSeconds.ws.toFixed(1)} s; CPU: host ${hostCpu.toFixed(1)} s, client ${clientCpu.toFixed(1)} s); ` +
        `RSS ${(baseRss / MiB).toFixed(0)} -> peak ${(peakRss / MiB).toFixed(0)} MiB, live heap+external grew ${(grown / MiB).toFixed(1)} MiB`,
    );
    expect(stats.http + stats.frames).toBeGreaterThanOrEqual(CASES);
    expect(host.alive(), host.output.join('')).toBe(true);
    // Every handler is total: the last-resort guard never had to catch anything.
    expect(host.output.join('')).not.toMatch(/uncaught|unhandled/i);
    expect(grown).toBeLessThan(64 * MiB);
    expect(peakRss - baseRss).toBeLessThan(512 * MiB);
    // And it still serves a page and a call.
    const page = await fetch(`${host.origin}/`, { headers: { cookie: host.cookie } });
    expect(page.status).toBe(200);
  }, 300_000);
});
