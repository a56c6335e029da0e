/**
 * The Tock panels' shared reading: a view fetched from the host at each halt of the debug
 * session (kept while the target runs), and the words for when there is nothing to show yet.
 *
 * @example
 *   const r = useHaltedView(studio, () => studio.host.api.tock.dma({}), {
 *     see: 'the DMA channels',
 *     read: 'the DMA channels',
 *   });
 *   if ('empty' in r) return r.empty;
 */
import { createElement, useEffect, useState, type ReactElement } from 'react';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

type Fetched<T> = { ok: true; value: T } | { ok: false; error: { message: string } };

/**
 * The view at the last halt, or the element that says why there is none (`words.see` names what
 * a session would show, `words.read` what is read at a halt).
 */
export function useHaltedView<T>(
  studio: Studio,
  fetch: () => Promise<Fetched<T>>,
  words: { see: string; read: string },
  /** Changing it reads the view again at the same halt (after the panel changed the target). */
  refreshKey = 0,
): { view: T } | { empty: ReactElement } {
  const d = useModel(studio.debug);
  const [view, setView] = useState<T | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const stopKey = `${d.session?.id}-${d.session?.phase}-${d.session?.stop?.pc}-${refreshKey}-${d.writes}`;
  useEffect(() => {
    if (d.session?.phase !== 'halted') return;
    let live = true;
    void fetch().then(
      (r) => {
        if (!live) return;
        if (r.ok) {
          setView(r.value);
          setProblem(null);
        } else setProblem(r.error.message);
      },
      // A call that throws instead of answering must not leave the panel on "Reading".
      (e: unknown) => {
        if (live)
          setProblem(`The view could not be read: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
    return () => {
      live = false;
    };
  }, [stopKey]);
  const say = (text: string, className = 'panel-empty') => ({
    empty: createElement('div', { className }, text),
  });
  if (!d.session || d.session.phase === 'ended')
    return say(`No debug session: start one with Debug (F5) to see ${words.see}.`);
  if (problem) return say(problem, 'panel-empty tock-problem');
  if (!view)
    return say(
      d.session.phase === 'running'
        ? `Running: ${words.read} are read when the target halts (Pause, F6).`
        : `Reading ${words.read}...`,
    );
  return { view };
}
