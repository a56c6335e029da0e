import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tieMethod } from './openocd-process';

const script = resolve(__dirname, 'testing/tied-child.ts');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

/** Starts the stand-in host; resolves with it and the tied sleeper's pid. */
async function host(mode: 'wait' | 'exit') {
  const h = spawn(process.execPath, ['--import', 'tsx', script, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = await new Promise<number>((done, fail) => {
    let out = '';
    h.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) done(Number(m[1]));
    });
    h.once('exit', () => fail(new Error(`host exited before starting its child: ${out}`)));
  });
  strays.push(pid);
  return { h, pid };
}

describe('OpenOCD processes tied to the host', () => {
  it('end when the host exits', async () => {
    const { pid } = await host('exit');
    expect(await gone(pid)).toBe(true);
  }, 30_000);

  it.runIf(process.platform === 'linux')(
    'end when the host is killed (SIGKILL: no handler runs)',
    async () => {
      expect(tieMethod()).toBe('parent-death-signal');
      const { h, pid } = await host('wait');
      expect(alive(pid)).toBe(true);
      h.kill('SIGKILL');
      expect(await gone(pid)).toBe(true);
    },
    30_000,
  );
});
