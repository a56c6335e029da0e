/**
 * The command registry: every action of the window, its title, its keyboard shortcut and
 * whether it can run now. The one place keys are bound: a single capture-phase key handler
 * runs the command bound to a key (before the editor sees the key, so Ctrl+G never types into
 * the file), and the command palette lists the same commands with the same shortcuts.
 *
 * Shortcuts are written "Ctrl+Shift+P"; on macOS Cmd counts as Ctrl.
 *
 * @example
 *   commands.register({ id: 'build', title: 'Build', keys: ['Ctrl+B'], run: () => build() });
 *   window.addEventListener('keydown', (e) => commands.handleKey(e), true);
 */
export interface Command {
  id: string;
  title: string;
  /** Shown before the title in the palette ("File", "Build", "View"). */
  category: string;
  keys?: string[];
  run(): unknown;
  /** False when the command cannot run now (no host, nothing to save); default true. */
  enabled?(): boolean;
}

export interface KeyEventLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  preventDefault(): void;
  stopPropagation(): void;
}

/** "Ctrl+Shift+P" for a key event (Cmd counts as Ctrl). */
export function keyOf(e: KeyEventLike): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push('Ctrl');
  if (e.altKey) parts.push('Alt');
  if (e.shiftKey) parts.push('Shift');
  const k = e.key.length === 1 ? e.key.toUpperCase() : e.key;
  if (!['Control', 'Meta', 'Alt', 'Shift'].includes(k)) parts.push(k);
  return parts.join('+');
}

export class CommandRegistry {
  private commands = new Map<string, Command>();
  private byKey = new Map<string, string>();

  register(command: Command): void {
    if (this.commands.has(command.id)) throw new Error(`command ${command.id} is registered twice`);
    for (const k of command.keys ?? []) {
      const other = this.byKey.get(k);
      if (other) throw new Error(`${k} is bound to both ${other} and ${command.id}`);
      this.byKey.set(k, command.id);
    }
    this.commands.set(command.id, command);
  }

  get(id: string): Command | undefined {
    return this.commands.get(id);
  }

  list(): Command[] {
    return [...this.commands.values()];
  }

  enabled(id: string): boolean {
    const c = this.commands.get(id);
    return !!c && (c.enabled?.() ?? true);
  }

  run(id: string): boolean {
    const c = this.commands.get(id);
    if (!c || !(c.enabled?.() ?? true)) return false;
    void c.run();
    return true;
  }

  /** The shortcut shown for a command (its first key). */
  shortcut(id: string): string | undefined {
    return this.commands.get(id)?.keys?.[0];
  }

  /** Runs the command bound to the key; true (and the event stopped) when one is bound. */
  handleKey(e: KeyEventLike): boolean {
    const id = this.byKey.get(keyOf(e));
    if (!id) return false;
    e.preventDefault();
    e.stopPropagation();
    this.run(id);
    return true;
  }
}
