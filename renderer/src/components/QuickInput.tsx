/**
 * The quick input box (command palette, quick open, go to line, short questions): see
 * models/quickinput.ts for its modes. Keys: Up/Down choose, Enter accepts, Escape dismisses.
 */
import { useEffect, useRef } from 'react';
import type { QuickInputModel } from '../models/quickinput';
import { useModel } from '../models/use';

export function QuickInput({ model }: { model: QuickInputModel }) {
  const s = useModel(model);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (s.open) input.current?.focus();
  }, [s.open, s.mode, s.title]);
  if (!s.open) return null;
  return (
    <div className="quick-backdrop" onMouseDown={() => model.dismiss()}>
      <div
        className="quick-input"
        role="dialog"
        aria-label={s.title || 'Quick input'}
        onMouseDown={(e) => e.stopPropagation()}
      >
        {s.title && <div className="quick-title">{s.title}</div>}
        <input
          ref={input}
          value={s.value}
          placeholder={s.placeholder}
          aria-label={s.title || s.placeholder}
          onChange={(e) => model.type(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowDown') model.move(1);
            else if (e.key === 'ArrowUp') model.move(-1);
            else if (e.key === 'Enter') model.accept();
            else if (e.key === 'Escape') model.dismiss();
            else return;
            e.preventDefault();
          }}
        />
        {s.problem && <div className="quick-problem">{s.problem}</div>}
        {s.mode === 'list' && (
          <ul className="quick-items" role="listbox">
            {s.items.map((item, i) => (
              <li
                key={item.id + i}
                role="option"
                aria-selected={i === s.selected}
                aria-disabled={item.disabled}
                className={`${i === s.selected ? 'selected' : ''} ${item.disabled ? 'disabled' : ''}`}
                data-id={item.id}
                onMouseDown={(e) => {
                  e.preventDefault();
                  model.accept(i);
                }}
              >
                <span className="label">{item.label}</span>
                {item.detail && <span className="detail">{item.detail}</span>}
                {item.keys && <kbd>{item.keys}</kbd>}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
