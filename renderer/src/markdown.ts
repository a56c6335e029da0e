/**
 * Markdown rendering for the preview beside a `.md` file: markdown-it turns the text into
 * HTML, DOMPurify removes anything active from it.
 *
 * markdown-it runs with raw HTML off (tags in the text are shown as text) and its own link
 * check (no `javascript:` or `data:` links except images); DOMPurify then sanitizes the result
 * again, because the preview is inserted as HTML. Links open outside the app (Electron's
 * window-open handler sends https links to the user's browser; browser mode opens a tab).
 * Images load only from the page's own origin or data: URLs, as the CSP allows; nothing else
 * is fetched.
 *
 * @example
 *   preview.innerHTML = renderMarkdown('# Title\n\nSome *text*.');
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

export function renderMarkdown(text: string): string {
  const html = md.render(text);
  const clean = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
  // Links leave the app rather than navigating the window away from the editor.
  return clean.replace(/<a /g, '<a target="_blank" rel="noopener noreferrer" ');
}
