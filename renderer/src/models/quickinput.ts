/**
 * The quick input: one box at the top of the window for the command palette (F1, Ctrl+Shift+P),
 * quick open (Ctrl+P), go to line (Ctrl+G) and the short questions the explorer asks (a new
 * file's name). As in VS Code, the text's first character picks the mode: ">" commands,
 * ":" a line number, anything else a file name.
 *
 * `pick` and `ask` resolve with what was chosen or typed, or null when the box was dismissed.
 *
 * @example
 *   const name = await quick.ask({ title: 'New file in capsules/src', value: 'led.rs' });
 */
import { Model } from './model';

export interface QuickItem {
  id: string;
  label: string;
  detail?: string;
  /** Shortcut shown on the right. */
  keys?: string;
  disabled?: boolean;
}

export interface QuickInputState {
  open: boolean;
  mode: 'list' | 'ask';
  title: string;
  value: string;
  placeholder: string;
  items: QuickItem[];
  selected: number;
  /** What is wrong with the typed text (ask mode), shown under the box. */
  problem: string | null;
}

export interface QuickSource {
  /** Items for the typed text (after the prefix that chose this source). */
  items(text: string): QuickItem[];
  accept(item: QuickItem | null, text: string): void;
  placeholder: string;
}

/** Score of one word: its position when it is in `t`, else a subsequence score, else -1. */
function wordScore(q: string, t: string): number {
  const at = t.indexOf(q);
  if (at >= 0) return at;
  let score = 100;
  let j = 0;
  for (let i = 0; i < t.length && j < q.length; i++) {
    if (t[i] === q[j]) j++;
    else score++;
  }
  return j === q.length ? score : -1;
}

/**
 * Match score (lower is better), or -1: every word of `query` must be in `text`, whole or as
 * a subsequence ("hostboard main" finds boards/hostboard/src/main.rs).
 */
export function fuzzyScore(query: string, text: string): number {
  const t = text.toLowerCase();
  let total = 0;
  for (const word of query.toLowerCase().split(/\s+/).filter(Boolean)) {
    const s = wordScore(word, t);
    if (s < 0) return -1;
    total += s;
  }
  return total;
}

export function filterItems(query: string, items: QuickItem[], max = 200): QuickItem[] {
  return items
    .map((item) => ({ item, score: fuzzyScore(query, `${item.label} ${item.detail ?? ''}`) }))
    .filter((x) => x.score >= 0)
    .sort((a, b) => a.score - b.score)
    .slice(0, max)
    .map((x) => x.item);
}

const closed: QuickInputState = {
  open: false,
  mode: 'list',
  title: '',
  value: '',
  placeholder: '',
  items: [],
  selected: 0,
  problem: null,
};

export class QuickInputModel extends Model<QuickInputState> {
  private sources = new Map<string, QuickSource>();
  private askState: {
    resolve: (v: string | null) => void;
    validate?: (v: string) => string | null;
  } | null = null;

  constructor() {
    super(closed);
  }

  /** Registers the source for texts starting with `prefix` ('' = no prefix). */
  source(prefix: string, source: QuickSource): void {
    this.sources.set(prefix, source);
  }

  private sourceFor(text: string): { source: QuickSource; rest: string } | null {
    for (const [prefix, source] of this.sources)
      if (prefix && text.startsWith(prefix)) return { source, rest: text.slice(prefix.length) };
    const plain = this.sources.get('');
    return plain ? { source: plain, rest: text } : null;
  }

  /** Opens the box with `text` typed (its prefix picks the mode). */
  show(text: string, title = ''): void {
    this.finishAsk(null);
    this.set({ ...closed, open: true, title });
    this.type(text);
  }

  type(value: string): void {
    if (this.state.mode === 'ask') {
      this.set({ value, problem: this.askState?.validate?.(value) ?? null });
      return;
    }
    const s = this.sourceFor(value);
    this.set({
      value,
      items: s ? s.source.items(s.rest) : [],
      placeholder: s?.source.placeholder ?? '',
      selected: 0,
    });
  }

  move(delta: number): void {
    const n = this.state.items.length;
    if (n) this.set({ selected: (this.state.selected + delta + n) % n });
  }

  accept(index = this.state.selected): void {
    if (this.state.mode === 'ask') {
      const problem = this.askState?.validate?.(this.state.value) ?? null;
      if (problem) return this.set({ problem });
      const v = this.state.value;
      this.set(closed);
      this.finishAsk(v);
      return;
    }
    const s = this.sourceFor(this.state.value);
    const item = this.state.items[index] ?? null;
    if (item?.disabled) return;
    this.set(closed);
    s?.source.accept(item, s.rest);
  }

  dismiss(): void {
    this.set(closed);
    this.finishAsk(null);
  }

  ask(opts: {
    title: string;
    value?: string;
    placeholder?: string;
    validate?: (v: string) => string | null;
  }): Promise<string | null> {
    this.finishAsk(null);
    return new Promise((resolve) => {
      this.askState = { resolve, ...(opts.validate ? { validate: opts.validate } : {}) };
      this.set({
        ...closed,
        open: true,
        mode: 'ask',
        title: opts.title,
        value: opts.value ?? '',
        placeholder: opts.placeholder ?? '',
      });
    });
  }

  private finishAsk(v: string | null): void {
    const a = this.askState;
    this.askState = null;
    a?.resolve(v);
  }
}
