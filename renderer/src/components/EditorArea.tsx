/**
 * The editor area: tabs, the notifications bar, the Monaco editor and, for Markdown, the
 * rendered preview beside the source.
 *
 * Notifications sit in a bar between the tabs and the code, never over the code, each on one
 * line with its close button at the end. Keys are not bound here: the studio's command
 * registry handles them before Monaco sees them.
 */
import { useEffect, useMemo, useRef } from 'react';
import { renderMarkdown } from '../markdown';
import { monaco } from '../monaco';
import { describeBreakpoint, shownLine } from '../models/breakpoints';
import { useModel } from '../models/use';
import { useCellDecorations } from './cell-decorations';
import { LinkNotice } from './LinkBanner';
import type { Workspace } from '../models/workspace';
import type { Studio } from '../studio';

/** The session's current line in this editor: the stop, or the selected frame. */
interface CurrentLine {
  path: string;
  line: number;
  /** The top frame (the stop itself) or a caller. */
  top: boolean;
  stale: boolean;
}

/** The expression under the mouse for a hover: `self.apps`, `len`, `app.written`. */
export function expressionAt(text: string, column: number): string | null {
  const isWord = (ch: string | undefined): boolean => !!ch && /[A-Za-z0-9_]/.test(ch);
  let end = column - 1;
  if (!isWord(text[end])) return null;
  while (isWord(text[end])) end++;
  let start = column - 1;
  while (
    start > 0 &&
    (isWord(text[start - 1]) || (text[start - 1] === '.' && isWord(text[start - 2])))
  )
    start--;
  const expr = text.slice(start, end);
  if (!/^[A-Za-z_]/.test(expr)) return null;
  if (
    /^(fn|let|mut|pub|impl|use|match|if|else|return|self|Self|struct|enum|for|while|loop|in|as|ref|const|static|mod|crate|super|where|trait|type|unsafe|move|true|false|Some|None|Ok|Err)$/.test(
      expr,
    ) &&
    expr !== 'self'
  )
    return null;
  return expr;
}

