/**
 * ARM semihosting as QEMU offers it: the guest's `BKPT 0xAB` becomes a host call.
 *
 * Firmware built with newlib's rdimon (or our own bench startup) prints, reads files and exits
 * through semihosting. The core calls `handle` on `BKPT 0xAB`; this module decodes the
 * operation in r0 and its parameter block at r1, does the work through a `SemihostingHost`
 * (console, files, wall clock: the only host contact, so this file stays pure TypeScript) and
 * writes the result to r0. Time-based calls read the virtual clock, so runs stay deterministic
 * (SYS_TIME is the exception: it reports the host's wall clock, as on hardware).
 *
 * @example
 *   const semi = new Semihosting(host, { cmdline: 'app --fast' });
 *   const hooks: CoreHooks = { semihost: (core) => semi.handle(core) };
 *   // after run(): semi.exitCode is the guest's exit status once it has exited
 */
import type { AccessSize, VirtualClock } from '../core/interfaces';
import type { Result } from '../core/result';

/** Operation numbers from the ARM semihosting specification. */
export const SYS_OPEN = 0x01;
export const SYS_CLOSE = 0x02;
export const SYS_WRITEC = 0x03;
export const SYS_WRITE0 = 0x04;
export const SYS_WRITE = 0x05;
export const SYS_READ = 0x06;
export const SYS_READC = 0x07;
export const SYS_ISERROR = 0x08;
export const SYS_ISTTY = 0x09;
export const SYS_SEEK = 0x0a;
export const SYS_FLEN = 0x0c;
export const SYS_REMOVE = 0x0e;
export const SYS_CLOCK = 0x10;
export const SYS_TIME = 0x11;
export const SYS_ERRNO = 0x13;
export const SYS_GET_CMDLINE = 0x15;
export const SYS_HEAPINFO = 0x16;
export const SYS_EXIT = 0x18;
export const SYS_EXIT_EXTENDED = 0x20;
export const SYS_ELAPSED = 0x30;
export const SYS_TICKFREQ = 0x31;

/** Reason code for a normal application exit (ADP_Stopped_ApplicationExit). */
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

/** errno values returned to the guest (newlib's numbering, which matches Linux for these). */
export const ENOENT = 2;
export const EIO = 5;
export const EBADF = 9;
export const EINVAL = 22;
export const ENOSYS = 88;

/** fopen() modes indexed by the SYS_OPEN mode number. */
export const OPEN_MODES = ['r', 'rb', 'r+', 'r+b', 'w', 'wb', 'w+', 'w+b', 'a', 'ab', 'a+', 'a+b'];

/** Contents of the ":semihosting-features" pseudo-file: magic "SHFB", then feature bits. */
const FEATURE_FILE = Uint8Array.from([0x53, 0x48, 0x46, 0x42, 0x03]);

/** A host file operation's outcome; the error is the errno the guest sees (SYS_ERRNO). */
export type HostResult<T> = Result<T, number>;

/** Files on the host. Handles are the host's; the semihosting layer maps them to guest handles. */
export interface SemihostingFiles {
  open(path: string, mode: string): HostResult<number>;
  close(handle: number): HostResult<void>;
  read(handle: number, length: number): HostResult<Uint8Array>;
  write(handle: number, data: Uint8Array): HostResult<number>;
  seek(handle: number, position: number): HostResult<void>;
  length(handle: number): HostResult<number>;
  remove?(path: string): HostResult<void>;
}

/** Everything the semihosting layer needs from the host. */
export interface SemihostingHost {
  /** Guest output; stream 1 = stdout, 2 = stderr. */
  writeConsole(stream: 1 | 2, bytes: Uint8Array): void;
  /** Next console input byte, or -1 at end of input. */
  readConsole(): number;
  /** Host files, or undefined to refuse file access (SYS_OPEN fails with ENOSYS). */
  files?: SemihostingFiles;
  /** Seconds since the Unix epoch (SYS_TIME). */
  timeSeconds(): number;
}

