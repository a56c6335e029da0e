/**
 * The window layout: explorer width, bottom panel height and which panel shows, kept in the
 * browser's storage so a reload (or the next start) looks as the user left it.
 *
 * The bottom panel's first height is a third of the window (at most 260 px), so a small window
 * keeps most of its height for code. A drag sets sizes through `resize*`, which clamp them and
 * leave the editor at least a third of the window.
 *
 * @example
 *   layout.resizeBottom(layout.snapshot().bottom + 40);
 */
import { Model } from './model';

export interface LayoutState {
  sidebar: number;
  bottom: number;
  panel: string;
  /** The bottom panel is hidden (Ctrl+J toggles it). */
  bottomHidden: boolean;
  /** The side view: the explorer, or Run and Debug (call stack, variables, watch, breakpoints). */
  side: 'explorer' | 'debug';
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const KEY = 'capsule.layout';

/**
 * The bottom panels that show the halted target itself (its registers, memory, code, faults,
 * the kernel's structures, the peripherals): a person looking at one of them at a stop keeps it.
 */
export const TARGET_VIEWS: ReadonlySet<string> = new Set([
  'Registers',
  'Memory',
  'Disassembly',
  'Faults',
  'Processes',
  'Grants',
  'Fault Explainer',
  'Cells',
  'DMA',
  'Timeline',
  'Peripherals',
  'Interrupts',
  'Access Log',
  'Connections',
  'Board',
]);

export function defaultBottom(windowHeight: number): number {
  return Math.round(Math.min(260, Math.max(120, windowHeight / 3)));
}

export class LayoutModel extends Model<LayoutState> {
  constructor(
    private readonly store: KeyValueStore,
    private readonly windowHeight: () => number,
  ) {
    const saved = LayoutModel.load(store);
    super({
      sidebar: saved.sidebar ?? 260,
      bottom: saved.bottom ?? defaultBottom(windowHeight()),
      panel: saved.panel ?? 'Build',
      bottomHidden: saved.bottomHidden ?? false,
      side: saved.side ?? 'explorer',
    });
  }

  private static load(store: KeyValueStore): Partial<LayoutState> {
    try {
      const v = JSON.parse(store.getItem(KEY) ?? '{}') as Partial<LayoutState>;
      const out: Partial<LayoutState> = {};
      if (typeof v.sidebar === 'number' && v.sidebar > 0) out.sidebar = v.sidebar;
      if (typeof v.bottom === 'number' && v.bottom > 0) out.bottom = v.bottom;
      if (typeof v.panel === 'string') out.panel = v.panel;
      if (typeof v.bottomHidden === 'boolean') out.bottomHidden = v.bottomHidden;
      if (v.side === 'explorer' || v.side === 'debug') out.side = v.side;
      return out;
    } catch {
      return {};
    }
  }

  protected override set(patch: Partial<LayoutState>): void {
    super.set(patch);
    this.store.setItem(KEY, JSON.stringify(this.state));
  }

  resizeSidebar(px: number): void {
    this.set({ sidebar: Math.round(Math.min(600, Math.max(140, px))) });
  }

  resizeBottom(px: number): void {
    const max = Math.max(80, this.windowHeight() * (2 / 3) - 62);
    this.set({ bottom: Math.round(Math.min(max, Math.max(80, px))), bottomHidden: false });
  }

  showPanel(panel: string): void {
    this.set({ panel, bottomHidden: false });
  }

  /**
   * At a stop outside the project's source, brings `panel` (Disassembly) forward unless a view of
   * the halted target already shows: the stop is what that view was opened to read.
   */
  showStopPanel(panel: string): void {
    if (this.state.bottomHidden || !TARGET_VIEWS.has(this.state.panel)) this.showPanel(panel);
  }

  showSide(side: LayoutState['side']): void {
    this.set({ side });
  }

  toggleBottom(): void {
    this.set({ bottomHidden: !this.state.bottomHidden });
  }
}
