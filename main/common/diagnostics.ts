/**
 * Turns cargo's JSON messages (rustc diagnostics with spans, levels and child notes) into the
 * editor's markers and the Problems list.
 *
 * Cargo prints one JSON object per line with `--message-format=json*`. Only
 * `compiler-message` lines carry diagnostics; their span paths are relative to the workspace
 * root for workspace members and absolute for dependencies. A diagnostic whose primary span
 * sits inside a macro from outside the project is moved to the project line that invoked the
 * macro, because that is the line the user can change. Children with spans become related
 * locations; children without spans (notes, help) are appended to the message, as rustc's own
 * rendering does. Summary lines with no span ("aborting due to 2 previous errors") are dropped:
 * the build's finish message already says it failed. Pure TypeScript (no Node path module):
 * the renderer's tests and the host share it.
 *
 * @example
 *   const d = diagnosticFromCargoLine(line, '/home/me/kernel');
 *   if (d) problems.push(d);
 */
import type { Diagnostic, RelatedLocation, Severity } from './contract.js';

interface RustcSpan {
  file_name: string;
  line_start: number;
  line_end: number;
  column_start: number;
  column_end: number;
  is_primary: boolean;
  label?: string | null;
  expansion?: { span: RustcSpan } | null;
}

interface RustcDiagnostic {
  message: string;
  code?: { code: string } | null;
  level: string;
  spans: RustcSpan[];
  children: RustcDiagnostic[];
  rendered?: string | null;
}

/** Parsed form of the cargo JSON lines the build cares about. */
export type CargoMessage =
  | { reason: 'compiler-message'; crate: string; diagnostic: Diagnostic | null; rendered: string }
  | { reason: 'compiler-artifact'; crate: string; fresh: boolean }
  | { reason: 'build-script-executed'; crate: string }
  | { reason: 'build-finished'; success: boolean }
  | { reason: 'other' };

const ANSI = new RegExp(String.fromCharCode(27) + '\\[[0-9;]*[A-Za-z]', 'g');

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

function severityOf(level: string): Severity | null {
  if (level === 'error' || level.startsWith('error:')) return 'error';
  if (level === 'warning') return 'warning';
  if (level === 'note' || level === 'failure-note') return 'info';
  if (level === 'help') return 'hint';
  return null;
}

/** Normalises a span path to project-relative with forward slashes where it lies inside root. */
export function relativeToRoot(
  fileName: string,
  root: string,
): { path: string; inProject: boolean } {
  const file = fileName.replace(/\\/g, '/');
  const base = root.replace(/\\/g, '/').replace(/\/+$/, '');
  const isAbsolute = file.startsWith('/') || /^[A-Za-z]:\//.test(file);
  if (!isAbsolute) {
    const parts: string[] = [];
    for (const part of file.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (parts.length === 0) return { path: `${base}/${file}`, inProject: false };
        parts.pop();
      } else parts.push(part);
    }
    return { path: parts.join('/'), inProject: true };
  }
  if (file.startsWith(base + '/')) return { path: file.slice(base.length + 1), inProject: true };
  return { path: file, inProject: false };
}

/** Picks the span to mark: the primary one, followed out of foreign macros into the project. */
function pickSpan(spans: RustcSpan[], root: string): RustcSpan | undefined {
  let span = spans.find((s) => s.is_primary) ?? spans[0];
  for (let depth = 0; span && depth < 16; depth++) {
    if (relativeToRoot(span.file_name, root).inProject || !span.expansion) break;
    span = span.expansion.span;
  }
  return span;
}

export function mapRustcDiagnostic(
  diag: RustcDiagnostic,
  root: string,
  crate?: string,
): Diagnostic | null {
  const severity = severityOf(diag.level);
  if (!severity) return null;
  const span = pickSpan(diag.spans ?? [], root);
  if (!span) return null;
  const where = relativeToRoot(span.file_name, root);

  const extra: string[] = [];
  if (span.label) extra.push(span.label);
  const related: RelatedLocation[] = [];
  for (const s of diag.spans ?? []) {
    if (s === span || !s.label) continue;
    const r = relativeToRoot(s.file_name, root);
    related.push({ path: r.path, line: s.line_start, column: s.column_start, message: s.label });
  }
  for (const child of diag.children ?? []) {
    const childSpan = child.spans?.find((s) => s.is_primary) ?? child.spans?.[0];
    if (childSpan) {
      const r = relativeToRoot(childSpan.file_name, root);
      related.push({
        path: r.path,
        line: childSpan.line_start,
        column: childSpan.column_start,
        message: `${child.level}: ${child.message}`,
      });
    } else {
      extra.push(`${child.level}: ${child.message}`);
    }
  }

  const message = extra.length ? `${diag.message}\n${extra.join('\n')}` : diag.message;
  const out: Diagnostic = {
    path: where.path,
    inProject: where.inProject,
    severity,
    message,
    line: span.line_start,
    column: span.column_start,
    endLine: span.line_end,
    endColumn: span.column_end,
    related,
  };
  if (diag.code?.code) out.code = diag.code.code;
  if (crate) out.crate = crate;
  return out;
}

function crateName(target: unknown, packageId: unknown): string {
  if (target && typeof target === 'object' && 'name' in target) {
    const name = (target as { name: unknown }).name;
    if (typeof name === 'string') return name;
  }
  return typeof packageId === 'string' ? packageId : '?';
}

/** Parses one stdout line from `cargo --message-format=json*`; null for non-JSON lines. */
export function parseCargoLine(line: string, root: string): CargoMessage | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return null;
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(trimmed) as Record<string, unknown>;
  } catch {
    return null;
  }
  const crate = crateName(raw.target, raw.package_id);
  switch (raw.reason) {
    case 'compiler-message': {
      const message = raw.message as RustcDiagnostic | undefined;
      if (!message || typeof message !== 'object') return { reason: 'other' };
      return {
        reason: 'compiler-message',
        crate,
        diagnostic: mapRustcDiagnostic(message, root, crate),
        rendered: stripAnsi(message.rendered ?? message.message ?? ''),
      };
    }
    case 'compiler-artifact':
      return { reason: 'compiler-artifact', crate, fresh: raw.fresh === true };
    case 'build-script-executed':
      return { reason: 'build-script-executed', crate };
    case 'build-finished':
      return { reason: 'build-finished', success: raw.success === true };
    default:
      return { reason: 'other' };
  }
}

/** Convenience for callers that only want the diagnostic of a line. */
export function diagnosticFromCargoLine(line: string, root: string): Diagnostic | null {
  const m = parseCargoLine(line, root);
  return m?.reason === 'compiler-message' ? m.diagnostic : null;
}
