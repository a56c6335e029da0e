/**
 * Disassembly: the code around the selected frame's PC from the emulator's own disassembler
 * (the decoder table in emulator/core/cpu), with symbols, source lines interleaved, a
 * breakpoint gutter (a click sets an instruction breakpoint) and instruction stepping.
 */
import { useEffect, useRef, useState } from 'react';
import type { Disassembly } from '../../../../main/common/contract';
import { useModel } from '../../models/use';
import type { Studio } from '../../studio';

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

export function DisassemblyPanel({ studio }: { studio: Studio }) {
  const d = useModel(studio.debug);
  const bps = useModel(studio.breakpoints);
  const [listing, setListing] = useState<Disassembly | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [instructions, setInstructions] = useState<number[]>([]);
  const current = useRef<HTMLTableRowElement>(null);
  const frame = d.frames[d.selectedFrame];
  const pc = frame?.pc ?? d.session?.stop?.pc ?? null;
  const halted = d.session?.phase === 'halted';

  useEffect(() => {
    const off = studio.host.onEvent('breakpoints.instructions', (e) =>
      setInstructions(e.addresses),
    );
    return () => {
      off();
    };
  }, [studio]);
  useEffect(() => {
    if (!halted || pc === null) return;
    let gone = false;
    void studio.host.api.session.disassemble({ address: pc, count: 48 }).then((r) => {
      if (gone) return;
      if (r.ok) {
        setListing(r.value);
        setProblem(r.value.problem ?? null);
      } else setProblem(r.error.message);
    });
    return () => {
      gone = true;
    };
  }, [studio, halted, pc, d.session?.id]);
  // The current instruction is scrolled to only when it is out of sight, and found so by an
  // IntersectionObserver: it reports after the frame's own layout, where `scrollIntoView` at
  // every stop forced a layout of the whole page in the middle of the stop's render (bench:ide's
  // window profile). A panel out of sight (no size) is not scrolled.
  useEffect(() => {
    const row = current.current;
    if (!row) return;
    const seen = new IntersectionObserver(
      ([e]) => {
        seen.disconnect();
        if (e && e.intersectionRatio < 1 && e.boundingClientRect.height > 0)
          row.scrollIntoView({ block: 'center' });
      },
      { threshold: 1 },
    );
    seen.observe(row);
    return () => seen.disconnect();
  }, [listing, pc]);

  if (!halted)
    return (
      <div className="panel-empty">
        {d.session?.phase === 'running'
          ? 'Running: the disassembly is shown while halted (Pause, F6).'
          : 'No debug session is halted.'}
      </div>
    );
  const sourceAddresses = new Set(
    Object.values(bps.files).flatMap((list) =>
      list.filter((b) => b.status === 'verified').flatMap((b) => b.addresses),
    ),
  );
  const toggle = async (address: number): Promise<void> => {
    const next = instructions.includes(address)
      ? instructions.filter((a) => a !== address)
      : [...instructions, address];
    const r = await studio.host.api.breakpoints.setInstructions({ addresses: next });
    if (r.ok) setInstructions(r.value);
    else setProblem(r.error.message);
  };
  return (
    <div className="disassembly">
      <div className="view-tools">
        <button onClick={() => studio.commands.run('session.stepInstruction')}>
          Step instruction ({studio.commands.shortcut('session.stepInstruction')})
        </button>
        <span className="dim">
          {frame ? `${frame.function}${frame.location ? '' : ' (no source)'}` : ''}
        </span>
      </div>
      {problem && <div className="value-problem">{problem}</div>}
      <table className="disasm">
        <tbody>
          {listing?.lines.flatMap((l) => {
            const rows = [];
            if (
              l.symbol &&
              l.text &&
              !/\b(b|bl|blx|cbn?z|b\w\w)(\.w)?\b/.test(l.text.split(' ')[0] ?? '')
            )
              rows.push(
                <tr key={`s${l.address}`} className="disasm-symbol">
                  <td colSpan={4}>{`<${l.symbol}>:`}</td>
                </tr>,
              );
            if (l.source)
              rows.push(
                <tr key={`l${l.address}`} className="disasm-source">
                  <td />
                  <td colSpan={3}>
                    <button
                      className="link"
                      disabled={!l.source.location.inProject}
                      onClick={() =>
                        l.source &&
                        void studio.workspace.open(l.source.location.path, {
                          line: l.source.location.line,
                          column: 1,
                        })
                      }
                    >
                      {l.source.location.path.split('/').pop()}:{l.source.location.line}
                    </button>{' '}
                    {l.source.text}
                  </td>
                </tr>,
              );
            const isPc = pc !== null && l.address === (pc & ~1);
            const bp = instructions.includes(l.address) || sourceAddresses.has(l.address);
            rows.push(
              <tr
                key={l.address}
                ref={isPc ? current : undefined}
                className={`disasm-line ${isPc ? 'current' : ''}`}
                data-address={l.address}
              >
                <td
                  className={`disasm-gutter ${bp ? 'bp' : ''}`}
                  title="Toggle an instruction breakpoint"
                  onClick={() => void toggle(l.address)}
                >
                  {isPc ? '▶' : ''}
                </td>
                <td className="disasm-address">{hex8(l.address)}</td>
                <td className="disasm-bytes">{l.bytes}</td>
                <td className="disasm-text">
                  {l.text}
                  {l.symbol &&
                    /\b(b|bl|blx|cbn?z|b\w\w)(\.w)?\b/.test(l.text.split(' ')[0] ?? '') && (
                      <span className="dim"> {`<${l.symbol}>`}</span>
                    )}
                </td>
              </tr>,
            );
            return rows;
          })}
        </tbody>
      </table>
    </div>
  );
}
