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
import { useModel } from '../models/use';
import { LinkNotice } from './LinkBanner';
import type { Workspace } from '../models/workspace';
import type { Studio } from '../studio';

function MonacoView({ workspace, version }: { workspace: Workspace; version: number }) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);

  useEffect(() => {
    const e = monaco.editor.create(host.current!, {
      model: null,
      theme: 'capsule-dark',
      automaticLayout: true,
      fontSize: 13,
      minimap: { enabled: false },
      scrollBeyondLastLine: false,
      renderValidationDecorations: 'on',
    });
    const report = (): void => {
      const p = e.getPosition();
      const m = e.getModel();
      if (p && m) workspace.setCursor(p.lineNumber, p.column, m.getLineCount());
    };
    e.onDidChangeCursorPosition(report);
    e.onDidChangeModel(report);
    editor.current = e;
    return () => e.dispose();
  }, [workspace]);

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

  return (
    <div ref={host} className="editor-host" style={{ visibility: doc ? 'visible' : 'hidden' }} />
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
          <MonacoView workspace={workspace} version={ws.version} />
          {active?.preview && doc && <MarkdownPreview text={doc.model.getValue()} />}
        </div>
      </div>
    </main>
  );
}
