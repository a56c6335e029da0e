/**
 * What the window says while the host is unreachable, in words a person can act on.
 */
import type { Link } from '../models/project';

export const LINK_MESSAGES: Record<Exclude<Link, 'connected'>, { text: string; fix: string }> = {
  connecting: {
    text: 'Lost the connection to Capsule Studio; reconnecting…',
    fix: 'If this lasts, check that `npm start` is still running.',
  },
  gone: {
    text: 'Capsule Studio is not running (it stopped or restarted on another address).',
    fix: 'Start it again with `npm start` and open the URL it prints. Unsaved edits are kept and come back when you reopen the project.',
  },
  refused: {
    text: 'Capsule Studio restarted and no longer accepts this page.',
    fix: 'Open the new URL it printed when it started (it carries a new access token). Unsaved edits are kept.',
  },
  'other-project': {
    text: 'Capsule Studio restarted with another project open.',
    fix: 'Reload this page to work on that project, or restart Capsule Studio on this one.',
  },
};

/** The toolbar's short form; `LinkNotice` gives the whole text and what to do. */
export function LinkBanner({ link }: { link: Link }) {
  if (link === 'connected') return null;
  const m = LINK_MESSAGES[link];
  return (
    <span className={`disconnected link-${link}`} title={m.fix}>
      {m.text}
    </span>
  );
}

/** Above the code, full width: what happened and what to do, while the host is unreachable. */
export function LinkNotice({ link }: { link: Link }) {
  if (link === 'connected') return null;
  const m = LINK_MESSAGES[link];
  return (
    <div className={`notice error link-notice link-${link}`} role="alert">
      <span className="notice-text">
        {m.text} {m.fix}
      </span>
    </div>
  );
}
