// Numbers in Variables and Watch follow the hex/decimal toggle, at the width of their type
// (a negative i8 is 0xff); everything else is shown as Rust renders it.
import { describe, expect, it } from 'vitest';
import type { VariableNode } from '../../../../main/common/contract';
import { shownValue } from './ValueTree';

const n = (value: string, type: string, signed = false): VariableNode => ({
  name: 'x',
  value,
  type,
  ref: 0,
  editable: true,
  numeric: { value, signed },
});

describe('shownValue', () => {
  it('shows numbers in hex or decimal at their width', () => {
    expect(shownValue(n('21', 'u32'), false)).toBe('21');
    expect(shownValue(n('21', 'u32'), true)).toBe('0x15');
    expect(shownValue(n('-1', 'i8', true), true)).toBe('0xff');
    expect(shownValue(n('-2', 'i32', true), true)).toBe('0xfffffffe');
    expect(shownValue(n('18446744073709551615', 'u64'), true)).toBe('0xffffffffffffffff');
  });
  it('leaves other values as rendered', () => {
    const v: VariableNode = {
      name: 's',
      value: 'Some("hi")',
      type: 'Option<&str>',
      ref: 3,
      editable: false,
    };
    expect(shownValue(v, true)).toBe('Some("hi")');
  });
});
