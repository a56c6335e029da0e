/**
 * The editor workspace model: open documents (Monaco models), their dirty state, markers from
 * the build, and the recovery of unsaved edits through the host.
 *
 * React components render from `snapshot()` and re-render on `subscribe`; Monaco models live
 * here, outside React state, because they are large mutable objects. Every edit is sent to the
 * host's recovery store shortly after it happens (and discarded on save), so unsaved edits
 * survive a reload of the window; on start the workspace reopens those buffers as dirty tabs.
 * Changes and deletions on disk reported by the host are applied to clean tabs and announced
 * for dirty ones, never silently overwriting the user's edits.
 */
import type { Diagnostic, FileContent, HostApi, HostError } from '../../../main/common/contract';
import { hexDump, HEX_VIEW_BYTES } from '../hexdump';
import { languageFor, monaco } from '../monaco';

export interface Doc {
  path: string;
  model: monaco.editor.ITextModel;
  savedVersionId: number;
  mtimeMs: number;
  readOnly: boolean;
  notice?: string;
  deletedOnDisk: boolean;
  changedOnDisk: boolean;
  preview: boolean;
}

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  text: string;
  fix?: string;
  actions?: { label: string; run: () => void }[];
}

export interface WorkspaceSnapshot {
  docs: {
    path: string;
    dirty: boolean;
    readOnly: boolean;
    deletedOnDisk: boolean;
    changedOnDisk: boolean;
    /** Markdown shown rendered beside its source. */
    preview: boolean;
  }[];
  active: string | null;
  /** The active document has edits to save (what Save's enabled state follows). */
  activeDirty: boolean;
  /** Some open document has edits to save. */
  anyDirty: boolean;
  /** Cursor of the active editor, 1-based. */
  cursor: { line: number; column: number; lines: number } | null;
  notices: Notice[];
  version: number;
}

/** Markdown files open with their rendered preview beside the source. */
export const isMarkdown = (path: string): boolean => /\.(md|markdown)$/i.test(path);

const MARKER_OWNER = 'rustc';

function severityToMonaco(s: Diagnostic['severity']): monaco.MarkerSeverity {
  switch (s) {
    case 'error':
      return monaco.MarkerSeverity.Error;
    case 'warning':
      return monaco.MarkerSeverity.Warning;
    case 'info':
      return monaco.MarkerSeverity.Info;
    default:
      return monaco.MarkerSeverity.Hint;
  }
}

export class Workspace {
  private docs = new Map<string, Doc>();
  private order: string[] = [];
  private active: string | null = null;
  private notices: Notice[] = [];
  private listeners = new Set<() => void>();
  private version = 0;
  private nextNoticeId = 1;
  private diagnostics: Diagnostic[] = [];
  private recoveryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private cached: WorkspaceSnapshot | null = null;
  private cursor: WorkspaceSnapshot['cursor'] = null;
  /**
   * Files read ahead of being opened (`prefetch`), with their Monaco models built, most recent
   * last: opening one shows it without a trip to the host. Watched like open files, so a change
   * on disk drops it; at most PREFETCH_LIMIT, the oldest dropped first.
   */
  private prefetched = new Map<string, { file: FileContent; model: monaco.editor.ITextModel }>();
  private prefetching = new Set<string>();
  static readonly PREFETCH_LIMIT = 24;

