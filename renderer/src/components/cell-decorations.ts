/**
 * The editor's inline cell decorations: on each cell field's declaration (`buffer:
 * TakeCell<'static, [u8]>` in `struct Console`), after the code, what the cell holds now
 * ("taken 3.2 ms ago: UARTE0 TXD in flight", "present"), refreshed with the live cells
 * (renderer/src/models/tock-cells.ts); hovering shows the value. Gone when no session runs.
 * The host reads the cells only while a file that declares some is open (or the Cells panel
 * shows): `TockCellsModel.show`.
 *
 * @example
 *   useCellDecorations(editorRef, studio, doc?.path ?? null, version);
 */
import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { monaco } from '../monaco';
import { cellHover, namesCellType, type CellDecoration } from '../models/tock-cells';
import { useModel } from '../models/use';
import type { Studio } from '../studio';

export function useCellDecorations(
  editor: RefObject<monaco.editor.IStandaloneCodeEditor | null>,
  studio: Studio,
  path: string | null,
  version: number,
): void {
  const coll = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const { view } = useModel(studio.tockCells);
  const session = useModel(studio.debug).session;
  const live = !!session && session.phase !== 'ended';
  // The host reads cells only while a file that declares some is open here.
  const id = useId();
  // The file's text is looked at when it opens or changes (after the editor took its model).
  const [namesCells, setNamesCells] = useState(false);
  useEffect(() => {
    const text = path ? (editor.current?.getModel()?.getValue() ?? '') : '';
    setNamesCells(namesCellType(text));
  }, [editor, path, version]);
  const wanted = !!path && (namesCells || studio.tockCells.declaresIn(path));
  useEffect(() => {
    studio.tockCells.show(`editor ${id}`, wanted);
    return () => studio.tockCells.show(`editor ${id}`, false);
  }, [studio, id, wanted]);
  useEffect(() => {
    const e = editor.current;
    if (!e) return;
    coll.current ??= e.createDecorationsCollection();
    if (!path || !live || !view) {
      coll.current.clear();
      return;
    }
    const byLine = new Map<number, CellDecoration[]>();
    for (const d of studio.tockCells.inFile(path)) {
      const list = byLine.get(d.line);
      if (list) list.push(d);
      else byLine.set(d.line, [d]);
    }
    const decorations: monaco.editor.IModelDeltaDecoration[] = [];
    for (const [line, list] of byLine) {
      // Several instances of one struct (UARTE0, UARTE1): each one's state, named by its path.
      const text =
        list.length === 1
          ? list[0]!.text
          : list
              .map((d) => `${d.cell.path.split('.').slice(-2, -1)[0] ?? d.cell.path}: ${d.text}`)
              .join(' | ');
      const worst = list.find((d) => d.cell.occupancy !== 'present') ?? list[0]!;
      decorations.push({
        range: new monaco.Range(line, 1, line, Number.MAX_SAFE_INTEGER),
        options: {
          after: {
            content: `  ${text}`,
            inlineClassName: `cell-deco cell-deco-${worst.cell.occupancy}`,
          },
          hoverMessage: list.map((d) => ({ value: cellHover(d.cell) })),
        },
      });
    }
    coll.current.set(decorations);
  }, [view, path, live, version]);
}
