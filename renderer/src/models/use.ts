/**
 * React's view of a model: `useModel(model)` re-renders the component when the model changes
 * and returns its current snapshot; `useModelValue(model, select)` re-renders only when the
 * selected value changes (a primitive: compared with Object.is), for a component that shows one
 * field of a busy model (the window's frame shows the session's phase: it need not render again
 * for every rate report, frame list and variable the debug model takes in at a stop).
 *
 * @example
 *   const phase = useModelValue(studio.debug, (d) => d.session?.phase ?? 'none');
 */
import { useSyncExternalStore } from 'react';

export interface Observable<S> {
  snapshot(): S;
  subscribe(listener: () => void): () => void;
}

export function useModel<S>(model: Observable<S>): S {
  return useSyncExternalStore(
    (l) => model.subscribe(l),
    () => model.snapshot(),
  );
}

export function useModelValue<S, T extends string | number | boolean | null | undefined>(
  model: Observable<S>,
  select: (state: S) => T,
): T {
  return useSyncExternalStore(
    (l) => model.subscribe(l),
    () => select(model.snapshot()),
  );
}