/** The slice of the core semihosting touches (CoreControl satisfies it). */
export interface SemihostingTarget {
  readRegister(n: number): number;
  writeRegister(n: number, value: number): void;
  readMemory(address: number, size: AccessSize): number;
  readBlock(address: number, length: number): Uint8Array;
  writeBlock(address: number, data: Uint8Array): void;
  requestHalt(): void;
  /** Stop the run with an 'exit' reason after this instruction (the core's, where it has one). */
  requestExit?(code: number): void;
  readonly clock: VirtualClock;
}

export interface SemihostingOptions {
  cmdline?: string;
  /** SYS_HEAPINFO answer: heap base, heap limit, stack base, stack limit. */
  heapInfo?: [number, number, number, number];
}

type OpenFile =
  | { kind: 'console'; stream: 0 | 1 | 2 }
  | { kind: 'features'; position: number }
  | { kind: 'host'; handle: number };

/** Plain-data state for snapshots. */
export interface SemihostingState {
  errno: number;
  exitCode: number | null;
  startCycle: number;
  consoleHandles: [number, 0 | 1 | 2][];
  featureHandles: [number, number][];
  nextHandle: number;
}

const MAX_STRING = 4096;

export class Semihosting {
  /** The guest's exit status once SYS_EXIT/SYS_EXIT_EXTENDED ran, else null. */
  exitCode: number | null = null;
  private errno = 0;
  private startCycle = 0;
  private handles = new Map<number, OpenFile>();
  private nextHandle = 1;

  constructor(
    private readonly host: SemihostingHost,
    private readonly options: SemihostingOptions = {},
  ) {}

  reset(clock?: VirtualClock): void {
    this.exitCode = null;
    this.errno = 0;
    this.startCycle = clock?.now ?? 0;
    for (const [, f] of this.handles) if (f.kind === 'host') this.host.files?.close(f.handle);
    this.handles.clear();
    this.nextHandle = 1;
  }

  /** Serve one `BKPT 0xAB`. Returns true (the call is always consumed, unknown ones fail with -1). */
  handle(t: SemihostingTarget): boolean {
    const op = t.readRegister(0) >>> 0;
    const arg = t.readRegister(1) >>> 0;
    const result = this.dispatch(t, op, arg);
    if (result !== undefined) t.writeRegister(0, result >>> 0);
    return true;
  }

  private word(t: SemihostingTarget, block: number, index: number): number {
    return t.readMemory((block + index * 4) >>> 0, 4) >>> 0;
  }

  private failCount(errno: number, count: number): number {
    this.errno = errno;
    return count;
  }

  private fail(errno: number): number {
    this.errno = errno;
    return -1;
  }

