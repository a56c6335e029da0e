/**
 * The debug session's "GDB server" switch: the session's own target served to GDB on the
 * loopback interface while the IDE keeps driving it.
 *
 * Why: a person who wants gdb-multiarch's command line or VS Code's Cortex-Debug beside the
 * IDE's panels attaches to the board the IDE already runs, instead of starting a second
 * emulator with `--gdb`. Two drivers share one target, so breakpoints and watchpoints are
 * shared by owner (`sharePoints`): the target's breakpoint at an address stays while the IDE or
 * GDB still holds it, so GDB removing its breakpoints at each stop (as it does) never takes
 * away the IDE's at the same address, nor the IDE's step's temporary one GDB's. Stops, runs and
 * halts need no arbitration: every driver sees the target's events (the IDE shows a stop GDB
 * caused as a pause or a breakpoint, GDB is told of stops while it waits for one).
 *
 * @example
 *   const shared = sharePoints(target);
 *   const ide = shared.view('ide');            // the DebugService drives this one
 *   const s = await serveToGdb(shared.view('gdb'), { port: 3333, elf, log });
 *   if (s.ok) console.log(gdbServerInfo(s.value.port, elf, 0).command);
 */
import type { Result } from '../../emulator/core/result';
import type { DebugTarget, Watchpoint } from '../../emulator/debug/target';
import { tockThreadSource } from '../../emulator/debug/tock/threads';
import { GDB_HOST, startGdbServer, type GdbServerHandle } from '../../emulator/node/gdb-server';
import type { GdbServerOptions } from '../../emulator/gdb/server';
import type { GdbServerInfo } from '../common/contract.js';

/** Who holds a breakpoint or watchpoint on a shared target. */
export type PointOwner = 'ide' | 'gdb';

export interface SharedPoints {
  /** The target as `owner` sees it: its breakpoints and watchpoints counted as its own. */
  view(owner: PointOwner): DebugTarget;
  /** The owners holding a breakpoint at `address` (for tests and diagnostics). */
  holders(address: number): PointOwner[];
}

const watchKey = (w: Watchpoint): string => `w:${w.access}:${w.address >>> 0}:${w.length}`;

/**
 * Breakpoints and watchpoints of `target` held per owner: set on the target when the first
 * owner asks, cleared when the last one lets go. Everything else is the target's own.
 */
export function sharePoints(target: DebugTarget): SharedPoints {
  const held = new Map<string, Set<PointOwner>>();
  const hold = async (
    owner: PointOwner,
    key: string,
    set: () => Promise<Result<void>>,
  ): Promise<Result<void>> => {
    const owners = held.get(key);
    if (owners && owners.size > 0) {
      owners.add(owner);
      return { ok: true, value: undefined };
    }
    const r = await set();
    if (r.ok) held.set(key, new Set([owner]));
    return r;
  };
  const release = async (
    owner: PointOwner,
    key: string,
    clear: () => Promise<Result<void>>,
  ): Promise<Result<void>> => {
    const owners = held.get(key);
    // Held by others only: not this owner's to take away. Held by nobody: the target answers.
    if (!owners || !owners.has(owner))
      return owners && owners.size > 0 ? { ok: true, value: undefined } : clear();
    owners.delete(owner);
    if (owners.size > 0) return { ok: true, value: undefined };
    held.delete(key);
    return clear();
  };
  const views = new Map<PointOwner, DebugTarget>();
  const view = (owner: PointOwner): DebugTarget => {
    const existing = views.get(owner);
    if (existing) return existing;
    const own: Partial<DebugTarget> = {
      setBreakpoint: (a) => hold(owner, `b:${a >>> 0}`, () => target.setBreakpoint(a)),
      clearBreakpoint: (a) => release(owner, `b:${a >>> 0}`, () => target.clearBreakpoint(a)),
      setWatchpoint: (w) => hold(owner, watchKey(w), () => target.setWatchpoint(w)),
      clearWatchpoint: (w) => release(owner, watchKey(w), () => target.clearWatchpoint(w)),
    };
    const v = new Proxy(target, {
      get(t, key, receiver) {
        if (typeof key === 'string' && key in own) return own[key as keyof DebugTarget];
        const value: unknown = Reflect.get(t, key, receiver === v ? t : receiver);
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(t)
          : value;
      },
    });
    views.set(owner, v);
    return v;
  };
  return {
    view,
    holders: (address) => [...(held.get(`b:${address >>> 0}`) ?? [])],
  };
}

/** What the switch shows: the port, the command line and the Cortex-Debug configuration. */
export function gdbServerInfo(port: number, elf: string, clients: number): GdbServerInfo {
  const quoted = /^[\w./@%+=:,-]+$/.test(elf) ? elf : `'${elf.replace(/'/g, `'\\''`)}'`;
  const launch = {
    name: `Capsule Studio GDB server (${GDB_HOST}:${port})`,
    type: 'cortex-debug',
    request: 'attach',
    servertype: 'external',
    gdbTarget: `${GDB_HOST}:${port}`,
    gdbPath: 'gdb-multiarch',
    executable: elf,
    cwd: '${workspaceFolder}',
  };
  return {
    host: GDB_HOST,
    port,
    elf,
    command: `gdb-multiarch ${quoted} -ex 'target extended-remote ${GDB_HOST}:${port}'`,
    launchJson: JSON.stringify(launch, null, 2),
    clients,
  };
}

/**
 * Starts a GDB server over `target` on the loopback port (0: any free one), with the Tock
 * processes as threads when the kernel ELF has them. A taken port is an error naming it.
 */
export async function serveToGdb(
  target: DebugTarget,
  o: {
    port: number;
    elf: Uint8Array | null;
    log: (line: string) => void;
    hideStop?: GdbServerOptions['hideStop'];
  },
): Promise<Result<GdbServerHandle>> {
  const threads = o.elf ? await tockThreadSource(o.elf) : null;
  return startGdbServer(target, {
    port: o.port,
    log: o.log,
    ...(o.hideStop ? { hideStop: o.hideStop } : {}),
    ...(threads?.ok ? { threads: threads.value } : {}),
  });
}
