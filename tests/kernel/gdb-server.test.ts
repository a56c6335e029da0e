/**
 * The GDB server with real gdb-multiarch (batch mode) on the emulated nRF52840-DK kernel:
 * - one debugging session: a breakpoint on a capsule function by its Rust name, continue, bt,
 *   info registers, x/8wx of a kernel static, a watchpoint on a kernel static that stops on the
 *   write with its address, monitor reset halt, reverse-stepi and reverse-continue landing on the
 *   expected PCs (the svc instruction of the app; the kernel's previous entry to the SVC
 *   handler), Tock processes as threads, detach;
 * - `load` of a rebuilt image through vFlash, which then runs, and of an image that does not fit
 *   the flash (refused, flash untouched);
 * - the packet sequence Cortex-Debug's "external" server type makes GDB send (GDB's connect
 *   sequence as gdb-multiarch 13 sends it, monitor reset halt on launch, load, monitor reset
 *   halt, continue, interrupt, monitor halt on attach, detach), every packet answered in time;
 * - two connections: a second gdb-multiarch reads memory while the first one's continue runs.
 * The CLI (`npm run emulator -- --gdb`) is checked for its port-in-use message naming the holder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorTarget, type EmulatorTarget } from '../../emulator/debug/emulator-target';
import { unwrap } from '../../emulator/debug/testing/target-helpers';
import { tockThreadSource } from '../../emulator/debug/tock/threads';
import { encodePacket, PacketParser, textToHex } from '../../emulator/gdb/framing';
import { parseElf } from '../../emulator/formats/elf';
import { startGdbServer, type GdbServerHandle } from '../../emulator/node/gdb-server';
import { nodeScheduler } from '../../emulator/node/scheduler';
import { findTool } from '../../emulator/node/tools';
import { skipWithoutTool } from '../tools';
import { kernelImage } from './qemu';

const gdbPath = findTool('gdb-multiarch');
const noGdb = skipWithoutTool(gdbPath.ok, 'gdb-multiarch', 'apt-get install gdb-multiarch');
const img = (): ReturnType<typeof kernelImage> => kernelImage('nrf52840dk');
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gdb-server-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Running {
  target: EmulatorTarget;
  server: GdbServerHandle;
  console: () => string;
  stop(): Promise<void>;
}

/** The kernel and apps on an in-process emulator target, served on a free port. */
async function serve(options: { wait?: boolean } = {}): Promise<Running> {
  const i = img();
  const kernel = new Uint8Array(readFileSync(i.kernelElf));
  const target = unwrap(
    createEmulatorTarget(
      {
        machine: 'nrf52840dk',
        files: [
          { name: 'kernel.elf', bytes: kernel },
          {
            name: 'apps.bin',
            bytes: new Uint8Array(readFileSync(i.appsBin)),
            address: i.manifest.appsStart,
          },
        ],
      },
      nodeScheduler,
    ),
  );
  let out = '';
  target.onEvent((e) => {
    if (e.kind === 'console') out += new TextDecoder().decode(e.bytes);
  });
  const threads = await tockThreadSource(kernel);
  const server = unwrap(
    await startGdbServer(target, { port: 0, ...(threads.ok ? { threads: threads.value } : {}) }),
  );
  if (!options.wait) unwrap(await target.resume());
  return {
    target,
    server,
    console: () => out,
    async stop() {
      await server.close();
      await target.close();
    },
  };
}

/** Runs gdb-multiarch in batch mode on a command file; resolves with everything it printed. */
function gdb(elf: string, commands: string[], timeoutMs = 90_000): Promise<string> {
  const file = join(dir, `cmds-${Math.random().toString(36).slice(2)}.gdb`);
  writeFileSync(file, commands.join('\n') + '\n');
  return new Promise((resolve, reject) => {
    const p = spawn(unwrap(gdbPath), ['-q', '-batch', '-nx', '-x', file, elf], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    p.stdout.on('data', (d: Buffer) => (text += d.toString()));
    p.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`gdb-multiarch timed out; it printed:\n${text}`));
    }, timeoutMs);
    p.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** A value GDB printed with `echo NAME=` followed by `print/x EXPR`: "NAME=$1 = 0x1234". */
