/**
 * The explorer: the project's files, kept current by the host's folder watcher. A click opens a
 * file or opens a folder; the title row (which stays in view while the tree scrolls) has New
 * File and New Folder; a right click offers New File, New Folder, Rename and Delete for the
 * entry; dragging an entry onto a folder (or onto the empty space below the tree, for the
 * project folder) moves it there. Every operation is a registered command run by the studio.
 */
import { useState } from 'react';
import type { FileNode } from '../../../main/common/contract';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

const DRAG_TYPE = 'application/x-capsule-path';

function Tree(props: {
  studio: Studio;
  nodes: FileNode[];
  depth: number;
  open: Record<string, boolean>;
  toggle: (path: string) => void;
  active: string | null;
  selected: string | null;
  onMenu: (e: React.MouseEvent, path: string) => void;
}) {
  const { studio } = props;
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  return (
    <ul className="tree" role={props.depth === 0 ? 'tree' : 'group'}>
      {props.nodes.map((n) => (
        <li
          key={n.path}
          role="treeitem"
          aria-expanded={n.kind === 'dir' ? !!props.open[n.path] : undefined}
        >
          <button
            className={`tree-row ${n.kind} ${props.active === n.path ? 'active' : ''} ${props.selected === n.path ? 'selected' : ''} ${dropTarget === n.path ? 'drop' : ''}`}
            style={{ paddingLeft: 8 + props.depth * 12 }}
            data-path={n.path}
            title={n.path}
            draggable
            onDragStart={(e) => {
              e.dataTransfer.setData(DRAG_TYPE, n.path);
              e.dataTransfer.effectAllowed = 'move';
            }}
            onDragOver={(e) => {
              if (n.kind !== 'dir' || !e.dataTransfer.types.includes(DRAG_TYPE)) return;
              e.preventDefault();
              e.stopPropagation();
              setDropTarget(n.path);
            }}
            onDragLeave={() => setDropTarget(null)}
            onDrop={(e) => {
              setDropTarget(null);
              const from = e.dataTransfer.getData(DRAG_TYPE);
              if (n.kind !== 'dir' || !from) return;
              e.preventDefault();
              e.stopPropagation();
              void studio.move(from, `${n.path}/${from.slice(from.lastIndexOf('/') + 1)}`);
            }}
            onClick={() => {
              studio.ui.update({ selected: n.path });
              if (n.kind === 'dir') props.toggle(n.path);
              else void studio.workspace.open(n.path);
            }}
            onContextMenu={(e) => props.onMenu(e, n.path)}
          >
            <span className="twisty">
              {n.kind === 'dir' ? (props.open[n.path] ? '▾' : '▸') : ''}
            </span>
            {n.name}
          </button>
          {n.kind === 'dir' && props.open[n.path] && n.children && (
            <Tree {...props} nodes={n.children} depth={props.depth + 1} />
          )}
        </li>
      ))}
    </ul>
  );
}

/** The explorer title's buttons: a file or folder outline with a plus. */
const TITLE_BUTTONS = [
  {
    id: 'file.newFile',
    label: 'New File',
    outline: 'M3 1.5h6l3 3v10H3z M9 1.5v3h3',
    plus: 'M7.5 8v5M5 10.5h5',
  },
  {
    id: 'file.newFolder',
    label: 'New Folder',
    outline: 'M1.5 3.5h5l1.5 1.5h6.5v8.5h-13z',
    plus: 'M8 7v5M5.5 9.5h5',
  },
];

const MENU: { id: string; label: string }[] = [
  { id: 'file.newFile', label: 'New File…' },
  { id: 'file.newFolder', label: 'New Folder…' },
  { id: 'explorer.rename', label: 'Rename…' },
  { id: 'explorer.delete', label: 'Delete' },
];

export function Explorer({ studio }: { studio: Studio }) {
  const { tree } = useModel(studio.project);
  const ws = useModel(studio.workspace);
  const { selected } = useModel(studio.ui);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  const c = studio.commands;
  return (
    <nav
      className="sidebar"
      aria-label="Project explorer"
      onClick={() => setMenu(null)}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(DRAG_TYPE)) e.preventDefault();
      }}
      onDrop={(e) => {
        const from = e.dataTransfer.getData(DRAG_TYPE);
        if (!from || !from.includes('/')) return;
        e.preventDefault();
        void studio.move(from, from.slice(from.lastIndexOf('/') + 1));
      }}
    >
      <div className="sidebar-title">
        <span>Explorer</span>
        <span className="spacer" />
        {TITLE_BUTTONS.map((t) => (
          <button
            key={t.id}
            className="icon"
            title={`${t.label}… (in the selected folder)`}
            aria-label={t.label}
            disabled={!c.enabled(t.id)}
            onClick={(e) => {
              e.stopPropagation();
              c.run(t.id);
            }}
          >
            <svg viewBox="0 0 16 16" aria-hidden>
              <path d={t.outline} fill="none" stroke="currentColor" />
              <path d={t.plus} stroke="currentColor" />
            </svg>
          </button>
        ))}
      </div>
      {tree.length ? (
        <Tree
          studio={studio}
          nodes={tree}
          depth={0}
          open={open}
          toggle={(p) => setOpen((o) => ({ ...o, [p]: !o[p] }))}
          active={ws.active}
          selected={selected}
          onMenu={(e, path) => {
            e.preventDefault();
            studio.ui.update({ selected: path });
            setMenu({ x: e.clientX, y: e.clientY });
          }}
        />
      ) : (
        <div className="panel-empty">The project folder is empty or could not be read.</div>
      )}
      {menu && (
        <ul className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }}>
          {MENU.map((m) => (
            <li key={m.id}>
              <button
                role="menuitem"
                disabled={!c.enabled(m.id)}
                onClick={(e) => {
                  e.stopPropagation();
                  setMenu(null);
                  c.run(m.id);
                }}
              >
                {m.label}
                {c.shortcut(m.id) && <kbd>{c.shortcut(m.id)}</kbd>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </nav>
  );
}
