// The "GDB server" switch: breakpoints shared by owner (GDB removing its own never takes the
// IDE's away), and the DebugService serving its emulator session over TCP on loopback to a real
// GDB remote-protocol client while the IDE keeps driving it; a taken port is an error naming it.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ok } from '../../emulator/core/result';
import type { DebugTarget } from '../../emulator/debug/target';
import { EmulatorTarget } from '../../emulator/debug/emulator-target';
import { connectGdb } from '../../emulator/node/gdb-socket';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { createSession } from '../../emulator/session/session';
import { buildElf } from '../../tests/programs/elf';
import { compilerAvailable } from '../../tests/programs/nrf52-baremetal/build';
import { skipWithoutTool } from '../../tests/tools';
import type { HostEvents } from '../common/contract';
import type { ProgramView } from './debug-program';
import { DebugService } from './debug-service';
import { oneLineProgram } from './testing/one-line-program';
import { gdbServerInfo, sharePoints } from './gdb-switch';

/** A target that records what reaches it; everything else answers ok. */
function recordingTarget(): { target: DebugTarget; calls: string[] } {
  const calls: string[] = [];
  const done = async () => ok(undefined);
  const target = {
    setBreakpoint: (a: number) => (calls.push(`set ${a}`), done()),
    clearBreakpoint: (a: number) => (calls.push(`clear ${a}`), done()),
    setWatchpoint: (w: { address: number }) => (calls.push(`watch ${w.address}`), done()),
    clearWatchpoint: (w: { address: number }) => (calls.push(`unwatch ${w.address}`), done()),
    state: () => 'halted',
  } as unknown as DebugTarget;
  return { target, calls };
}

describe('sharePoints', () => {
  it('keeps a breakpoint on the target while any owner holds it', async () => {
    const { target, calls } = recordingTarget();
    const shared = sharePoints(target);
    const ide = shared.view('ide');
    const gdb = shared.view('gdb');
    await ide.setBreakpoint(0x100);
    await gdb.setBreakpoint(0x100); // already there: the target is not asked again
    expect(shared.holders(0x100).sort()).toEqual(['gdb', 'ide']);
    await gdb.clearBreakpoint(0x100); // GDB removes its breakpoints at every stop
    expect(calls).toEqual(['set 256']);
    // GDB taking away one it never set does not touch the IDE's.
    await gdb.clearBreakpoint(0x100);
    expect(calls).toEqual(['set 256']);
    await ide.clearBreakpoint(0x100);
    expect(calls).toEqual(['set 256', 'clear 256']);
    // Held by nobody: the target answers (its own "no breakpoint" error, say).
    await gdb.clearBreakpoint(0x200);
    expect(calls).toEqual(['set 256', 'clear 256', 'clear 512']);
    // Watchpoints likewise; the rest of the target is the target's.
    const w = { access: 'write' as const, address: 0x2000_0000, length: 4 };
    await gdb.setWatchpoint(w);
    await ide.setWatchpoint(w);
    await ide.clearWatchpoint(w);
    expect(calls.at(-1)).toBe(`watch ${0x2000_0000}`);
    expect(gdb.state()).toBe('halted');
  });

  it('describes the server for people: command line and Cortex-Debug configuration', () => {
    const g = gdbServerInfo(4444, '/p/my kernel.elf', 0);
    expect(g.command).toBe(
      `gdb-multiarch '/p/my kernel.elf' -ex 'target extended-remote 127.0.0.1:4444'`,
    );
    expect(JSON.parse(g.launchJson)).toMatchObject({
      type: 'cortex-debug',
      request: 'attach',
      servertype: 'external',
      gdbTarget: '127.0.0.1:4444',
      executable: '/p/my kernel.elf',
      gdbPath: 'gdb-multiarch',
    });
  });
});

const SOURCE = 'capsules/src/console.rs';

function project(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gdb-switch-'));
  mkdirSync(path.join(root, 'capsules', 'src'), { recursive: true });
  writeFileSync(path.join(root, SOURCE), '// console\n');
  utimesSync(path.join(root, SOURCE), 1000, 1000);
  const dir = path.join(root, 'target', 'images', 'mps2-an386');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'kernel.elf'), 'the test starts its own image');
  utimesSync(path.join(dir, 'kernel.elf'), 2000, 2000);
  return root;
}

const LOOP = [
  '.syntax unified',
  '.thumb',
  '.section .vectors, "a"',
  '.word 0x20010000',
  '.word start',
  '.rept 14',
  '.word start',
  '.endr',
  '.text',
  '.thumb_func',
  'start: movs r0, #0',
  'loop: adds r0, #1',
  'here: movs r3, #2',
  'b loop',
  '',
].join('\n');

const programView = (line1: number): ProgramView => oneLineProgram(SOURCE, line1);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const noGcc = skipWithoutTool(
  compilerAvailable(),
  'arm-none-eabi-gcc',
  'apt-get install gcc-arm-none-eabi',
);

