import { describe, expect, it } from 'vitest';
import type { Result, TockCell } from '../../../main/common/contract';
import { hostConnection, type Transport } from '../client';
import { cellHover, cellWords, namesCellType, TockCellsModel } from './tock-cells';

const cell = (over: Partial<TockCell>): TockCell => ({
  path: 'platform.console.buffer',
  address: 0x2000_1000,
  kind: 'TakeCell',
  owner: 'capsules::console::Console',
  capsule: 'capsules::console',
  field: 'buffer',
  heldType: '&mut [u8]',
  occupancy: 'present',
  held: { ptr: 0x2000_2000, length: 128 },
  decl: { path: 'capsules/src/console.rs', inProject: true, line: 35, column: 5 },
  changedAt: null,
  reason: null,
  ...over,
});

describe('cell words', () => {
  it('says how long ago a cell was taken and where its buffer went', () => {
    const taken = cell({
      occupancy: 'taken',
      held: null,
      changedAt: 1000,
      reason: 'UARTE0 TXD in flight',
    });
    expect(cellWords(taken, 1000 + 204_800, 64e6)).toBe('taken 3.2 ms ago: UARTE0 TXD in flight');
    expect(cellWords(taken, 1000 + 640, 64e6)).toBe('taken 10 µs ago: UARTE0 TXD in flight');
    expect(cellWords(taken, null, null)).toBe('taken: UARTE0 TXD in flight');
    expect(cellWords(taken, 1000, 64e6)).toBe('taken: UARTE0 TXD in flight');
    expect(cellWords(cell({ changedAt: 5 }), 100, 64e6)).toBe('present');
    expect(cellWords(cell({ occupancy: 'busy' }), null, null)).toBe('busy (lent to a closure)');
  });

  it('hovers with the type, the path and what it holds', () => {
    expect(cellHover(cell({}))).toBe(
      '**TakeCell<&mut [u8]>** `platform.console.buffer` at 0x20001000  \npresent: holds 0x20002000 (128 bytes)',
    );
  });
});

/** A host that records what the window asks of the live cells and can send a reading. */
function fakeHost() {
  const asked: boolean[] = [];
  let send: ((name: string, payload: unknown) => void) | null = null;
  const transport: Transport = {
    call: async (method, args) => {
      if (method === 'tock.liveCells') asked.push((args as { on: boolean }).on);
      return { ok: true, value: null } as Result<unknown>;
    },
    onEvents: (listener) => {
      send = (name, payload) => listener([{ name, payload }] as never);
      return () => {};
    },
  };
  const model = new TockCellsModel(hostConnection(transport));
  return { asked, model, send: (name: string, payload: unknown) => send?.(name, payload) };
}

describe('live cells are read only while something shows them', () => {
  it('asks the host while the Cells panel or an editor with cell fields shows, and stops after', () => {
    const { asked, model } = fakeHost();
    // A session starting and stopping asks for nothing: no stop reads cells.
    model.sessionChanged('running');
    model.sessionChanged('halted');
    expect(asked).toEqual([]);
    model.show('panel', true);
    model.show('editor 1', true);
    expect(asked).toEqual([true]);
    model.show('panel', false);
    expect(asked).toEqual([true]);
    model.show('editor 1', false);
    expect(asked).toEqual([true, false]);
    expect(model.shown).toBe(false);
    model.show('editor 1', false);
    expect(asked).toEqual([true, false]);
  });

  it('knows which files declare cells: by their text, and once a reading names them', () => {
    expect(namesCellType("struct Console<'a> {\n    buffer: TakeCell<'static, [u8]>,\n}")).toBe(
      true,
    );
    expect(namesCellType('    busy: MapCell <u8>,')).toBe(true);
    expect(namesCellType('fn main() { let x = 1; }')).toBe(false);
    expect(namesCellType('// TakeCells are described in cells/README')).toBe(false);
    const { model, send } = fakeHost();
    expect(model.declaresIn('capsules/src/console.rs')).toBe(false);
    send('tock.cells', {
      cells: [cell({})],
      notes: [],
      anchorVersion: 1,
      now: null,
      frequencyHz: null,
      historySince: null,
    });
    expect(model.declaresIn('capsules/src/console.rs')).toBe(true);
    expect(model.declaresIn('capsules/src/led.rs')).toBe(false);
  });
});