  private dispatch(t: SemihostingTarget, op: number, arg: number): number | undefined {
    switch (op) {
      case SYS_OPEN:
        return this.open(t, arg);
      case SYS_CLOSE: {
        const h = this.word(t, arg, 0);
        const f = this.handles.get(h);
        if (!f) return this.fail(EBADF);
        this.handles.delete(h);
        if (f.kind === 'host') {
          const r = this.host.files!.close(f.handle);
          if (!r.ok) return this.fail(r.error);
        }
        return 0;
      }
      case SYS_WRITEC:
        this.host.writeConsole(1, Uint8Array.of(t.readMemory(arg, 1)));
        return undefined; // r0 is preserved
      case SYS_WRITE0:
        this.host.writeConsole(1, this.readCString(t, arg, 1 << 20));
        return undefined;
      case SYS_WRITE: {
        const [h, buf, len] = [this.word(t, arg, 0), this.word(t, arg, 1), this.word(t, arg, 2)];
        const f = this.handles.get(h);
        // SYS_WRITE answers with the count of bytes NOT written, so a failure returns len.
        if (!f) return this.failCount(EBADF, len);
        const data = t.readBlock(buf, len);
        if (f.kind === 'console') {
          if (f.stream === 0) return this.failCount(EBADF, len);
          this.host.writeConsole(f.stream, data);
          return 0;
        }
        if (f.kind === 'features') return this.failCount(EBADF, len);
        const r = this.host.files!.write(f.handle, data);
        if (!r.ok) return this.failCount(r.error, len);
        return len - r.value;
      }
      case SYS_READ: {
        const [h, buf, len] = [this.word(t, arg, 0), this.word(t, arg, 1), this.word(t, arg, 2)];
        const f = this.handles.get(h);
        if (!f) return this.fail(EBADF);
        let data: Uint8Array;
        if (f.kind === 'console') {
          // Like a terminal: deliver up to the end of a line, never block for more.
          const out: number[] = [];
          while (out.length < len) {
            const c = this.host.readConsole();
            if (c < 0) break;
            out.push(c);
            if (c === 10) break;
          }
          data = Uint8Array.from(out);
        } else if (f.kind === 'features') {
          data = FEATURE_FILE.subarray(f.position, f.position + len);
          f.position += data.length;
        } else {
          const r = this.host.files!.read(f.handle, len);
          if (!r.ok) return this.fail(r.error);
          data = r.value;
        }
        t.writeBlock(buf, data);
        return len - data.length;
      }
      case SYS_READC: {
        const c = this.host.readConsole();
        return c < 0 ? -1 : c;
      }
      case SYS_ISERROR:
        return (this.word(t, arg, 0) | 0) < 0 ? 1 : 0;
      case SYS_ISTTY: {
        const f = this.handles.get(this.word(t, arg, 0));
        if (!f) return this.fail(EBADF);
        return f.kind === 'console' ? 1 : 0;
      }
      case SYS_SEEK: {
        const f = this.handles.get(this.word(t, arg, 0));
        const pos = this.word(t, arg, 1);
        if (!f) return this.fail(EBADF);
        if (f.kind === 'console') return this.fail(EINVAL);
        if (f.kind === 'features') {
          if (pos > FEATURE_FILE.length) return this.fail(EINVAL);
          f.position = pos;
          return 0;
        }
        const r = this.host.files!.seek(f.handle, pos);
        return r.ok ? 0 : this.fail(r.error);
      }
      case SYS_FLEN: {
        const f = this.handles.get(this.word(t, arg, 0));
        if (!f) return this.fail(EBADF);
        if (f.kind === 'console') return this.fail(EINVAL);
        if (f.kind === 'features') return FEATURE_FILE.length;
        const r = this.host.files!.length(f.handle);
        return r.ok ? r.value : this.fail(r.error);
      }
      case SYS_REMOVE: {
        const path = new TextDecoder().decode(
          t.readBlock(this.word(t, arg, 0), Math.min(this.word(t, arg, 1), MAX_STRING)),
        );
        const r = this.host.files?.remove?.(path);
        if (!r) return this.fail(ENOSYS);
        return r.ok ? 0 : this.fail(r.error);
      }
      case SYS_CLOCK:
        return Math.floor(((t.clock.now - this.startCycle) * 100) / t.clock.frequencyHz);
      case SYS_TIME:
        return Math.floor(this.host.timeSeconds());
      case SYS_ERRNO:
        return this.errno;
      case SYS_GET_CMDLINE: {
        const buf = this.word(t, arg, 0);
        const size = this.word(t, arg, 1);
        const bytes = new TextEncoder().encode(this.options.cmdline ?? '');
        if (bytes.length + 1 > size) return this.fail(EINVAL);
        const out = new Uint8Array(bytes.length + 1);
        out.set(bytes);
        t.writeBlock(buf, out);
        t.writeBlock(arg + 4, u32le(bytes.length));
        return 0;
      }
      case SYS_HEAPINFO: {
        const block = t.readMemory(arg, 4) >>> 0;
        const info = this.options.heapInfo ?? [0, 0, 0, 0];
        const out = new Uint8Array(16);
        info.forEach((v, i) => out.set(u32le(v), i * 4));
        t.writeBlock(block, out);
        return 0;
      }
      case SYS_EXIT:
        // On AArch32 r1 holds the reason itself, not a pointer to a block.
        return this.exit(t, arg === ADP_STOPPED_APPLICATION_EXIT ? 0 : 1);
      case SYS_EXIT_EXTENDED: {
        const reason = this.word(t, arg, 0);
        const sub = this.word(t, arg, 1);
        return this.exit(t, reason === ADP_STOPPED_APPLICATION_EXIT ? sub | 0 : 1);
      }
      case SYS_ELAPSED: {
        const ticks = Math.max(0, Math.floor(t.clock.now - this.startCycle));
        const out = new Uint8Array(8);
        out.set(u32le(ticks % 2 ** 32), 0);
        out.set(u32le(Math.floor(ticks / 2 ** 32)), 4);
        t.writeBlock(arg, out);
        return 0;
      }
      case SYS_TICKFREQ:
        return t.clock.frequencyHz;
      default:
        return this.fail(ENOSYS);
    }
  }

