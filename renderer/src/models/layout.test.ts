// The layout model: sizes and the chosen panel survive a new model on the same storage (a
// reload); the first bottom height leaves a small window most of its height; resizing clamps.
import { describe, expect, it } from 'vitest';
import { defaultBottom, LayoutModel, type KeyValueStore } from './layout';

const memory = (): KeyValueStore => {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
};

describe('LayoutModel', () => {
  it('starts the bottom panel at a third of a small window', () => {
    expect(defaultBottom(600)).toBe(200);
    expect(defaultBottom(1200)).toBe(260);
    expect(new LayoutModel(memory(), () => 600).snapshot().bottom).toBe(200);
  });

  it('keeps what was set across a new model on the same storage', () => {
    const store = memory();
    const a = new LayoutModel(store, () => 900);
    a.resizeBottom(333);
    a.resizeSidebar(5000);
    a.showPanel('Problems');
    a.showSide('debug');
    const b = new LayoutModel(store, () => 900);
    expect(b.snapshot()).toEqual({
      sidebar: 600,
      bottom: 333,
      panel: 'Problems',
      bottomHidden: false,
      side: 'debug',
    });
  });

  it('leaves the editor a third of the window however far the panel is dragged', () => {
    const l = new LayoutModel(memory(), () => 600);
    l.resizeBottom(5000);
    expect(l.snapshot().bottom).toBe(Math.round(600 * (2 / 3) - 62));
    l.resizeBottom(-50);
    expect(l.snapshot().bottom).toBe(80);
  });

  it('brings Disassembly forward at a stop unless a view of the target shows', () => {
    const l = new LayoutModel(memory(), () => 900);
    l.showPanel('Build');
    l.showStopPanel('Disassembly');
    expect(l.snapshot().panel).toBe('Disassembly');
    l.showPanel('Processes');
    l.showStopPanel('Disassembly');
    expect(l.snapshot().panel).toBe('Processes');
    l.toggleBottom();
    l.showStopPanel('Disassembly');
    expect(l.snapshot()).toMatchObject({ panel: 'Disassembly', bottomHidden: false });
  });

  it('ignores a damaged stored layout', () => {
    const store = memory();
    store.setItem('capsule.layout', '{not json');
    expect(new LayoutModel(store, () => 900).snapshot().panel).toBe('Build');
  });
});
