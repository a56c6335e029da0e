/**
 * A tree of rendered values (Variables, Watch): each row shows `name: value` as Rust shows it,
 * expands on demand (children are asked of the host only when opened), shows numbers in hex or
 * decimal, and lets a scalar be edited (double-click, Enter) when the session allows it.
 */
import { useState } from 'react';
import type { VariableNode } from '../../../../main/common/contract';
import type { Studio } from '../../studio';

/** The value as shown: numbers follow the hex/decimal toggle. */
export function shownValue(v: VariableNode, hex: boolean): string {
  if (!v.numeric) return v.value;
  try {
    const n = BigInt(v.numeric.value);
    if (!hex) return n.toString();
    const bits = /64/.test(v.type) ? 64n : /16/.test(v.type) ? 16n : /8/.test(v.type) ? 8n : 32n;
    const u = n < 0n ? (1n << bits) + n : n;
    return `0x${u.toString(16)}`;
  } catch {
    return v.value;
  }
}

export function ValueRow({
  studio,
  node,
  depth,
  hex,
  onRemove,
}: {
  studio: Studio;
  node: VariableNode;
  depth: number;
  hex: boolean;
  onRemove?: () => void;
}) {
  const [open, setOpen] = useState(false);
  const [kids, setKids] = useState<VariableNode[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const toggle = async (): Promise<void> => {
    if (!node.ref) return;
    if (!open && kids === null) setKids(await studio.debug.children(node.ref));
    setOpen(!open);
  };
  const commit = async (): Promise<void> => {
    if (editing === null) return;
    if (!node.editRef) return;
    const r = await studio.host.api.session.setVariable({ ref: node.editRef, value: editing });
    setEditing(null);
    if (!r.ok) setProblem(r.error.message);
    else {
      setProblem(null);
      void studio.debug.refresh();
    }
  };
  return (
    <li>
      <div
        className="value-row"
        style={{ paddingLeft: 6 + depth * 14 }}
        data-name={node.name}
        onClick={() => void toggle()}
        title={`${node.name}: ${node.type}`}
      >
        <span className="twisty">{node.ref ? (open ? '▾' : '▸') : ''}</span>
        <span className="value-name">{node.name}</span>
        <span className="value-sep">: </span>
        {editing !== null ? (
          <input
            autoFocus
            className="value-edit"
            value={editing}
            onClick={(e) => e.stopPropagation()}
            onChange={(e) => setEditing(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') void commit();
              if (e.key === 'Escape') setEditing(null);
            }}
            onBlur={() => setEditing(null)}
          />
        ) : (
          <span
            className={`value-text ${node.editable ? 'editable' : ''}`}
            onDoubleClick={(e) => {
              if (!node.editable) return;
              e.stopPropagation();
              setEditing(shownValue(node, hex));
            }}
          >
            {shownValue(node, hex)}
          </span>
        )}
        <span className="value-type">{node.type}</span>
        {onRemove && (
          <button
            className="icon remove"
            aria-label={`Remove ${node.name}`}
            onClick={(e) => {
              e.stopPropagation();
              onRemove();
            }}
          >
            ×
          </button>
        )}
      </div>
      {problem && <div className="value-problem">{problem}</div>}
      {open && kids && (
        <ul className="value-tree">
          {kids.length === 0 && <li className="value-empty">(nothing inside)</li>}
          {kids.map((k, i) => (
            <ValueRow key={`${k.name}-${i}`} studio={studio} node={k} depth={depth + 1} hex={hex} />
          ))}
        </ul>
      )}
    </li>
  );
}
