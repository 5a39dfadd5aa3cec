// Every keyboard shortcut of the workbench, in one list: the help dialog
// (press `?`) shows it. A view that handles a key of its own registers it
// here with `registerShortcut` (at module load), so the list stays complete.

export interface Shortcut {
  /** How it is shown, e.g. "Ctrl+Shift+F". */
  keys: string;
  /** What it does. */
  does: string;
  /** Where it works: "everywhere" or a view's name. */
  where: string;
}

export const shortcuts: Shortcut[] = [
  { keys: 'Alt+1 … Alt+9, Alt+0', does: 'Switch to the view at that place in the navigation (Alt+0: the tenth)', where: 'everywhere' },
  { keys: 'Ctrl+K', does: 'Command palette: every view (also those past Alt+0) and the global commands', where: 'everywhere' },
  { keys: 'Ctrl+O', does: 'Open a workspace…', where: 'everywhere' },
  { keys: 'Ctrl+S', does: 'Commit the edited files as a new version…', where: 'everywhere' },
  { keys: 'Ctrl+Shift+F', does: 'Format the open policy file', where: 'Policies' },
  { keys: '?', does: 'Show this list (outside text fields and editors)', where: 'everywhere' },
  { keys: 'Escape', does: 'Close the open dialog', where: 'dialogs' },
];

/** Adds a shortcut to the list the help dialog shows (once per `keys` + `where`). */
export function registerShortcut(s: Shortcut) {
  if (!shortcuts.some((x) => x.keys === s.keys && x.where === s.where)) shortcuts.push(s);
}

/**
 * Whether `e` is the combination `combo` ("Ctrl+Shift+F", "Alt+3", "Ctrl+Enter"):
 * the named modifiers exactly (Ctrl also accepts Cmd on macOS), then the key.
 */
export function matches(e: KeyboardEvent, combo: string): boolean {
  const parts = combo.split('+');
  const key = parts.pop() ?? '';
  const mods = new Set(parts.map((p) => p.toLowerCase()));
  if (mods.has('ctrl') !== (e.ctrlKey || e.metaKey)) return false;
  if (mods.has('shift') !== e.shiftKey) return false;
  if (mods.has('alt') !== e.altKey) return false;
  if (key.length === 1 && /[0-9]/.test(key)) return e.code === `Digit${key}` || e.key === key;
  return e.key.toLowerCase() === key.toLowerCase();
}

/** Whether the key went to a text field or an editor (where `?` is just a character). */
export function inTextInput(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return (
    t.isContentEditable ||
    t.closest('input, textarea, select, [contenteditable="true"], .cm-editor') !== null
  );
}
