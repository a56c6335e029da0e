/**
 * The base of the renderer's models: state that lives outside React, read by components
 * through `useModel`, changed only by the model's own methods.
 *
 * A model keeps an immutable snapshot and replaces it on every change; listeners are told once
 * per microtask however many changes happened (a batch of a hundred build-output events costs
 * one render). Models hold no DOM and no React, so they are unit-tested without a page.
 *
 * @example
 *   class Counter extends Model<{ n: number }> { constructor() { super({ n: 0 }); } add() { this.set({ n: this.state.n + 1 }); } }
 *   const n = useModel(counter).n;
 */
export class Model<S extends object> {
  private listeners = new Set<() => void>();
  private queued = false;

  constructor(protected state: S) {}

  snapshot(): S {
    return this.state;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected set(patch: Partial<S>): void {
    this.state = { ...this.state, ...patch };
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      for (const l of this.listeners) l();
    });
  }
}
