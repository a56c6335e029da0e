/**
 * The host's Tock views service: the kernel's cells and the EasyDMA channels of the board the
 * debug session runs, read at a stop (or live on the emulator, whose reads are side-effect
 * free), from the models in emulator/debug/tock (cells.ts, dma.ts) over the session's
 * `DebugTarget` and the kernel ELF's DWARF.
 *
 * The kernel's DWARF is loaded once per kernel image; the cells model lives as long as the
 * session (it remembers which cells it saw full, so an empty one reads "taken", and who held a
 * buffer the DMA now moves). Each failure is a sentence the panel shows as it is: no session,
 * a kernel without debug information or without the anchor, a target without EasyDMA state.
 *
 * @example
 *   const tock = new TockService(() => ({ target: debug.target, kernel: debug.images?.files[0] }));
 *   const cells = await tock.cells(); // Result<TockCellsView>
 */
import type { DebugTarget } from '../../emulator/debug/target';
import { CellsModel } from '../../emulator/debug/tock/cells';
import { describeOwner, dmaView } from '../../emulator/debug/tock/dma';
import { explainProcessFault } from '../../emulator/debug/tock/fault';
import { ProcessTable } from '../../emulator/debug/tock/processes';
import { anchorNote, driverName, processesView } from '../../emulator/debug/tock/processes-view';
import { cachedMemory, DebugInfo } from '../../emulator/formats/dwarf/index';
import type {
  TockCellsView,
  TockDmaView,
  TockProcessActionArgs,
  TockProcessActionResult,
  TockProcessesView,
} from '../common/tock-views.js';

export interface TockSession {
  target: DebugTarget | null;
  /** The kernel ELF the session runs. */
  kernel: { name: string; bytes: Uint8Array } | null | undefined;
  /** The source line of an address (kernel or app), for the fault explainer's jump. */
  lineAt?: (pc: number) => { path: string; line: number; inProject: boolean } | null;
  /** True while the session is halted (a debugger may write the kernel's memory). */
  halted?: boolean;
  /** Bytes to the kernel's console (its process console reads them). */
  consoleInput?: (bytes: Uint8Array) => Promise<Plain<null>>;
}

const sourceOf = (
  l: { path: string; line: number; inProject: boolean } | null,
): { path: string; line: number; inProject: boolean } | null =>
  l && { path: l.path, line: l.line, inProject: l.inProject };

type Plain<T> = { ok: true; value: T } | { ok: false; error: string };

const hexBytes = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

export class TockService {
  private loaded: {
    bytes: Uint8Array;
    target: DebugTarget;
    model: Plain<CellsModel>;
    info: DebugInfo | null;
    table: Plain<ProcessTable>;
  } | null = null;

  constructor(private readonly session: () => TockSession) {}

  private model(): Plain<{
    target: DebugTarget;
    cells: Plain<CellsModel>;
    info: DebugInfo | null;
  }> {
    const s = this.session();
    if (!s.target) return { ok: false, error: 'No debug session: start one with Run or Debug.' };
    if (!s.kernel) return { ok: false, error: 'The session has no kernel image.' };
    if (!this.loaded || this.loaded.bytes !== s.kernel.bytes || this.loaded.target !== s.target) {
      const info = DebugInfo.load(s.kernel.bytes, { name: s.kernel.name });
      const model: Plain<CellsModel> = info.ok
        ? CellsModel.fromDebugInfo(info.value)
        : { ok: false, error: `The kernel's debug information cannot be read: ${info.error}` };
      this.loaded = {
        bytes: s.kernel.bytes,
        target: s.target,
        model,
        info: info.ok ? info.value : null,
        table: info.ok
          ? ProcessTable.fromDebugInfo(info.value)
          : { ok: false, error: `The kernel's debug information cannot be read: ${info.error}` },
      };
    }
    return {
      ok: true,
      value: { target: this.loaded.target, cells: this.loaded.model, info: this.loaded.info },
    };
  }

  /** Every process with its counters, memory map, MPU regions and its last fault explained. */
  async processes(): Promise<Plain<TockProcessesView>> {
    const m = this.model();
    if (!m.ok) return m;
    const loaded = this.loaded!;
    if (!loaded.info) return loaded.table as { ok: false; error: string };
    if (!loaded.table.ok) return loaded.table;
    const t = m.value.target;
    const mem = cachedMemory((a, n) => t.readMemory(a, n));
    const r = await processesView(loaded.info, loaded.table.value, mem);
    if (!r.ok) return { ok: false, error: `The process table cannot be read: ${r.error}` };
    const notes: string[] = [];
    const anchor = await anchorNote(loaded.info, mem);
    if (anchor) notes.push(anchor);
    const missing = new Set(r.value.flatMap((p) => p.missing));
    if (missing.size > 0) notes.push(`Not recorded by this kernel: ${[...missing].join(', ')}.`);
    const lineAt = this.session().lineAt;
    return {
      ok: true,
      value: {
        notes,
        processes: r.value.map((p) => {
          const explained = explainProcessFault(p, r.value, t.description.memoryMap);
          return {
            slot: p.slot,
            id: p.id,
            name: p.name,
            state: p.state,
            ...p.counters,
            lastSyscall: p.lastSyscall,
            policy: p.policy,
            memory: p.memory,
            mpu: p.mpu.map(({ rbar: _b, rasr: _r, ...region }) => region),
            subscriptions: p.tables.subscriptions.map((x) => ({
              ...x,
              driver: driverName(x.driver),
            })),
            allows: p.tables.allows.map((x) => ({ ...x, driver: driverName(x.driver) })),
            upcalls: p.tables.upcalls.map((x) => ({ ...x, driver: driverName(x.driver) })),
            fault: explained && {
              ...explained,
              source: sourceOf(lineAt?.(explained.pc) ?? null),
            },
            missing: p.missing,
          };
        }),
      },
    };
  }

