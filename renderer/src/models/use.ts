/**
 * React's view of a model: `useModel(model)` re-renders the component when the model changes
 * and returns its current snapshot.
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
