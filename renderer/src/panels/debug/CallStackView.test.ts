// Short frame names in the Call Stack: the function and what names it, generics kept whole.
import { describe, expect, it } from 'vitest';
import { shortName } from './CallStackView';

describe('shortName', () => {
  it('keeps the function and its parent, and the module of an unnamed impl or closure', () => {
    expect(shortName('capsules::console::{impl#2}::command')).toBe('console::{impl#2}::command');
    expect(shortName('kernel::kernel::Kernel::run_process')).toBe('Kernel::run_process');
    expect(shortName('a::b::{impl#0}::{closure#1}::f')).toBe('b::{impl#0}::{closure#1}::f');
    expect(shortName('main')).toBe('main');
    expect(shortName('core::ptr::drop_in_place<a::b::C>')).toBe('ptr::drop_in_place<a::b::C>');
  });
});