  /**
   * Acts on a process. Stop, and start of a live process, are the `stopped` flag alone (all the
   * kernel's process console does for them): written at once while halted. Fault, terminate,
   * restart and start of an ended process run kernel code (fault policy, grants and upcalls
   * freed, memory reset), which a memory write cannot do exactly: they are the process
   * console's commands, sent to the kernel's console, carried out when the target runs.
   */
  async processAction(a: TockProcessActionArgs): Promise<Plain<TockProcessActionResult>> {
    const m = this.model();
    if (!m.ok) return m;
    const loaded = this.loaded!;
    if (!loaded.table.ok) return loaded.table;
    const t = m.value.target;
    const procs = await loaded.table.value.read(cachedMemory((x, n) => t.readMemory(x, n)));
    if (!procs.ok) return { ok: false, error: `The process table cannot be read: ${procs.error}` };
    const p = procs.value.find((x) => x.slot === a.slot);
    if (!p || p.id !== a.id)
      return {
        ok: false,
        error: `Slot ${a.slot} no longer holds that process (it ended or restarted): read the view again.`,
      };
    const ended = p.state === 'Faulted' || p.state === 'Terminated';
    const s = this.session();
    if ((a.action === 'stop' || (a.action === 'start' && !ended)) && s.halted) {
      const w = await t.writeMemory(
        loaded.table.value.stoppedAddress(p.address),
        Uint8Array.of(a.action === 'stop' ? 1 : 0),
      );
      if (!w.ok) return { ok: false, error: `Cannot write ${p.name}'s stopped flag: ${w.error}` };
      return {
        ok: true,
        value: {
          message: `${p.name} ${a.action === 'stop' ? 'stopped' : 'resumed'}: its stopped flag written while halted.`,
          whenRunning: false,
        },
      };
    }
    const commands: Record<TockProcessActionArgs['action'], string[]> = {
      stop: ['stop'],
      start: ['start'],
      fault: ['fault'],
      terminate: ['terminate'],
      restart: ended ? ['start'] : ['terminate', 'start'],
    };
    if (!s.consoleInput) return { ok: false, error: 'This session has no console to send to.' };
    const text = commands[a.action].map((c) => `${c} ${p.slot}\r`).join('');
    const sent = await s.consoleInput(new TextEncoder().encode(text));
    if (!sent.ok) return sent;
    return {
      ok: true,
      value: {
        message: `Sent "${text.replace(/\r/g, '; ').replace(/; $/, '')}" to the process console${s.halted ? ': the kernel carries it out when the target continues' : ''}.`,
        whenRunning: !!s.halted,
      },
    };
  }

  async cells(): Promise<Plain<TockCellsView>> {
    const m = this.model();
    if (!m.ok) return m;
    if (!m.value.cells.ok) return m.value.cells;
    const t = m.value.target;
    const r = await m.value.cells.value.read(cachedMemory((a, n) => t.readMemory(a, n)));
    if (!r.ok) return r;
    return {
      ok: true,
      value: {
        cells: r.value.cells.map((c) => ({ ...c, owner: c.owner.split('<')[0]! })),
        notes: r.value.notes,
        anchorVersion: r.value.anchorVersion,
      },
    };
  }

  async dma(): Promise<Plain<TockDmaView>> {
    const m = this.model();
    if (!m.ok) return m;
    const t = m.value.target;
    if (!t.recorder)
      return {
        ok: false,
        error: 'This target reports no EasyDMA channel state: the DMA view needs the emulator.',
      };
    const reply = await t.recorder({ op: 'dma' });
    if (!reply.ok) return reply;
    if (reply.value.op !== 'dma') return { ok: false, error: 'unexpected recorder reply' };
    const notes: string[] = [];
    const model = m.value.cells;
    let cells: Awaited<ReturnType<CellsModel['read']>> | null = null;
    if (model.ok) cells = await model.value.read(cachedMemory((a, n) => t.readMemory(a, n)));
    else notes.push(model.error);
    if (cells && !cells.ok) notes.push(cells.error);
    const now = cells?.ok ? cells.value.cells : [];
    const ram = t.description.memoryMap
      .filter((r) => r.kind === 'ram')
      .map((r) => ({ start: r.start, size: r.size }));
    const view = await dmaView({
      channels: reply.value.channels,
      cells: now,
      ...(model.ok ? { formerHolders: (p: number) => model.value.formerHolders(p, now) } : {}),
      ...(m.value.info ? { info: m.value.info } : {}),
      ram,
      mem: (a, n) => t.readMemory(a, n),
    });
    return {
      ok: true,
      value: {
        channels: view.map((c) => ({
          peripheral: c.peripheral,
          channel: c.channel,
          ptr: c.ptr,
          maxcnt: c.maxcnt,
          amount: c.amount,
          state: c.state,
          owners: c.owners.map(describeOwner),
          preview: c.preview ? hexBytes(c.preview) : null,
          problems: c.problems.map((p) => p.message),
        })),
        notes,
      },
    };
  }
}
