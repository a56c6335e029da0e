/**
 * Call Stack: the frames of the stop, innermost first, with demangled names, file:line, the
 * process for app frames, and each exception boundary drawn as a row of its own (an app, then
 * SVCall, then the kernel's syscall dispatch...). Selecting a frame moves the editor and
 * Variables to it; a frame without source shows its disassembly.
 */
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

/** `capsules::console::{impl#2}::command` -> `console::{impl#2}::command` (the title has it all). */
export function shortName(name: string): string {
  let depth = 0;
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    if (ch === '<') depth++;
    if (ch === '>') depth--;
    if (depth === 0 && name.startsWith('::', i)) {
      parts.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  // The function and its parent; an unnamed parent (`{impl#2}`, `{closure#0}`) keeps the module
  // that names it.
  let keep = 2;
  while (keep < parts.length && parts[parts.length - keep]!.startsWith('{')) keep++;
  return parts.length <= keep ? name : parts.slice(-keep).join('::');
}

export function CallStackView({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  if (d.session?.phase !== 'halted')
    return (
      <div className="panel-empty">
        {d.session?.phase === 'running' ? 'Running.' : 'No debug session is halted.'}
      </div>
    );
  if (d.frames.length === 0)
    return <div className="panel-empty">{d.loading ? 'Reading the stack…' : 'No frames.'}</div>;
  const earlier = d.framesAt !== d.stopSeq;
  return (
    <ol
      className={`call-stack ${earlier ? 'earlier' : ''}`}
      title={earlier ? "The previous stop's stack: this stop's is being read." : undefined}
    >
      {d.frames.map((f) => (
        <li key={f.index}>
          {(f.exception || f.boundary) && (
            <div className="exception-boundary" data-exception={f.exception ?? ''}>
              {f.boundary ?? `${f.exception} exception entry`}
            </div>
          )}
          <button
            className={`frame ${f.index === d.selectedFrame ? 'selected' : ''} ${f.hasSource ? '' : 'no-source'}`}
            data-frame={f.index}
            data-program={f.program}
            onClick={() => void studio.selectFrame(f.index)}
            title={`${f.function} at 0x${f.pc.toString(16).padStart(8, '0')}`}
          >
            {f.program !== 'kernel' && <span className="frame-program">{f.program}</span>}
            <span className="frame-fn">
              {shortName(f.function)}
              {f.inlined ? ' (inlined)' : ''}
            </span>
            <span className="frame-loc">
              {f.location
                ? `${f.location.path.split('/').pop()}:${f.location.line}`
                : `0x${f.pc.toString(16).padStart(8, '0')}`}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