function MonacoView({
  studio,
  workspace,
  version,
}: {
  studio: Studio;
  workspace: Workspace;
  version: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const bpDecorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const lineDecorations = useRef<monaco.editor.IEditorDecorationsCollection | null>(null);
  const bps = useModel(studio.breakpoints);
  const dbg = useModel(studio.debug);

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      model: null,
      theme: 'capsule-dark',
      automaticLayout: true,
      fontSize: 13,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderValidationDecorations: 'on',
      glyphMargin: true,
    });
    bpDecorations.current = e.createDecorationsCollection();
    lineDecorations.current = e.createDecorationsCollection();
    // A click left of the line numbers toggles a breakpoint on that line.
    e.onMouseDown((ev) => {
      const t = ev.target;
      if (
        (t.type === monaco.editor.MouseTargetType.GUTTER_GLYPH_MARGIN ||
          t.type === monaco.editor.MouseTargetType.GUTTER_LINE_DECORATIONS) &&
        t.position
      ) {
        const path = workspace.snapshot().active;
        if (path)
          void studio.breakpoints
            .toggle(path, t.position.lineNumber)
            .then((err) => studio.report(err));
      }
    });
    // Breakpoints follow their text when lines are inserted or removed above them.
    let moveTimer: ReturnType<typeof setTimeout> | undefined;
    e.onDidChangeModelContent(() => {
      const path = workspace.snapshot().active;
      const coll = bpDecorations.current;
      if (!path || !coll) return;
      clearTimeout(moveTimer);
      moveTimer = setTimeout(() => {
        const moved = new Map<number, number>();
        for (const r of coll.getRanges()) {
          const decorations = e.getModel()?.getDecorationsInRange(r) ?? [];
          for (const d of decorations) {
            const m = /bp-line-(\d+)/.exec(d.options.glyphMarginClassName ?? '');
            if (m) moved.set(Number(m[1]), r.startLineNumber);
          }
        }
        void studio.breakpoints.moved(path, moved);
      }, 400);
    });
    const hover = monaco.languages.registerHoverProvider('rust', {
      provideHover: async (model, position) => {
        if (!studio.debug.halted || model !== e.getModel()) return null;
        const expr = expressionAt(model.getLineContent(position.lineNumber), position.column);
        if (!expr) return null;
        const r = await studio.host.api.session.evaluate({
          expression: expr,
          frame: studio.debug.snapshot().selectedFrame,
        });
        if (!r.ok) return null;
        return {
          contents: [{ value: `\`${expr}\`: \`${r.value.value}\`  \n*${r.value.type}*` }],
        };
      },
    });
    const report = (): void => {
      const p = e.getPosition();
      const m = e.getModel();
      if (p && m) workspace.setCursor(p.lineNumber, p.column, m.getLineCount());
    };
    e.onDidChangeCursorPosition(report);
    e.onDidChangeModel(report);
    editor.current = e;
    return () => {
      clearTimeout(moveTimer);
      hover.dispose();
      e.dispose();
    };
  }, [workspace, studio]);

  const doc = workspace.activeDoc;
  useEffect(() => {
    const e = editor.current;
    if (!e) return;
    const model = doc?.model ?? null;
    if (e.getModel() !== model) e.setModel(model);
    e.updateOptions({ readOnly: doc?.readOnly ?? true });
    const reveal = workspace.pendingReveal;
    if (model && reveal) {
      workspace.pendingReveal = null;
      e.revealLineInCenter(reveal.line);
      e.setPosition({ lineNumber: reveal.line, column: reveal.column });
      e.focus();
    }
  }, [doc, version, workspace]);

  // Breakpoint glyphs: solid when set, hollow with the reason when not, and where a breakpoint
  // moved from (its line had no code) a faint mark.
  const path = doc?.path ?? null;
  useCellDecorations(editor, studio, path, version);
  useEffect(() => {
    const coll = bpDecorations.current;
    if (!coll) return;
    const list = path ? (bps.files[path] ?? []) : [];
    const decorations: monaco.editor.IModelDeltaDecoration[] = [];
    for (const b of list) {
      const line = shownLine(b);
      const cls = `bp-glyph bp-line-${b.line} ${b.status} ${b.enabled === false ? 'disabled' : ''} ${b.condition || b.hitCondition ? 'conditional' : ''} ${b.stale ? 'stale' : ''}`;
      decorations.push({
        range: new monaco.Range(line, 1, line, 1),
        options: {
          glyphMarginClassName: cls,
          glyphMarginHoverMessage: { value: describeBreakpoint(b) },
          stickiness: monaco.editor.TrackedRangeStickiness.NeverGrowsWhenTypingAtEdges,
        },
      });
      if (b.resolvedLine && b.resolvedLine !== b.line)
        decorations.push({
          range: new monaco.Range(b.line, 1, b.line, 1),
          options: {
            glyphMarginClassName: 'bp-moved-from',
            glyphMarginHoverMessage: { value: describeBreakpoint(b) },
          },
        });
    }
    coll.set(decorations);
  }, [bps, path, version]);

  const frame = dbg.frames[dbg.selectedFrame];
  const stop = dbg.session?.phase === 'halted' ? dbg.session.stop : null;
  const loc = dbg.selectedFrame > 0 && frame?.location ? frame.location : stop?.location;
  const current: CurrentLine | null =
    stop && loc?.inProject
      ? {
          path: loc.path,
          line: loc.line,
          top: dbg.selectedFrame === 0,
          stale: dbg.session?.staleFiles.includes(loc.path) ?? false,
        }
      : null;
  useEffect(() => {
    const coll = lineDecorations.current;
    if (!coll) return;
    if (!current || current.path !== path) {
      coll.clear();
      return;
    }
    coll.set([
      {
        range: new monaco.Range(current.line, 1, current.line, 1),
        options: {
          isWholeLine: true,
          className: `current-line ${current.top ? 'top' : 'caller'} ${current.stale ? 'stale' : ''}`,
          linesDecorationsClassName: `current-arrow ${current.top ? 'top' : 'caller'}`,
          ...(current.stale
            ? {
                hoverMessage: {
                  value:
                    'This file changed after the build the session runs: the line may not match the code. Rebuild and restart.',
                },
              }
            : {}),
        },
      },
    ]);
  }, [current?.path, current?.line, current?.top, current?.stale, path, version]);

  return (
    <div
      ref={host}
      className="editor-host"
      data-current-line={current && current.path === path ? current.line : ''}
      style={{ visibility: doc ? 'visible' : 'hidden' }}
    />
  );
}