function printed(out: string, name: string): number {
  // GDB's warnings go to stderr and may land between the echo and the value.
  const m = new RegExp(`${name}=(?:warning:[^\\n]*\\n)*\\$\\d+ = (0x[0-9a-f]+)`).exec(out);
  if (!m) throw new Error(`gdb did not print ${name}; it printed:\n${out}`);
  return parseInt(m[1]!, 16);
}

/** GDB's name of the console capsule's `command` (`capsules::console::{impl#N}::command`). */
async function consoleCommandName(elf: string): Promise<string> {
  const out = await gdb(elf, ['info functions ^capsules::console::.*::command$']);
  const m = /(capsules::console::\{impl#\d+\}::command)/.exec(out);
  if (!m) throw new Error(`no console command function in the kernel's DWARF:\n${out}`);
  return m[1]!;
}

function symbol(elf: string, name: string): number {
  const s = parseElf(new Uint8Array(readFileSync(elf))).symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value & ~1;
}

describe.skipIf(noGdb)('gdb-multiarch against the GDB server (emulated nRF52840-DK)', () => {
  it('breaks in a capsule, watches a static, resets, runs backwards, shows threads, detaches', async () => {
    const i = img();
    const run = await serve({ wait: true });
    try {
      const hello = i.manifest.apps.find((a) => a.name === 'hello') as { elf?: string } | undefined;
      const command = await consoleCommandName(i.kernelElf);
      const entry = parseElf(new Uint8Array(readFileSync(i.kernelElf))).entry & ~1;
      const svc = symbol(i.kernelElf, 'cm_svc_handler');
      const out = await gdb(i.kernelElf, [
        'set pagination off',
        'set confirm off',
        'set width 0',
        `target extended-remote 127.0.0.1:${run.server.port}`,
        ...(hello?.elf ? [`add-symbol-file ${hello.elf}`] : []),
        'monitor reset halt',
        'maintenance flush register-cache',
        'echo RESETPC=',
        'print/x $pc',
        `break ${command}`,
        'continue',
        'echo BT-BEGIN\\n',
        'bt',
        'echo BT-END\\n',
        'info registers',
        'echo X8-BEGIN\\n',
        'x/8wx &nrf52840dk::reset_handler::KERNEL',
        'echo X8-END\\n',
        'delete',
        'set language c',
        'watch *(unsigned int *)&CM_SWITCH_REASON',
        'continue',
        'delete',
        'info threads',
        'break cm_svc_handler',
        'continue',
        // Until the handler is entered from a process (EXC_RETURN to thread mode on PSP).
        'while $lr != 0xfffffffd',
        '  continue',
        'end',
        'echo STACKEDPC=',
        'print/x *(unsigned int *)($psp + 24)',
        'echo THREADS-BEGIN\\n',
        'info threads',
        'thread 2',
        'echo THREAD-BT-BEGIN\\n',
        'bt',
        'echo THREAD-BT-END\\n',
        'echo THREADPC=',
        'print/x $pc',
        'thread 1',
        'monitor tock list',
        'reverse-stepi',
        'echo RSTEPPC=',
        'print/x $pc',
        'reverse-continue',
        'echo RCONTPC=',
        'print/x $pc',
        'echo RCONTLR=',
        'print/x $lr',
        'detach',
      ]);
      expect(printed(out, 'RESETPC')).toBe(entry);
      expect(out).toMatch(new RegExp(`Breakpoint 1, ${command.replace(/[{}#]/g, '\\$&')}`));
      const bt = out.slice(out.indexOf('BT-BEGIN'), out.indexOf('BT-END'));
      expect(bt).toMatch(/#0 +capsules::console::\{impl#\d+\}::command/);
      expect(bt).toMatch(/kernel::kernel::Kernel::handle_syscall/);
      for (const r of ['r0', 'r12', 'sp', 'lr', 'pc', 'xpsr', 'msp', 'psp', 'primask', 'control'])
        expect(out).toMatch(new RegExp(`^${r} +0x`, 'm'));
      const x8 = out.slice(out.indexOf('X8-BEGIN'), out.indexOf('X8-END'));
      expect(x8).toMatch(/0x2000[0-9a-f]{4} <[^>]*KERNEL[^>]*>:(\s+0x[0-9a-f]{8}){4}/);
      // The watchpoint stop names the watchpoint: GDB matched the reported data address.
      expect(out).toMatch(
        /Hardware watchpoint 2: \*\(unsigned int \*\)&CM_SWITCH_REASON\s+Old value = \d+\s+New value = \d+/,
      );
      expect(out).toMatch(/\* 1 +Thread 1 "kernel"/);
      const stacked = printed(out, 'STACKEDPC');
      // Processes as threads: each app by name with its state; thread 2 (slot 0, the first app)
      // shows the app stopped at its svc, and its backtrace is the app's own.
      const threads = out.slice(out.indexOf('THREADS-BEGIN'), out.indexOf('THREAD-BT-BEGIN'));
      const inImage = i.manifest.apps.filter((a) => a.inImage !== false);
      inImage.forEach((a, slot) =>
        expect(threads).toMatch(
          new RegExp(
            `${slot + 2} +Thread ${slot + 2} "${a.name}" \\((Running|Yielded|YieldedFor|Faulted|Terminated|Stopped)`,
          ),
        ),
      );
      expect(printed(out, 'THREADPC')).toBe(stacked);
      const threadBt = out.slice(out.indexOf('THREAD-BT-BEGIN'), out.indexOf('THREAD-BT-END'));
      // The app's own stack: its runtime's wait (possibly through inlined core code) first.
      expect(threadBt).toMatch(/^#0 /m);
      expect(threadBt).toMatch(/^#\d+ +(?:0x[0-9a-f]+ in )?capsule_rt::/m);
      expect(threadBt).toMatch(/hello::main|hello::/);
      expect(out).toMatch(/Thread +Slot +Name +State/); // monitor tock list
      expect(printed(out, 'RSTEPPC')).toBe(stacked - 2); // the app's svc instruction
      expect(printed(out, 'RCONTPC')).toBe(svc);
      expect(printed(out, 'RCONTLR')).toBe(0xfffffff9); // entered from the kernel's svc
      expect(out).toMatch(/\[Inferior 1 \(Remote target\) detached\]/);
      expect(run.target.state()).toBe('running'); // detach lets it run
    } finally {
      await run.stop();
    }
  });

  it('loads a rebuilt image through vFlash and runs it; refuses one that does not fit', async () => {
    const i = img();
    const run = await serve({ wait: true });
    try {
      // "Rebuilt": the same kernel with a different banner.
      const bytes = Buffer.from(readFileSync(i.kernelElf));
      // Every copy of the banner's text (the optimiser may keep one per caller).
      const from = Buffer.from('Capsule kernel ');
      let copies = 0;
      for (let at = bytes.indexOf(from); at > 0; at = bytes.indexOf(from, at + 1), copies++)
        Buffer.from('Patched kernel ').copy(bytes, at);
      expect(copies).toBeGreaterThan(0);
      const patched = join(dir, 'patched.elf');
      writeFileSync(patched, bytes);
      // An image with a section running past the end of the 1 MiB flash.
      const big = join(dir, 'big.elf');
      const as = spawnSync('arm-none-eabi-as', ['-o', join(dir, 'big.o'), '-'], {
        input: '.section .text\n.fill 0x2000, 1, 0x55\n',
      });
      expect(as.status).toBe(0);
      const ld = spawnSync('arm-none-eabi-ld', ['-Ttext=0xff000', '-o', big, join(dir, 'big.o')]);
      expect(ld.status).toBe(0);
      const before = unwrap(await run.target.readMemory(0xff000, 0x1000));
      const start = unwrap(await run.target.readMemory(0, 0x100));
      const out = await gdb(patched, [
        'set pagination off',
        'set confirm off',
        `target extended-remote 127.0.0.1:${run.server.port}`,
        'load',
        'echo LOADED\\n',
        `file ${big}`,
        'load',
        'echo BIG-DONE\\n',
        'detach',
      ]);
      expect(out).toMatch(/Loading section \.text/);
      expect(out).toMatch(/Transfer rate/);
      const bigPart = out.slice(out.indexOf('LOADED'));
      expect(bigPart).toMatch(/error|Error|Cannot|cannot/);
      expect(unwrap(await run.target.readMemory(0xff000, 0x1000))).toEqual(before);
      expect(unwrap(await run.target.readMemory(0, 0x100))).toEqual(start);
      // The loaded image runs after a reset.
      unwrap(await run.target.reset({ halt: false }));
      const deadline = Date.now() + 30_000;
      while (!run.console().includes('Patched kernel') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(run.console()).toContain('Patched kernel');
    } finally {
      await run.stop();
    }
  });

  it('answers the packets Cortex-Debug makes GDB send for an external server', async () => {
    const i = img();
    const run = await serve();
    try {
      const sock = new Socket();
      await new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.connect(run.server.port, '127.0.0.1', () => resolve());
      });
      sock.setEncoding('latin1');
      const replies: string[] = [];
      let waiter: ((p: string) => void) | null = null;
      let noAck = false;
      const parser = new PacketParser((e) => {
        if (e.kind !== 'packet') return;
        if (!noAck) sock.write('+');
        if (waiter) {
          const w = waiter;
          waiter = null;
          w(e.payload);
        } else replies.push(e.payload);
      });
      sock.on('data', (d: string) => parser.push(d));
      const next = (ms = 15_000): Promise<string> =>
        replies.length > 0
          ? Promise.resolve(replies.shift()!)
          : new Promise((resolve, reject) => {
              const t = setTimeout(
                () => reject(new Error('the server did not answer in time')),
                ms,
              );
              waiter = (p) => {
                clearTimeout(t);
                resolve(p);
              };
            });
      const ask = async (p: string): Promise<string> => {
        sock.write(encodePacket(p), 'latin1');
        return next();
      };
      /** qRcmd: output packets, then the final reply. */
      const monitor = async (cmd: string): Promise<string> => {
        sock.write(encodePacket(`qRcmd,${textToHex(cmd)}`), 'latin1');
        for (;;) {
          const r = await next();
          if (!(r.startsWith('O') && r !== 'OK')) return r;
        }
      };
      // GDB 13's connect sequence for `target extended-remote` (as gdb-multiarch sends it).
      expect(
        await ask(
          'qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vfork-events+;exec-events+;vContSupported+;QThreadEvents+;no-resumed+;memory-tagging+;xmlRegisters=arm',
        ),
      ).toContain('PacketSize=');
      expect(await ask('vMustReplyEmpty')).toBe('');
      expect(await ask('QStartNoAckMode')).toBe('OK');
      noAck = true;
      expect(await ask('!')).toBe('OK');
      expect(await ask('Hg0')).toBe('OK');
      expect(await ask('qXfer:features:read:target.xml:0,1000')).toMatch(/^l<\?xml/);
      expect(await ask('qTStatus')).toBe('');
      expect(await ask('?')).toMatch(/^T0[25]/); // the first client halts the running board
      expect(await ask('qXfer:threads:read::0,1000')).toMatch(/^l<\?xml/);
      expect(await ask('qAttached')).toBe('1');
      expect(await ask('Hc-1')).toBe('OK');
      expect(await ask('qOffsets')).toMatch(/^Text=/);
      expect(await ask('qSymbol::')).toBe('OK');
      // Launch: monitor reset halt, load (GDB's vFlash sequence for the kernel), reset halt again.
      expect(await monitor('reset halt')).toBe('OK');
      expect(await ask('qXfer:memory-map:read::0,1000')).toMatch(/^l<\?xml/);
      const elf = parseElf(new Uint8Array(readFileSync(i.kernelElf)));
      const loads = elf.segments.filter((s) => s.filesz > 0 && s.paddr < 0x100000);
      for (const s of loads) {
        const lo = s.paddr & ~0xfff;
        const hi = (s.paddr + s.filesz + 0xfff) & ~0xfff;
        expect(await ask(`vFlashErase:${lo.toString(16)},${(hi - lo).toString(16)}`)).toBe('OK');
      }
      for (const s of loads)
        for (let o = 0; o < s.filesz; o += 0x3f00) {
          const part = s.data.subarray(o, Math.min(s.filesz, o + 0x3f00));
          expect(
            await ask(`vFlashWrite:${(s.paddr + o).toString(16)}:${String.fromCharCode(...part)}`),
          ).toBe('OK');
        }
      expect(await ask('vFlashDone')).toBe('OK');
      expect((await ask('g')).length).toBe(23 * 8);
      expect(await ask(`Pf=${Buffer.from(Uint32Array.of(elf.entry).buffer).toString('hex')}`)).toBe(
        'OK',
      );
      expect(await monitor('reset halt')).toBe('OK');
      expect(await ask('vCont?')).toBe('vCont;c;C;s;S;r');
      // Run, interrupt (Cortex-Debug's pause), read memory, then attach's monitor halt; detach.
      sock.write(encodePacket('vCont;c'), 'latin1');
      await new Promise((r) => setTimeout(r, 300));
      sock.write('\x03', 'latin1');
      expect(await next()).toMatch(/^T02/);
      expect(await ask('m20000000,10')).toMatch(/^[0-9a-f]{32}$/);
      expect(await monitor('halt')).toBe('OK');
      expect(await monitor('reset init')).toBe('OK');
      expect(await monitor('reg pc')).toBe('OK');
      expect(await ask('D')).toBe('OK');
      sock.destroy();
    } finally {
      await run.stop();
    }
  });

  it('lets a second gdb-multiarch read memory while the first one continues', async () => {
    const i = img();
    const run = await serve({ wait: true });
    try {
      const file = join(dir, 'first.gdb');
      writeFileSync(
        file,
        [
          'set pagination off',
          `target extended-remote 127.0.0.1:${run.server.port}`,
          'continue',
          'echo FIRST-STOPPED\\n',
          'detach',
          '',
        ].join('\n'),
      );
      const first = spawn(unwrap(gdbPath), ['-q', '-batch', '-nx', '-x', file, i.kernelElf], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let firstOut = '';
      first.stdout.on('data', (d: Buffer) => (firstOut += d.toString()));
      first.stderr.on('data', (d: Buffer) => (firstOut += d.toString()));
      const deadline = Date.now() + 30_000;
      while (run.target.state() !== 'running' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(run.target.state()).toBe('running');
      // RTC1 COUNTER (nRF52840 PS, RTC: 0x40011000 + 0x504) moves while the board runs.
      const second = await gdb(i.kernelElf, [
        'set pagination off',
        'set remote interrupt-on-connect off',
        `target extended-remote 127.0.0.1:${run.server.port}`,
        'echo K=',
        'print/x *(&nrf52840dk::reset_handler::KERNEL as *const u32)',
        'echo P=',
        'print/x &nrf52840dk::reset_handler::PROCESSES',
        'set language c',
        'echo A=',
        'print/x *(unsigned int *)0x40011504',
        'shell sleep 0.3',
        'echo B=',
        'print/x *(unsigned int *)0x40011504',
        'disconnect',
      ]);
      expect(printed(second, 'B')).not.toBe(printed(second, 'A'));
      // The kernel's first word points at its process table (a static in RAM).
      expect(printed(second, 'K')).toBe(printed(second, 'P'));
      expect(printed(second, 'K') >>> 28).toBe(2);
      expect(run.target.state()).toBe('running'); // the second client never halted it
      first.kill('SIGINT');
      await new Promise((r) => first.on('close', r));
      expect(firstOut).toMatch(/SIGINT/);
      expect(firstOut).toContain('FIRST-STOPPED');
    } finally {
      await run.stop();
    }
  });
});

describe('npm run emulator -- --gdb', () => {
  it('names the port and the process holding it when the port is taken', async () => {
    const i = img();
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as { port: number }).port;
    try {
      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'emulator/node/cli.ts',
          '--machine',
          'nrf52840dk',
          '--gdb',
          String(port),
          i.kernelElf,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(
        `port ${port} on 127.0.0.1 is already in use by pid ${process.pid}`,
      );
    } finally {
      holder.close();
    }
  });
});
