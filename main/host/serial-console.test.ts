// The serial console over real pseudo-terminals (socat) standing in for a board's port: what
// the board prints reaches the window and the log file, what the person types reaches the
// board, the baud rate changes, the console reopens the port after the board "resets" (the
// pty vanishes and comes back under the same name), and it lends the port to the bootloader.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostEvents, SerialConsoleInfo } from '../common/contract.js';
import { SerialConsoleService } from './serial-console.js';

/** A "board" on a pty at `link`: `print` sends bytes to the console, `received` what it got. */
async function startPtyAt(link: string) {
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${link}`, 'stdio'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((done) => proc.once('exit', () => done()));
  let received = '';
  proc.stdout!.on('data', (d: Buffer) => (received += d.toString('latin1')));
  await new Promise<void>((done, fail) => {
    let err = '';
    proc.once('error', (e) => fail(new Error(`socat: ${e.message} (apt-get install socat)`)));
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/starting data transfer loop/.test(err)) done();
    });
    proc.once('exit', (code) => fail(new Error(`socat exited (${code}): ${err}`)));
  });
  return {
    print: (text: string) => proc.stdin!.write(Buffer.from(text, 'latin1')),
    received: () => received,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let dir: string;
let data: string;
let statuses: SerialConsoleInfo[];
let svc: SerialConsoleService;
const emit = <K extends keyof HostEvents>(name: K, payload: HostEvents[K]): void => {
  if (name === 'serialConsole.data')
    data += Buffer.from((payload as HostEvents['serialConsole.data']).bytes).toString('latin1');
  if (name === 'serialConsole.status') statuses.push(payload as SerialConsoleInfo);
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'serial-console-'));
  data = '';
  statuses = [];
  svc = new SerialConsoleService(dir, emit, {
    retryMs: 50,
    watchMs: 100,
    listPorts: async () => [],
  });
});
afterEach(async () => {
  await svc.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('serial console', () => {
  it('streams what the board prints to the window and the log, and sends what is typed', async () => {
    const port = path.join(dir, 'ttyBOARD');
    const board = await startPtyAt(port);
    try {
      const opened = await svc.open(port, { baudRate: 115200, logFile: 'logs/board.log' });
      expect(opened).toEqual({
        ok: true,
        value: {
          path: port,
          baudRate: 115200,
          state: 'open',
          logFile: 'logs/board.log',
          message: `${port} open at 115200 baud`,
        },
      });
      board.print('Tock kernel\r\n');
      await until('the printed line', () => data.includes('Tock kernel\r\n'));
      expect(await svc.write(port, new TextEncoder().encode('list\r'))).toEqual({
        ok: true,
        value: null,
      });
      await until('the typed command', () => board.received() === 'list\r');

      const baud = await svc.setBaudRate(port, 9600);
      expect(baud.ok && baud.value.baudRate).toBe(9600);
      const bad = await svc.setBaudRate(port, 12345);
      expect(bad.ok).toBe(false);
      if (!bad.ok) expect(bad.error.message).toMatch(/^12345 baud is not one of 1200, 2400/);

      await svc.close(port);
      expect(await readFile(path.join(dir, 'logs', 'board.log'), 'latin1')).toBe('Tock kernel\r\n');
      const unsent = await svc.write(port, new Uint8Array([0x41]));
      expect(!unsent.ok && unsent.error.message).toBe(`no console is open on ${port}`);
    } finally {
      await board.stop();
    }
  });

  it('refuses a log file outside the project and a port that is not there', async () => {
    const outside = await svc.open(path.join(dir, 'nothing'), {
      baudRate: 115200,
      logFile: '../escape.log',
    });
    expect(outside.ok).toBe(false);
    const missing = await svc.open(path.join(dir, 'ttyNONE'), { baudRate: 115200 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.message).toMatch(/ttyNONE does not exist/);
  });

  it('reopens the port when the board resets, and lends it to the bootloader', async () => {
    const port = path.join(dir, 'ttyBOARD');
    let board = await startPtyAt(port);
    try {
      expect((await svc.open(port, { baudRate: 115200 })).ok).toBe(true);
      // The board resets: its USB port goes away...
      await board.stop();
      await until('reconnecting', () => statuses.some((s) => s.state === 'reconnecting'));
      expect(statuses.at(-1)!.message).toMatch(/went away .*waiting for it to come back/);
      const typed = await svc.write(port, new Uint8Array([0x41]));
      expect(!typed.ok && typed.error.message).toMatch(
        /is reconnecting; the typed text was not sent/,
      );
      // ...and comes back under the same name.
      board = await startPtyAt(port);
      await until('reconnected', () => statuses.at(-1)?.message === `reconnected to ${port}`);
      board.print('booted again\r\n');
      await until('output after the reset', () => data.includes('booted again'));

      const resume = await svc.pause(port);
      expect(statuses.at(-1)).toMatchObject({ state: 'paused' });
      // The bootloader has the port now: the console does not read what the board prints.
      board.print('for the bootloader');
      await new Promise((r) => setTimeout(r, 200));
      expect(data).not.toContain('for the bootloader');
      await resume();
      expect(statuses.at(-1)).toMatchObject({ state: 'open', message: `reconnected to ${port}` });
      board.print('console again\r\n');
      await until('output after the bootloader', () => data.includes('console again'));
    } finally {
      await board.stop();
    }
  });
});