function MarkdownPreview({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  return (
    <div
      className="markdown-preview"
      aria-label="Markdown preview"
      // The HTML is markdown-it's output with raw HTML off, sanitized by DOMPurify.
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}

export function EditorArea({ studio }: { studio: Studio }) {
  const { workspace } = studio;
  const ws = useModel(workspace);
  const { link } = useModel(studio.project);
  const active = ws.docs.find((d) => d.path === ws.active);
  const doc = workspace.activeDoc;
  const c = studio.commands;
  return (
    <main className="center">
      <div className="tabs" role="tablist">
        {ws.docs.map((d) => (
          <div
            key={d.path}
            role="tab"
            aria-selected={d.path === ws.active}
            className={`tab ${d.path === ws.active ? 'active' : ''} ${d.dirty ? 'dirty' : ''} ${d.deletedOnDisk ? 'deleted' : ''}`}
            data-path={d.path}
            title={`${d.path}${d.dirty ? ' (unsaved)' : ''}${d.deletedOnDisk ? ' (deleted on disk)' : ''}${d.readOnly ? ' (read-only)' : ''}`}
            onClick={() => workspace.activate(d.path)}
          >
            <span>{d.path.split('/').pop()}</span>
            {d.dirty && (
              <span className="dirty-dot" aria-label="unsaved">
                ●
              </span>
            )}
            {d.readOnly && <span className="ro">RO</span>}
            <button
              className="close"
              aria-label={`Close ${d.path}`}
              onClick={(e) => {
                e.stopPropagation();
                workspace.close(d.path);
              }}
            >
              ×
            </button>
          </div>
        ))}
        {active && /\.(md|markdown)$/i.test(active.path) && (
          <button
            className="ghost preview-toggle"
            onClick={() => c.run('markdown.togglePreview')}
            title={`Toggle Markdown preview (${c.shortcut('markdown.togglePreview')})`}
          >
            {active.preview ? 'Hide preview' : 'Show preview'}
          </button>
        )}
      </div>
      {(ws.notices.length > 0 || link !== 'connected') && (
        <div className="notices" aria-live="polite">
          <LinkNotice link={link} />
          {ws.notices.map((n) => (
            <div key={n.id} className={`notice ${n.level}`}>
              <span className="notice-text">
                {n.text}
                {n.fix && <span className="fix"> — Fix: {n.fix}</span>}
              </span>
              {n.actions?.map((a) => (
                <button
                  key={a.label}
                  onClick={() => {
                    workspace.dismiss(n.id);
                    a.run();
                  }}
                >
                  {a.label}
                </button>
              ))}
              <button
                className="dismiss"
                aria-label="Dismiss"
                onClick={() => workspace.dismiss(n.id)}
              >
                ×
              </button>
            </div>
          ))}
        </div>
      )}
      <div className={`editor-wrap ${active?.preview ? 'with-preview' : ''}`}>
        {doc?.notice && <div className="editor-notice">{doc.notice}</div>}
        {!doc && (
          <div className="editor-empty">
            <p>
              Open a file from the explorer on the left, or with {c.shortcut('quickOpen.show')}.
            </p>
            <p>
              {c.shortcut('palette.show')} lists every command; {c.shortcut('file.save')} saves,{' '}
              {c.shortcut('build.start')} builds the kernel for the selected board.
            </p>
          </div>
        )}
        <div className="editor-split">
          <MonacoView studio={studio} workspace={workspace} version={ws.version} />
          {active?.preview && doc && <MarkdownPreview text={doc.model.getValue()} />}
        </div>
      </div>
    </main>
  );
}
