// Pure parts of the DWARF view: breakpoint conditions over path expressions (comparisons joined
// with && and ||, numbers, bools and pointers), names without hashes, exception names.
import { describe, expect, it } from 'vitest';
import { ok, err, type Result } from '../../emulator/core/result';
import type { ValueNode } from '../../emulator/formats/dwarf';
import { cleanName, evaluateCondition, exceptionName } from './debug-dwarf';

const values: Record<string, string> = {
  command: '1',
  arg1: '21',
  pending: 'false',
  self: '0x200025d0 <BUF>',
};
const evaluate = async (e: string): Promise<Result<ValueNode>> =>
  e in values ? ok({ text: values[e] } as ValueNode) : err(`no variable ${e}`);

describe('breakpoint conditions', () => {
  it('compares variables with literals and each other', async () => {
    expect(await evaluateCondition('command == 1', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('command == 2', evaluate)).toEqual(ok(false));
    expect(await evaluateCondition('arg1 > 20 && command != 0', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 < 4 || pending == false', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 >= 0x15', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('self == 0x200025d0', evaluate)).toEqual(ok(true));
    expect(await evaluateCondition('arg1 <= command', evaluate)).toEqual(ok(false));
  });

  it('leaves plain paths to the evaluator and names what it cannot evaluate', async () => {
    expect(await evaluateCondition('self.apps', evaluate)).toBeNull();
    expect(await evaluateCondition('nope == 1', evaluate)).toEqual(err('nope: no variable nope'));
    expect(await evaluateCondition('pending > 1', evaluate)).toEqual(
      err('> compares numbers only'),
    );
  });
});

describe('names', () => {
  it('drops the hash of a Rust symbol and names exceptions as the ARM ARM does', () => {
    expect(cleanName('capsules::console::Console::command::h0123456789abcdef')).toBe(
      'capsules::console::Console::command',
    );
    expect(exceptionName(11)).toBe('SVCall');
    expect(exceptionName(15)).toBe('SysTick');
    expect(exceptionName(16 + 2)).toBe('IRQ 2');
  });
});