  private exit(t: SemihostingTarget, code: number): undefined {
    this.exitCode = code;
    if (t.requestExit) t.requestExit(code);
    else t.requestHalt();
    return undefined;
  }

  private open(t: SemihostingTarget, arg: number): number {
    const pathPtr = this.word(t, arg, 0);
    const mode = this.word(t, arg, 1);
    const len = this.word(t, arg, 2);
    if (mode >= OPEN_MODES.length) return this.fail(EINVAL);
    if (len > MAX_STRING) return this.fail(EINVAL);
    const path = new TextDecoder().decode(t.readBlock(pathPtr, len));
    let file: OpenFile;
    if (path === ':tt') {
      file = { kind: 'console', stream: mode < 4 ? 0 : mode < 8 ? 1 : 2 };
    } else if (path === ':semihosting-features') {
      if (mode > 1) return this.fail(EINVAL);
      file = { kind: 'features', position: 0 };
    } else {
      if (!this.host.files) return this.fail(ENOSYS);
      const r = this.host.files.open(path, OPEN_MODES[mode]!);
      if (!r.ok) return this.fail(r.error);
      file = { kind: 'host', handle: r.value };
    }
    const h = this.nextHandle++;
    this.handles.set(h, file);
    return h;
  }

  private readCString(t: SemihostingTarget, address: number, max: number): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < max; i++) {
      const c = t.readMemory((address + i) >>> 0, 1);
      if (c === 0) break;
      out.push(c);
    }
    return Uint8Array.from(out);
  }

  /** Host files cannot be snapshotted; only console and feature handles survive a restore. */
  snapshot(): SemihostingState {
    const consoleHandles: [number, 0 | 1 | 2][] = [];
    const featureHandles: [number, number][] = [];
    for (const [h, f] of this.handles) {
      if (f.kind === 'console') consoleHandles.push([h, f.stream]);
      if (f.kind === 'features') featureHandles.push([h, f.position]);
    }
    return {
      errno: this.errno,
      exitCode: this.exitCode,
      startCycle: this.startCycle,
      consoleHandles,
      featureHandles,
      nextHandle: this.nextHandle,
    };
  }

  restore(s: SemihostingState): void {
    this.errno = s.errno;
    this.exitCode = s.exitCode;
    this.startCycle = s.startCycle;
    this.nextHandle = s.nextHandle;
    this.handles.clear();
    for (const [h, stream] of s.consoleHandles) this.handles.set(h, { kind: 'console', stream });
    for (const [h, position] of s.featureHandles)
      this.handles.set(h, { kind: 'features', position });
  }
}

function u32le(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
}
