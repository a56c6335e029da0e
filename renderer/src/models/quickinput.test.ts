// The quick input: the first character picks the source (">" commands, ":" lines, else
// files), matching is by words in order, and ask() resolves with the typed text only when it
// passes its check.
import { describe, expect, it } from 'vitest';
import { filterItems, fuzzyScore, QuickInputModel } from './quickinput';

describe('quick input', () => {
  it('matches every word, whole or as a subsequence, best first', () => {
    expect(
      fuzzyScore('hostboard main', 'main.rs boards/hostboard/src/main.rs'),
    ).toBeGreaterThanOrEqual(0);
    expect(fuzzyScore('zzz', 'main.rs')).toBe(-1);
    const items = filterItems('rs', [
      { id: 'b', label: 'lib.toml' },
      { id: 'a', label: 'rs.rs' },
      { id: 'c', label: 'main.rs' },
    ]);
    expect(items.map((i) => i.id)).toEqual(['a', 'c']);
  });

  it('sends the text after the prefix to the source the prefix picks', () => {
    const q = new QuickInputModel();
    const accepted: string[] = [];
    q.source('>', {
      placeholder: 'commands',
      items: (t) => [{ id: `cmd:${t}`, label: t }],
      accept: (item) => accepted.push(item!.id),
    });
    q.source('', {
      placeholder: 'files',
      items: (t) => [{ id: `file:${t}`, label: t }],
      accept: (item) => accepted.push(item!.id),
    });
    q.show('>build');
    expect(q.snapshot().placeholder).toBe('commands');
    q.accept();
    q.show('lib');
    q.accept();
    expect(accepted).toEqual(['cmd:build', 'file:lib']);
    expect(q.snapshot().open).toBe(false);
  });

  it('answers a question only with text that passes its check, or null when dismissed', async () => {
    const q = new QuickInputModel();
    const answer = q.ask({
      title: 'Name',
      validate: (v) => (v.includes('/') ? 'no slashes' : null),
    });
    q.type('a/b');
    q.accept();
    expect(q.snapshot().problem).toBe('no slashes');
    expect(q.snapshot().open).toBe(true);
    q.type('ab');
    q.accept();
    expect(await answer).toBe('ab');
    const dismissed = q.ask({ title: 'Other' });
    q.dismiss();
    expect(await dismissed).toBeNull();
  });
});
