/**
 * Monaco set-up: the editor API, Rust highlighting and the editor worker, all bundled locally.
 *
 * Only the editor core and the Rust grammar are loaded (not every language Monaco ships), which
 * keeps the bundle small and means nothing is fetched at run time. The worker is bundled by
 * Vite and started from the page's own origin, which the CSP allows.
 */
import * as monaco from 'monaco-editor/editor/editor.api.js';
// The editor features an IDE needs (hover shows rustc's message on a squiggle, F8 walks the
// errors, find, folding, comments); the rest of Monaco's contributions stay out of the bundle.
import '../../node_modules/monaco-editor/esm/vs/base/browser/ui/codicons/codicon/codicon.css';
import '../../node_modules/monaco-editor/esm/vs/base/browser/ui/codicons/codicon/codicon-modifiers.css';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching.js';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard.js';
import 'monaco-editor/editor/contrib/comment/browser/comment.js';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu.js';
import 'monaco-editor/editor/contrib/find/browser/findController.js';
import 'monaco-editor/editor/contrib/folding/browser/folding.js';
import 'monaco-editor/editor/contrib/gotoError/browser/gotoError.js';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution.js';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations.js';
import 'monaco-editor/editor/contrib/multicursor/browser/multicursor.js';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter.js';
import 'monaco-editor/editor/common/standaloneStrings.js';
import 'monaco-editor/languages/definitions/rust/register.js';
import EditorWorker from 'monaco-editor/editor/editor.worker.js?worker';

(self as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker: () => new EditorWorker(),
};

monaco.editor.defineTheme('capsule-dark', {
  base: 'vs-dark',
  inherit: true,
  rules: [],
  colors: { 'editor.background': '#1b1d23' },
});

const LANGUAGES: Record<string, string> = {
  rs: 'rust',
  toml: 'plaintext',
  md: 'plaintext',
  json: 'plaintext',
  ld: 'plaintext',
};

export function languageFor(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return LANGUAGES[ext] ?? 'plaintext';
}

export { monaco };
