/**
 * The Tock views' models on the built nRF52840-DK kernel, in the emulator's worker target (the
 * recorder crosses the worker through `DebugTarget.recorder`):
 * - cells (emulator/debug/tock/cells.ts): found from the debug anchor by walking the DWARF; the
 *   console capsule's `buffer: TakeCell` is present when the capsule's `command` runs, taken
 *   (empty after having been present) in the UARTE interrupt handler, present again after;
 * - DMA (dma.ts): in that handler UARTE0 TXD points into the console's static buffer, which the
 *   kernel's DMA channel holds and the console capsule gave up; no violation is flagged;
 * - timeline (timeline.ts): with the kernel's trace port enabled as a debugger does, hello's
 *   `command console 1` (write) system call returns Success and is followed by its console
 *   upcall (queued, then delivered) in hello's lane; the Chrome trace export names the lanes;
 * - the Timeline's click on that write (main/host/host.ts `timelineSource`): the process stack
 *   the recorder kept at the call, unwound through hello's CFI (debug-dwarf.ts
 *   `stackedLineChain`), leads past the runtime's console write to hello's own `println!` line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DebugTarget } from '../../emulator/debug/target';
import { runToStop, unwrap } from '../../emulator/debug/testing/target-helpers';
import { CellsModel, type CellRecord } from '../../emulator/debug/tock/cells';
import { describeOwner, dmaView } from '../../emulator/debug/tock/dma';
import { Timeline, enableKernelTrace } from '../../emulator/debug/tock/timeline';
import { cachedMemory, DebugInfo } from '../../emulator/formats/dwarf/index';
import { parseElf } from '../../emulator/formats/elf';
import { DwarfProgramView } from '../../main/host/debug-dwarf';
import { findImages } from '../../main/host/debug-images';
import { startEmulatorWorker } from '../../main/host/emulator-worker-target';
import { CallSites } from '../../main/host/tock-source';
import { kernelImage } from './qemu';

const img = (): ReturnType<typeof kernelImage> => kernelImage('nrf52840dk');

let target: DebugTarget;
let elf: Uint8Array;
let info: DebugInfo;

function symbol(pattern: RegExp): number {
  const sym = parseElf(elf).symbols.find((x) => pattern.test(x.name) && x.value !== 0);
  if (!sym) throw new Error(`no symbol matching ${pattern}`);
  return sym.value & ~1;
}

const word = async (a: number): Promise<{ ok: boolean; value?: number }> => {
  const r = await target.readMemory(a, 4);
  return r.ok
    ? { ok: true, value: new DataView(r.value.buffer, r.value.byteOffset).getUint32(0, true) }
    : { ok: false };
};
const writeWord = (a: number, v: number): Promise<{ ok: boolean; error?: string }> => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return target.writeMemory(a, b);
};

beforeAll(async () => {
  const i = img();
  elf = new Uint8Array(readFileSync(i.kernelElf));
  info = unwrap(DebugInfo.load(elf, { name: 'kernel' }));
  target = unwrap(
    await startEmulatorWorker({
      machine: 'nrf52840dk',
      board: 'nrf52840dk',
      files: [
        { name: i.kernelElf, bytes: elf.slice() },
        {
          name: i.appsBin,
          bytes: new Uint8Array(readFileSync(i.appsBin)),
          address: i.manifest.appsStart,
        },
      ],
    }),
  );
}, 60_000);

afterAll(async () => {
  await target?.close();
});

describe('Tock views on the nRF52840-DK kernel (emulator worker)', () => {
  it('cells, DMA and the timeline around hello console write', { timeout: 240_000 }, async () => {
    expect(target.recorder).toBeDefined();
    expect(await enableKernelTrace(word, writeWord)).toBeNull();
    unwrap(await target.recorder!({ op: 'start', timeline: true, dma: true }));
    const cells = unwrap(CellsModel.fromDebugInfo(info));
    const read = async (): Promise<CellRecord[]> => {
      const r = unwrap(await cells.read(cachedMemory((a, n) => target.readMemory(a, n))));
      expect(r.anchorVersion).toBe(1);
      return r.cells;
    };
    const consoleBuffer = (list: CellRecord[]): CellRecord => {
      const c = list.find(
        (x) => x.owner.startsWith('capsules::console::Console') && x.field === 'buffer',
      );
      if (!c) throw new Error(`no console buffer cell among ${list.map((x) => x.path).join(', ')}`);
      return c;
    };

    // 1. The console capsule's command (hello's write): its buffer is in its cell.
    const command = symbol(/capsules\.\.console\.\.Console.*SyscallDriver.*7command/);
    unwrap(await target.setBreakpoint(command));
    unwrap(await target.resume());
    await runToStop(target, 200_000);
    const atCommand = await read();
    expect(atCommand.length).toBeGreaterThan(10);
    const before = consoleBuffer(atCommand);
    expect(before).toMatchObject({ kind: 'TakeCell', heldType: '&mut [u8]', occupancy: 'present' });
    expect(before.capsule).toBe('capsules::console');
    expect(before.held?.length).toBe(128);
    // The bytes the occupancy history watches (CellsModel.occupancySpans) lie inside each cell;
    // a niche Option<&mut [u8]> is read from its data pointer word alone, a MapCell from its
    // Option's discriminant and its busy flag.
    for (const c of atCommand) {
      const size = cells.cellSize(c.address)!;
      const spans = cells.occupancySpans(c.address)!;
      expect(spans.length).toBe(c.kind === 'MapCell' ? 2 : 1);
      for (const x of spans) {
        expect(x.address).toBeGreaterThanOrEqual(c.address);
        expect(x.address + x.length).toBeLessThanOrEqual(c.address + size);
      }
    }
    const [ptrWord] = cells.occupancySpans(before.address)!;
    expect(ptrWord!.length).toBe(4);
    expect((await word(ptrWord!.address)).value).toBe(before.held!.ptr);
    // The walk reaches the chip's DMA channels through the platform's vtable.
    expect(
      atCommand.some((c) => c.owner.startsWith('kernel::dma::DmaChannel') && c.field === 'buffer'),
    ).toBe(true);
    unwrap(await target.clearBreakpoint(command));

    // At a stop, the cells come from one read per span of the words the walk followed and the
    // cells' own (atStop): the same cells as the walk, in a few reads, not a walk's hundreds.
    const counted = (tamper?: (a: number, b: Uint8Array) => void) => {
      const calls = { n: 0 };
      const mem = async (a: number, n: number) => {
        calls.n++;
        const r = await target.readMemory(a, n);
        if (r.ok) tamper?.(a, r.value);
        return r;
      };
      return { calls, mem };
    };
    const walked = counted();
    unwrap(await unwrap(CellsModel.fromDebugInfo(info)).read(cachedMemory(walked.mem)));
    const spans = counted();
    const again = unwrap(await cells.atStop(spans.mem));
    expect(again.cells.map((c) => [c.path, c.occupancy])).toEqual(
      atCommand.map((c) => [c.path, c.occupancy]),
    );
    expect(spans.calls.n).toBeLessThan(10);
    expect(walked.calls.n).toBeGreaterThan(spans.calls.n * 5);
    // A word the walk followed reads differently (here the anchor's version): a full walk.
    const anchor = info.findStatic('CAPSULE_DEBUG_ANCHOR')[0]!;
    const anchorVersion =
      anchor.address +
      (anchor.type.kind === 'struct'
        ? anchor.type.fields.find((f) => f.name === 'version')!.offset
        : NaN);
    const changed = counted((a, b) => {
      if (anchorVersion >= a && anchorVersion < a + b.length) b[anchorVersion - a] ^= 0x80;
    });
    const rewalked = unwrap(await cells.atStop(changed.mem));
    expect(rewalked.notes.join(' ')).toMatch(/debug anchor is version/);
    expect(changed.calls.n).toBeGreaterThan(spans.calls.n);
    unwrap(await cells.read(cachedMemory((a, n) => target.readMemory(a, n))));

    // 2. The UARTE interrupt: the transfer of the console's buffer has ended.
    const irq = symbol(/nrf525uarte5Uarte16handle_interrupt/);
    unwrap(await target.setBreakpoint(irq));
    let dmaInfo;
    let now: CellRecord[] = [];
    for (let i = 0; i < 5; i++) {
      unwrap(await target.resume());
      await runToStop(target, 200_000);
      now = await read();
      const reply = unwrap(await target.recorder!({ op: 'dma' }));
      if (reply.op !== 'dma') throw new Error('not a dma reply');
      const tx = reply.channels.find((c) => c.peripheral === 'UARTE0' && c.channel === 'TXD')!;
      if (before.held && tx.ptr >= before.held.ptr && tx.ptr < before.held.ptr + 128) {
        dmaInfo = reply.channels;
        break;
      }
    }
    expect(dmaInfo, 'UARTE0 TXD never pointed at the console buffer').toBeDefined();
    expect(consoleBuffer(now).occupancy).toBe('taken');
    const view = await dmaView({
      channels: dmaInfo!,
      cells: now,
      formerHolders: (p) => cells.formerHolders(p, now),
      info,
      ram: [{ start: 0x2000_0000, size: 0x4_0000 }],
      mem: (a, n) => target.readMemory(a, n),
    });
    const tx = view.find((c) => c.peripheral === 'UARTE0' && c.channel === 'TXD')!;
    const owners = tx.owners.map(describeOwner);
    expect(owners).toContain('capsules::console Console.buffer (gave it up)');
    expect(owners.some((o) => o.startsWith('kernel::dma DmaChannel.buffer'))).toBe(true);
    expect(owners.some((o) => /^static components::console::BUF/.test(o))).toBe(true);
    expect(tx.problems).toEqual([]);
    expect(tx.preview?.length).toBeGreaterThan(0);
    unwrap(await target.clearBreakpoint(irq));

    // 3. Continuing to the console's next commands: the buffer is back
    // (a command may come while the write is still in flight: the next ones find it back).
    unwrap(await target.setBreakpoint(command));
    const seen: string[] = [];
    for (let i = 0; i < 5 && seen.at(-1) !== 'present'; i++) {
      unwrap(await target.resume());
      await runToStop(target, 200_000);
      seen.push(consoleBuffer(await read()).occupancy);
    }
    expect(seen.at(-1)).toBe('present');
    unwrap(await target.clearBreakpoint(command));

    // 4. The timeline: hello's write, its result, then its upcall.
    const chunk = unwrap(await target.recorder!({ op: 'fetch', since: 0 }));
    if (chunk.op !== 'chunk') throw new Error('not a chunk');
    const manifest = img().manifest;
    const tl = new Timeline(
      manifest.apps
        .filter((a) => a.inImage !== false && a.ram !== null)
        .map((a, slot) => ({ slot, name: a.name, ram: { start: a.ram!, end: a.ram! + 0x2000 } })),
    );
    tl.add(chunk.chunk);
    expect(tl.lost).toBe(0);
    const hello = tl.events.filter((e) => e.lane === 'hello');
    const write = hello.findIndex((e) => e.kind === 'syscall' && e.name === 'command console 1');
    expect(write).toBeGreaterThanOrEqual(0);
    expect(hello[write]!.args.result).toBe('Success');
    expect(hello[write]!.duration).toBeGreaterThan(0);
    const after = hello.slice(write + 1).map((e) => `${e.kind} ${e.name}`);
    const queued = after.indexOf('upcall upcall-queued console 1');
    expect(queued).toBeGreaterThanOrEqual(0);
    expect(after.indexOf('upcall upcall-delivered console 1')).toBeGreaterThan(queued);
    expect(tl.events.some((e) => e.kind === 'irq')).toBe(true);
    expect(tl.events.some((e) => e.kind === 'switch' && e.lane === 'hello')).toBe(true);
    const trace = tl.chromeTrace();
    expect(JSON.stringify(trace)).toContain('"name":"hello"');

    // 5. The Timeline's click on that write: the stack the recorder kept at the call, unwound
    //    through hello's CFI, past the runtime's console write (a real call, not inlined), to
    //    hello's own line: the first `println!` of `app_main`.
    const seq = hello[write]!.seq;
    expect(seq).toBeDefined();
    const kept = unwrap(await target.recorder!({ op: 'stack', seq: seq! }));
    if (kept.op !== 'stack' || !kept.stack) throw new Error("hello's write has no kept stack");
    expect(kept.stack.frame).toBeGreaterThanOrEqual(
      manifest.apps.find((a) => a.name === 'hello')!.ram!,
    );
    const root = path.resolve(import.meta.dirname, '..', '..', 'kernel');
    const program = DwarfProgramView.load(unwrap(findImages(root, 'nrf52840dk')), root);
    const chain = await program.stackedLineChain!(
      kept.stack.frame,
      kept.stack.bytes,
      kept.stack.r4to11,
      (a, n) => target.readMemory(a, n),
    );
    expect(chain.map((f) => path.relative(root, f.file))).toEqual(
      expect.arrayContaining(['apps/runtime/src/console.rs', 'apps/hello/src/main.rs']),
    );
    const helloLine =
      readFileSync(path.join(root, 'apps/hello/src/main.rs'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('println!("hello: Hello, World!")')) + 1;
    expect(new CallSites(root).appCallSite(chain)).toMatchObject({
      path: 'apps/hello/src/main.rs',
      line: helloLine,
    });
    // Without the kept stack the svc's inline chain stops in the runtime (the old answer).
    const inline = program.lineChain!(hello[write]!.pc!);
    expect(new CallSites(root).appCallSite(inline)?.path).not.toBe('apps/hello/src/main.rs');
    // An unknown record has no stack.
    const none = unwrap(await target.recorder!({ op: 'stack', seq: 0x7fff_ffff }));
    expect(none.op === 'stack' && none.stack).toBeNull();
  });
});
