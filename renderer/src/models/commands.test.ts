// The command registry: one binding per key, the key handler runs the bound command (and stops
// the key), disabled commands do not run, and Cmd counts as Ctrl.
import { describe, expect, it } from 'vitest';
import { CommandRegistry, keyOf, type KeyEventLike } from './commands';

const key = (k: string, mods: Partial<KeyEventLike> = {}) => {
  const e = {
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    prevented: false,
    stopped: false,
    preventDefault() {
      this.prevented = true;
    },
    stopPropagation() {
      this.stopped = true;
    },
    ...mods,
  };
  return e;
};

describe('CommandRegistry', () => {
  it('names keys as the palette shows them', () => {
    expect(keyOf(key('p', { ctrlKey: true, shiftKey: true }))).toBe('Ctrl+Shift+P');
    expect(keyOf(key('g', { metaKey: true }))).toBe('Ctrl+G');
    expect(keyOf(key('F1'))).toBe('F1');
    expect(keyOf(key('Control', { ctrlKey: true }))).toBe('Ctrl');
  });

  it('runs the command bound to a key, once, and stops the key from reaching the editor', () => {
    const c = new CommandRegistry();
    const ran: string[] = [];
    c.register({
      id: 'save',
      title: 'Save',
      category: 'File',
      keys: ['Ctrl+S'],
      run: () => ran.push('save'),
    });
    const e = key('s', { ctrlKey: true });
    expect(c.handleKey(e)).toBe(true);
    expect(ran).toEqual(['save']);
    expect(e.prevented && e.stopped).toBe(true);
    const other = key('x', { ctrlKey: true });
    expect(c.handleKey(other)).toBe(false);
    expect(other.prevented).toBe(false);
  });

  it('refuses a second binding of a key or a second command of one id', () => {
    const c = new CommandRegistry();
    c.register({ id: 'a', title: 'A', category: 'X', keys: ['Ctrl+B'], run: () => {} });
    expect(() =>
      c.register({ id: 'b', title: 'B', category: 'X', keys: ['Ctrl+B'], run: () => {} }),
    ).toThrow('Ctrl+B is bound to both a and b');
    expect(() => c.register({ id: 'a', title: 'A', category: 'X', run: () => {} })).toThrow(
      'registered twice',
    );
  });

  it('does not run a disabled command (the key is still taken)', () => {
    const c = new CommandRegistry();
    let ran = 0;
    c.register({
      id: 'build',
      title: 'Build',
      category: 'Build',
      keys: ['Ctrl+B'],
      run: () => ran++,
      enabled: () => false,
    });
    expect(c.handleKey(key('b', { ctrlKey: true }))).toBe(true);
    expect(c.run('build')).toBe(false);
    expect(ran).toBe(0);
    expect(c.shortcut('build')).toBe('Ctrl+B');
  });
});
