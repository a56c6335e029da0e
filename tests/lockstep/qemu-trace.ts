/**
 * QEMU's own per-instruction register trace, streamed: qemu-system-arm runs mps2-an386 with
 * `-singlestep -d cpu,nochain` (QEMU 7.2: one instruction per translation block, and the CPU
 * state logged before each block runs) into a pipe, and this parses the log as it arrives.
 *
 * Why: single-stepping QEMU through its gdbstub compares about 1,800 instructions a second;
 * the log runs QEMU at full single-step speed (a few hundred thousand instructions a second
 * here), so the lockstep suite can compare tens of millions. Debian's QEMU 7.2 has TCG plugins,
 * but their API reads no registers before QEMU 9, so the `-d cpu` log is the oracle.
 *
 * A record is r0-r15 and xPSR as QEMU prints them (`R00=... R15=...`, `XPSR=...`): the state
 * before the instruction at R15 runs, exception entries already applied.
 *
 * Usage:
 *   const t = startQemuTrace(elf, { semihosting: true, args: ['bench', '10'] });
 *   await t.ready();
 *   for (let b = t.next(4096); b !== null; b = t.next(4096)) for (const rec of b) ...;
 *   await t.stop();
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** r0-r15 then xPSR. */
export type TraceRecord = Uint32Array;

export interface QemuTrace {
  /** Resolves once QEMU has opened its log (call before `next`). */
  ready(): Promise<void>;
  /**
   * The next records in program order (at least one, at most about `max`), read with blocking
   * reads (an event-loop turn per pipe read would cost more than the comparison); null once
   * QEMU has exited and the log is drained.
   */
  next(max: number): TraceRecord[] | null;
  /** Text QEMU wrote to stderr (semihosting console, errors). */
  stderr(): string;
  stop(): Promise<void>;
}

export function startQemuTrace(
  elf: string,
  opts: {
    semihosting?: boolean;
    args?: string[];
    /**
     * Run QEMU with `-icount shift=0,sleep=off`: its clocks count instructions (1 ns each) and
     * jump over sleep instead of following the host's clock, so timer interrupts land on the
     * same instruction every run. QEMU then logs an instruction that does I/O once more before
     * it runs it (the first attempt is abandoned and retranslated to end its block).
     */
    icount?: boolean;
    /** A raw image QEMU's generic loader puts at `address` (the kernel's apps). */
    loader?: { file: string; address: number };
  } = {},
): QemuTrace {
  // The log is a file in memory (/dev/shm where it exists) that this side reads as QEMU writes
  // it. QEMU flushes its log once per instruction: through a pipe (64 KiB) every flush would
  // wait for this side. What has been read is punched out of the file (fallocate), so it never
  // holds more than a few megabytes.
  const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(shm, 'qemu-trace-'));
  const fifo = join(dir, 'log');
  const args = [
    '-M',
    'mps2-an386',
    '-nographic',
    '-monitor',
    'none',
    '-serial',
    'null',
    '-singlestep',
    '-d',
    'cpu,nochain',
    '-D',
    fifo,
    '-kernel',
    elf,
  ];
  if (opts.semihosting) {
    const extra = (opts.args ?? []).map((a) => `,arg=${a}`).join('');
    args.push('-semihosting-config', `enable=on,target=native${extra}`);
  }
  if (opts.icount) args.push('-icount', 'shift=0,sleep=off');
  if (opts.loader)
    args.push(
      '-device',
      `loader,file=${opts.loader.file},addr=0x${opts.loader.address.toString(16)}`,
    );
  const child = spawn('qemu-system-arm', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let fd = -1;
  let offset = 0;
  let punched = 0;
  const opened = (async (): Promise<void> => {
    for (let i = 0; i < 2000 && !existsSync(fifo); i++) await new Promise((r) => setTimeout(r, 5));
    if (!existsSync(fifo)) throw new Error(`QEMU did not start its log: ${err}`);
    fd = openSync(fifo, 'r');
  })();
  const alive = (): boolean => {
    try {
      process.kill(child.pid!, 0);
      return child.exitCode === null;
    } catch {
      return false;
    }
  };
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const buf = Buffer.alloc(1 << 20);
  let fill = 0;
  let cur = new Uint32Array(17);
  let have = 0;
  let eof = false;
  void eof;
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  child.once('error', (e) => (err += `\n${e.message}`));

  const hexAt = (i: number): number => {
    let v = 0;
    for (let k = 0; k < 8; k++) {
      const c = buf[i + k]!;
      v = v * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
    }
    return v;
  };

  /** Parses whole log lines in buf[0, fill) into `out`, straight from the bytes. */
  function parse(out: TraceRecord[]): void {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl < 0 || nl >= fill) break;
      // "R00=xxxxxxxx R01=xxxxxxxx R02=xxxxxxxx R03=xxxxxxxx" or "XPSR=xxxxxxxx ..."
      if (buf[start] === 82 && nl - start >= 51) {
        const first = (buf[start + 1]! - 48) * 10 + (buf[start + 2]! - 48);
        for (let f = 0; f < 4; f++) cur[first + f] = hexAt(start + 4 + 13 * f);
        have += 4;
      } else if (buf[start] === 88 && buf[start + 4] === 61) {
        cur[16] = hexAt(start + 5);
        if (have === 16) out.push(cur);
        cur = new Uint32Array(17);
        have = 0;
      }
      start = nl + 1;
    }
    buf.copyWithin(0, start, fill);
    fill -= start;
  }

  function next(max: number): TraceRecord[] | null {
    const out: TraceRecord[] = [];
    while (out.length === 0 || (out.length < max && fill < buf.length / 2)) {
      if (eof) return out.length ? out : null;
      const n = readSync(fd, buf, fill, buf.length - fill, offset);
      offset += n;
      fill += n;
      if (n === 0) {
        if (out.length) break;
        // Caught up with QEMU: wait for more, or stop once it has exited and all is read.
        if (!alive()) {
          const m = readSync(fd, buf, fill, buf.length - fill, offset);
          offset += m;
          fill += m;
          if (m === 0) eof = true;
        } else Atomics.wait(nap, 0, 0, 2);
      }
      parse(out);
      if (offset - punched > 64 << 20) {
        const upto = offset & ~0xfffff;
        spawnSync('fallocate', ['--punch-hole', '--offset', '0', '--length', String(upto), fifo]);
        punched = upto;
      }
    }
    return out;
  }

  return {
    ready: () => opened,
    next,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      if (fd >= 0) closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