describe.skipIf(noGcc)('DebugService GDB server switch', () => {
  it('serves the session on loopback beside the IDE, and names a taken port', async () => {
    const { bytes, symbol } = buildElf('gdb-switch-loop', LOOP);
    const root = project();
    const events: { name: keyof HostEvents; payload: unknown }[] = [];
    const svc = new DebugService({
      projectRoot: root,
      breakpointDir: mkdtempSync(path.join(os.tmpdir(), 'gdb-switch-bp-')),
      emit: (n, payload) => events.push({ name: n, payload }),
      startEmulator: async () => {
        const s = createSession({ machine: 'mps2-an386' });
        if (!s.ok) return s;
        const loaded = s.value.load(bytes);
        if (!loaded.ok) return loaded;
        return ok(new EmulatorTarget({ session: s.value, scheduler: nodeScheduler }));
      },
      loadProgram: () => programView(symbol('here')),
    });
    cleanups.push(() => svc.dispose());
    const last = <K extends keyof HostEvents>(n: K): HostEvents[K] | undefined =>
      events.filter((e) => e.name === n).at(-1)?.payload as HostEvents[K] | undefined;
    const until = async (what: () => boolean): Promise<void> => {
      const end = Date.now() + 10_000;
      while (!what()) {
        if (Date.now() > end)
          throw new Error(`timed out; last state ${JSON.stringify(last('session.state'))}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };

    // Before a session there is nothing to serve.
    expect(await svc.gdbServer(true, 0)).toMatchObject({
      ok: false,
      error: { code: 'no-session' },
    });
    expect((await svc.start({ mode: 'run', board: 'mps2-an386' })).ok).toBe(true);
    const on = await svc.gdbServer(true, 0);
    expect(on.ok).toBe(true);
    if (!on.ok || !on.value) return;
    const g = on.value;
    const elf = path.join(root, 'target', 'images', 'mps2-an386', 'kernel.elf');
    expect(g).toMatchObject({ host: '127.0.0.1', elf, clients: 0 });
    expect(g.port).toBeGreaterThan(0);
    expect(g.command).toBe(`gdb-multiarch ${elf} -ex 'target extended-remote 127.0.0.1:${g.port}'`);
    expect(last('session.state')?.gdbServer).toEqual(g);

    // A GDB client attaches: the running target halts (as under a probe); the IDE shows it.
    const client = await connectGdb('127.0.0.1', g.port, { retryMs: 0 });
    expect(client.ok).toBe(true);
    if (!client.ok) return;
    cleanups.push(() => client.value.detach());
    await until(() => last('session.state')?.phase === 'halted');
    await until(() => last('session.state')?.gdbServer?.clients === 1);
    // GDB reads what the IDE reads.
    const pc = await client.value.readRegisterHex(15);
    const ide = await svc.registers();
    expect(pc.ok && ide.ok).toBe(true);
    if (!pc.ok || !ide.ok) return;
    const idePc = ide.value.find((r) => r.name === 'pc')!.value;
    expect(parseInt(pc.value.match(/../g)!.reverse().join(''), 16)).toBe(idePc);
    const mem = await client.value.readMemory(symbol('start') & ~1, 2);
    expect(mem.ok).toBe(true);

    // The IDE's breakpoint survives GDB setting and removing one at the same address.
    expect((await svc.setBreakpoints(SOURCE, [{ line: 1 }])).ok).toBe(true);
    const here = (symbol('here') & ~1).toString(16);
    expect(await client.value.command(`Z0,${here},2`)).toEqual(ok('OK'));
    expect(await client.value.command(`z0,${here},2`)).toEqual(ok('OK'));
    // Debug mode arms it: restart the session's run as Debug would.
    const started = await svc.start({ mode: 'debug', board: 'mps2-an386' });
    expect(started.ok).toBe(true);
    // A new session: the old one's server went with it.
    expect(last('session.state')?.gdbServer ?? null).toBe(null);
    const again = await svc.gdbServer(true, 0);
    expect(again.ok).toBe(true);
    if (!again.ok || !again.value) return;
    await until(() => last('session.state')?.stop?.reason === 'breakpoint');
    const c2 = await connectGdb('127.0.0.1', again.value.port, { retryMs: 0 });
    expect(c2.ok).toBe(true);
    if (!c2.ok) return;
    expect(await c2.value.command(`Z0,${here},2`)).toEqual(ok('OK'));
    expect(await c2.value.command(`z0,${here},2`)).toEqual(ok('OK'));
    await c2.value.detach(); // alone with a halted target: it leaves it running
    // Resumed (by the IDE or by the detach), it stops at the IDE's breakpoint again.
    const mark = events.length;
    await svc.resume();
    await until(() =>
      events.slice(mark).some((e) => {
        const s = e.payload as HostEvents['session.state'];
        return (
          e.name === 'session.state' && s.phase === 'halted' && s.stop?.reason === 'breakpoint'
        );
      }),
    );
    expect(last('session.state')?.stop?.pc).toBe(symbol('here') & ~1);

    // A taken port: an error naming it, and the switch stays off.
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise((r) => holder.close(r)));
    const taken = (holder.address() as { port: number }).port;
    expect((await svc.gdbServer(false)).ok).toBe(true);
    const refused = await svc.gdbServer(true, taken);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.message).toContain(`port ${taken}`);
    expect(refused.error.message).toContain('already in use');
    expect(last('session.state')?.gdbServer ?? null).toBe(null);
    // Off: the port is closed.
    const gone = await connectGdb('127.0.0.1', again.value.port, { retryMs: 0 });
    expect(gone.ok).toBe(false);
  }, 30_000);
});
