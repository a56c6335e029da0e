/**
 * Starts `host-process.ts` in a child process and talks to it: its URL and cookie, its memory
 * (after a full garbage collection, or the peak resident size sampled without one), and
 * whether it is still alive. Shared by the back-pressure test and the host fuzz suite.
 *
 * @example
 *   const h = await startHostProcess(project);
 *   const before = await h.memory();
 *   ...
 *   await h.stop();
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface HostProcess {
  child: ChildProcess;
  port: number;
  url: string;
  token: string;
  cookie: string;
  origin: string;
  /** Everything the host wrote to stdout and stderr. */
  output: string[];
  /** process.memoryUsage() of the host after collecting garbage. */
  memory(): Promise<NodeJS.MemoryUsage>;
  alive(): boolean;
  stop(): Promise<void>;
}

export async function startHostProcess(
  projectDir: string,
  staticDir?: string,
): Promise<HostProcess> {
  const recoveryDir = mkdtempSync(path.join(os.tmpdir(), 'capsule-host-rec-'));
  const output: string[] = [];
  const child = fork(
    path.join(import.meta.dirname, 'host-process.ts'),
    [projectDir, recoveryDir, ...(staticDir ? [staticDir] : [])],
    {
      // HOST_NODE_ARGS adds Node options to the host process (`--cpu-prof` to profile it).
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(process.env.HOST_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  child.stdout!.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
  const ready = await new Promise<{ port: number; url: string; token: string }>(
    (resolve, reject) => {
      child.on('message', (m: { ready?: { port: number; url: string; token: string } }) => {
        if (m.ready) resolve(m.ready);
      });
      child.once('exit', (code) =>
        reject(new Error(`host process exited (${code}):\n${output.join('')}`)),
      );
    },
  );
  const first = await fetch(ready.url, { redirect: 'manual' });
  const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
  return {
    child,
    ...ready,
    cookie,
    origin: `http://127.0.0.1:${ready.port}`,
    output,
    memory: () =>
      new Promise((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null)
          return reject(new Error(`the host process is gone:\n${output.join('')}`));
        const timer = setTimeout(() => reject(new Error('host did not report its memory')), 30_000);
        const onMessage = (m: { mem?: NodeJS.MemoryUsage }): void => {
          if (!m.mem) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(m.mem);
        };
        child.on('message', onMessage);
        child.send('mem');
      }),
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send('stop');
      }),
  };
}

/** Resident set size of a process in bytes, read from /proc (Linux), or null elsewhere. */
export async function residentBytes(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used, from /proc (Linux), or null elsewhere. */
export async function cpuSeconds(pid: number): Promise<number | null> {
  const { readFile } = await import('node:fs/promises');
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime and stime
    // are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}