  constructor(private readonly api: HostApi) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    this.cached = null;
    for (const l of this.listeners) l();
  }

  /** The same object until something changes (React compares snapshots by identity). */
  snapshot(): WorkspaceSnapshot {
    if (this.cached) return this.cached;
    const docs = this.order.map((p) => {
      const d = this.docs.get(p)!;
      return {
        path: p,
        dirty: this.isDirty(d),
        readOnly: d.readOnly,
        deletedOnDisk: d.deletedOnDisk,
        changedOnDisk: d.changedOnDisk,
        preview: d.preview,
      };
    });
    this.cached = {
      docs,
      active: this.active,
      activeDirty: docs.some((d) => d.path === this.active && d.dirty && !d.readOnly),
      anyDirty: docs.some((d) => d.dirty && !d.readOnly),
      cursor: this.active ? this.cursor : null,
      notices: this.notices,
      version: this.version,
    };
    return this.cached;
  }

  /** The editor reports where its cursor is (shown in the status bar). */
  setCursor(line: number, column: number, lines: number): void {
    const c = this.cursor;
    if (c && c.line === line && c.column === column && c.lines === lines) return;
    this.cursor = { line, column, lines };
    this.changed();
  }

  /** Moves the cursor of the active document to `line` (clamped to the document). */
  goToLine(line: number, column = 1): boolean {
    const doc = this.activeDoc;
    if (!doc) return false;
    const n = Math.min(Math.max(1, Math.floor(line)), doc.model.getLineCount());
    this.pendingReveal = { line: n, column };
    this.changed();
    return true;
  }

  togglePreview(path = this.active): void {
    const doc = path ? this.docs.get(path) : undefined;
    if (!doc) return;
    doc.preview = !doc.preview;
    this.changed();
  }

  /** Paths of the open documents and the active one (what a reload reopens). */
  openTabs(): { paths: string[]; active: string | null } {
    return {
      paths: this.order.filter((p) => !this.docs.get(p)?.deletedOnDisk),
      active: this.active,
    };
  }

  /** Reopens tabs of an earlier window quietly; files gone since are skipped. */
  async reopen(paths: string[], active: string | null): Promise<void> {
    for (const p of paths) {
      if (this.docs.has(p)) continue;
      const r = await this.api.project.readFile({ path: p });
      if (r.ok && !this.docs.has(p)) this.adopt(r.value);
    }
    if (active && this.docs.has(active)) this.active = active;
    else if (!this.active) this.active = this.order[this.order.length - 1] ?? null;
    this.changed();
  }

  /** A file or folder was renamed or moved (by the explorer): open documents follow it. */
  async onRenamed(from: string, to: string): Promise<void> {
    this.forgetPrefetched(from);
    for (const p of [...this.order]) {
      if (p !== from && !p.startsWith(`${from}/`)) continue;
      const next = to + p.slice(from.length);
      const doc = this.docs.get(p)!;
      const text = doc.model.getValue();
      const dirty = this.isDirty(doc);
      const r = await this.api.project.readFile({ path: next });
      if (!r.ok) continue;
      const moved = this.adopt(r.value);
      if (dirty) moved.model.setValue(text);
      this.order = this.order.filter((q) => q !== next);
      this.order.splice(this.order.indexOf(p), 0, next);
      if (this.active === p) this.active = next;
      void this.api.recovery.discard({ path: p });
      doc.model.dispose();
      this.docs.delete(p);
      this.order = this.order.filter((q) => q !== p);
    }
    void this.syncWatch();
    this.changed();
  }

  /** Files read ahead at or under `path` (renamed or deleted) are forgotten. */
  private forgetPrefetched(path: string): void {
    for (const p of [...this.prefetched.keys()])
      if (p === path || p.startsWith(`${path}/`)) this.dropPrefetched(p);
  }

  /** A file or folder was deleted by the explorer: clean documents close, edited ones stay. */
  onDeleted(path: string): void {
    this.forgetPrefetched(path);
    for (const p of [...this.order]) {
      if (p !== path && !p.startsWith(`${path}/`)) continue;
      const doc = this.docs.get(p)!;
      if (this.isDirty(doc)) {
        doc.deletedOnDisk = true;
        continue;
      }
      doc.model.dispose();
      this.docs.delete(p);
      this.order = this.order.filter((q) => q !== p);
      if (this.active === p) this.active = this.order[this.order.length - 1] ?? null;
    }
    void this.syncWatch();
    this.changed();
  }

  get activeDoc(): Doc | undefined {
    return this.active ? this.docs.get(this.active) : undefined;
  }

  isDirty(d: Doc): boolean {
    return d.model.getAlternativeVersionId() !== d.savedVersionId;
  }

  notify(
    level: Notice['level'],
    text: string,
    extra: Partial<Pick<Notice, 'fix' | 'actions'>> = {},
  ): void {
    this.notices = [...this.notices.slice(-4), { id: this.nextNoticeId++, level, text, ...extra }];
    this.changed();
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.changed();
  }

  reportError(error: HostError): void {
    this.notify('error', error.message, error.fix ? { fix: error.fix } : {});
  }

  private adopt(file: FileContent): Doc {
    // A model read ahead becomes the document's (and is no longer the read-ahead's to drop).
    this.prefetched.delete(file.path);
    const uri = monaco.Uri.parse(`project:///${file.path}`);
    const model =
      monaco.editor.getModel(uri) ??
      monaco.editor.createModel(file.content, languageFor(file.path), uri);
    const doc: Doc = {
      path: file.path,
      model,
      savedVersionId: model.getAlternativeVersionId(),
      mtimeMs: file.mtimeMs,
      readOnly: file.readOnly,
      deletedOnDisk: false,
      changedOnDisk: false,
      preview: isMarkdown(file.path),
    };
    if (file.notice) doc.notice = file.notice;
    model.onDidChangeContent(() => {
      this.scheduleRecovery(doc);
      this.changed();
    });
    this.docs.set(file.path, doc);
    this.order.push(file.path);
    this.applyMarkers(doc);
    void this.syncWatch();
    return doc;
  }

  /** Opens (or focuses) a file. Returns false when the host refused it. */
  async open(path: string, reveal?: { line: number; column: number }): Promise<boolean> {
    const ready = this.prefetched.get(path);
    if (ready && !this.docs.has(path)) {
      // Read ahead: its model is built, so it shows in this task.
      this.prefetched.delete(path);
      this.adopt(ready.file);
      if (ready.file.notice) this.notify('warning', ready.file.notice);
    }
    if (!this.docs.has(path)) {
      const r = await this.api.project.readFile({ path });
      if (!r.ok && r.error.code === 'binary') return this.openBinary(path);
      if (!r.ok) {
        this.reportError(r.error);
        return false;
      }
      // A second open of the same file may have finished while this one awaited.
      if (!this.docs.has(path)) this.adopt(r.value);
      if (r.value.notice) this.notify('warning', r.value.notice);
    }
    this.active = path;
    this.pendingReveal = reveal ?? null;
    this.changed();
    return true;
  }

  /**
   * Reads files that may be opened soon (a debugger stop's nearby sources) and builds their
   * models, without opening tabs, one at a time so the window's own requests are not held up
   * behind a burst, and only while `wanted` says so. Open files, files already read ahead and files the host refuses (binary,
   * too large, gone) are skipped quietly: opening one later reports the problem as usual.
   */
  async prefetch(paths: string[], wanted: () => boolean = () => true): Promise<void> {
    let added = false;
    for (const path of paths.slice(0, Workspace.PREFETCH_LIMIT)) {
      // No longer wanted (the debugger stepped on): the next stop asks again.
      if (!wanted()) break;
      if (this.docs.has(path) || this.prefetching.has(path)) continue;
      const held = this.prefetched.get(path);
      if (held) {
        // Used again: the most recent now.
        this.prefetched.delete(path);
        this.prefetched.set(path, held);
        continue;
      }
      this.prefetching.add(path);
      const r = await this.api.project.readFile({ path });
      this.prefetching.delete(path);
      if (!r.ok || this.docs.has(path) || this.prefetched.has(path)) continue;
      const uri = monaco.Uri.parse(`project:///${path}`);
      const model =
        monaco.editor.getModel(uri) ??
        monaco.editor.createModel(r.value.content, languageFor(path), uri);
      this.prefetched.set(path, { file: r.value, model });
      added = true;
      while (this.prefetched.size > Workspace.PREFETCH_LIMIT) {
        const oldest = this.prefetched.keys().next().value!;
        this.dropPrefetched(oldest);
      }
    }
    // One watch update for the batch (the host stats each new path once).
    if (added) await this.syncWatch();
  }

  /** Files read ahead and not opened (oldest first), for tests and the bench. */
  prefetchedPaths(): string[] {
    return [...this.prefetched.keys()];
  }

  private dropPrefetched(path: string): void {
    const held = this.prefetched.get(path);
    if (!held) return;
    this.prefetched.delete(path);
    if (!this.docs.has(path)) held.model.dispose();
  }

  /** A binary file opens as a read-only hex dump of its first bytes (raw bytes from the host). */
  private async openBinary(path: string): Promise<boolean> {
    const r = await this.api.project.readBytes({ path, length: HEX_VIEW_BYTES });
    if (!r.ok) {
      this.reportError(r.error);
      return false;
    }
    if (!this.docs.has(path)) {
      const { bytes, size } = r.value;
      const shown =
        size > bytes.length ? `the first ${bytes.length} of ${size} bytes` : `${size} bytes`;
      const notice = `${path} is a binary file: shown as hex (${shown}), read-only.`;
      this.adopt({ path, content: hexDump(bytes), mtimeMs: 0, size, readOnly: true, notice });
    }
    this.active = path;
    this.pendingReveal = null;
    this.changed();
    return true;
  }

  /** Set by `open` for the editor component to apply once the model is shown. */
  pendingReveal: { line: number; column: number } | null = null;

  close(path: string): void {
    const doc = this.docs.get(path);
    if (!doc) return;
    if (
      this.isDirty(doc) &&
      !window.confirm(`${path} has unsaved edits. Close it and discard them?`)
    )
      return;
    void this.api.recovery.discard({ path });
    doc.model.dispose();
    this.docs.delete(path);
    this.order = this.order.filter((p) => p !== path);
    if (this.active === path) this.active = this.order[this.order.length - 1] ?? null;
    void this.syncWatch();
    this.changed();
  }

  activate(path: string): void {
    this.active = path;
    this.changed();
  }

  private scheduleRecovery(doc: Doc): void {
    const old = this.recoveryTimers.get(doc.path);
    if (old) clearTimeout(old);
    this.recoveryTimers.set(
      doc.path,
      setTimeout(() => {
        this.recoveryTimers.delete(doc.path);
        if (!this.docs.has(doc.path)) return;
        const request = this.isDirty(doc)
          ? this.api.recovery.put({
              path: doc.path,
              content: doc.model.getValue(),
              baseMtimeMs: doc.mtimeMs,
            })
          : this.api.recovery.discard({ path: doc.path });
        void request.then((r) => {
          if (!r.ok) this.reportError(r.error);
        });
      }, 300),
    );
  }

  /** Resolves once every pending recovery write has been sent (used before a reload). */
  async flushRecovery(): Promise<void> {
    const pending = [...this.recoveryTimers.keys()];
    for (const path of pending) {
      clearTimeout(this.recoveryTimers.get(path));
      this.recoveryTimers.delete(path);
      const doc = this.docs.get(path);
      if (doc && this.isDirty(doc))
        await this.api.recovery.put({
          path,
          content: doc.model.getValue(),
          baseMtimeMs: doc.mtimeMs,
        });
    }
  }

  /** Reopens buffers the recovery store holds from an earlier window. */
  async restore(): Promise<void> {
    const r = await this.api.recovery.list({});
    if (!r.ok) return this.reportError(r.error);
    const restored: string[] = [];
    for (const buf of r.value) {
      const file = await this.api.project.readFile({ path: buf.path });
      let doc: Doc;
      if (file.ok) {
        if (file.value.readOnly) continue;
        doc = this.docs.get(buf.path) ?? this.adopt(file.value);
        if (buf.baseMtimeMs !== 0 && Math.abs(file.value.mtimeMs - buf.baseMtimeMs) > 1) {
          doc.changedOnDisk = true;
          this.notify(
            'warning',
            `${buf.path} changed on disk after your unsaved edits were made; your edits are restored, saving will ask before overwriting.`,
          );
          doc.mtimeMs = buf.baseMtimeMs;
        }
      } else if (file.error.code === 'not-found') {
        doc = this.adopt({ path: buf.path, content: '', mtimeMs: 0, size: 0, readOnly: false });
        doc.deletedOnDisk = true;
      } else continue;
      if (doc.model.getValue() !== buf.content) doc.model.setValue(buf.content);
      restored.push(buf.path);
      this.active = buf.path;
    }
    if (restored.length)
      this.notify('info', `Restored unsaved edits from the last session: ${restored.join(', ')}`);
    this.changed();
  }

  async save(path: string, force = false): Promise<boolean> {
    const doc = this.docs.get(path);
    if (!doc) return false;
    if (doc.readOnly) {
      this.notify(
        'warning',
        `${path} is read-only: ${doc.notice ?? 'it cannot be saved from the editor'}`,
      );
      return false;
    }
    const versionAtSave = doc.model.getAlternativeVersionId();
    const args: Parameters<HostApi['project']['writeFile']>[0] = {
      path,
      content: doc.model.getValue(),
    };
    if (!force) args.expectedMtimeMs = doc.deletedOnDisk ? 0 : doc.mtimeMs;
    const r = await this.api.project.writeFile(args);
    if (!r.ok) {
      if (r.error.code === 'conflict')
        this.notify('warning', r.error.message, {
          actions: [
            { label: 'Overwrite', run: () => void this.save(path, true) },
            { label: 'Reload from disk', run: () => void this.reload(path) },
          ],
        });
      else this.reportError(r.error);
      return false;
    }
    doc.savedVersionId = versionAtSave;
    doc.mtimeMs = r.value.mtimeMs;
    doc.deletedOnDisk = false;
    doc.changedOnDisk = false;
    if (!this.isDirty(doc)) void this.api.recovery.discard({ path });
    this.changed();
    return true;
  }

  async saveAll(): Promise<boolean> {
    let ok = true;
    for (const p of this.order) {
      const d = this.docs.get(p)!;
      if (this.isDirty(d) && !d.readOnly) ok = (await this.save(p)) && ok;
    }
    return ok;
  }

  async reload(path: string): Promise<void> {
    const doc = this.docs.get(path);
    if (!doc) return;
    const r = await this.api.project.readFile({ path });
    if (!r.ok) return this.reportError(r.error);
    doc.model.setValue(r.value.content);
    doc.savedVersionId = doc.model.getAlternativeVersionId();
    doc.mtimeMs = r.value.mtimeMs;
    doc.readOnly = r.value.readOnly;
    doc.changedOnDisk = false;
    doc.deletedOnDisk = false;
    void this.api.recovery.discard({ path });
    this.changed();
  }

  /** The host saw an open file change or vanish on disk. */
  onDiskChange(path: string, kind: 'changed' | 'deleted', mtimeMs: number): void {
    // A file read ahead is read again when opened.
    if (this.prefetched.has(path)) {
      this.dropPrefetched(path);
      void this.syncWatch();
    }
    const doc = this.docs.get(path);
    if (!doc) return;
    if (kind === 'deleted') {
      doc.deletedOnDisk = true;
      this.notify(
        'warning',
        `${path} was deleted on disk. Its text stays open here; save to recreate it.`,
      );
    } else if (Math.abs(mtimeMs - doc.mtimeMs) > 1) {
      doc.deletedOnDisk = false;
      if (this.isDirty(doc)) {
        doc.changedOnDisk = true;
        this.notify(
          'warning',
          `${path} changed on disk while you have unsaved edits here. Your edits are kept.`,
          {
            actions: [
              { label: 'Keep mine (overwrite)', run: () => void this.save(path, true) },
              { label: 'Reload from disk', run: () => void this.reload(path) },
            ],
          },
        );
      } else {
        void this.reload(path).then(() =>
          this.notify('info', `${path} changed on disk and was reloaded.`),
        );
      }
    }
    this.changed();
  }

  private async syncWatch(): Promise<void> {
    await this.api.project.watch({
      paths: [
        ...this.order.filter((p) => !this.docs.get(p)?.deletedOnDisk),
        ...[...this.prefetched.keys()].filter((p) => !this.docs.has(p)),
      ],
    });
  }

  setDiagnostics(diagnostics: Diagnostic[]): void {
    this.diagnostics = diagnostics;
    for (const doc of this.docs.values()) this.applyMarkers(doc);
  }

  private applyMarkers(doc: Doc): void {
    const markers = this.diagnostics
      .filter((d) => d.inProject && d.path === doc.path)
      .map((d) => ({
        severity: severityToMonaco(d.severity),
        message: d.message,
        code: d.code,
        source: 'rustc',
        startLineNumber: d.line,
        startColumn: d.column,
        endLineNumber: d.endLine,
        endColumn: Math.max(d.endColumn, d.line === d.endLine ? d.column + 1 : d.endColumn),
        relatedInformation: d.related
          .filter((r) => !r.path.startsWith('/'))
          .map((r) => ({
            resource: monaco.Uri.parse(`project:///${r.path}`),
            message: r.message,
            startLineNumber: r.line,
            startColumn: r.column,
            endLineNumber: r.line,
            endColumn: r.column + 1,
          })),
      }));
    monaco.editor.setModelMarkers(doc.model, MARKER_OWNER, markers);
  }

  hasDirty(): boolean {
    return [...this.docs.values()].some((d) => this.isDirty(d));
  }
}
