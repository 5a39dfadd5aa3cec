// Whole-policy highlighting for the CodeMirror editor: a state field of
// mark and line decorations, replaced by an effect, with the active policy
// scrolled to the middle of the view.
import { StateEffect, StateField, type Range } from '@codemirror/state';
import { Decoration, EditorView, type DecorationSet } from '@codemirror/view';

/** One policy to mark: its range in editor positions (UTF-16) and id. */
export interface PolicyHighlight {
  from: number;
  to: number;
  id: string;
  /** The one being looked at (stronger mark, scrolled into view). */
  active: boolean;
}

const setHighlights = StateEffect.define<PolicyHighlight[]>();

function decorations(list: PolicyHighlight[], docLength: number, lineAt: (pos: number) => { from: number; to: number; number: number }, line: (n: number) => { from: number }) {
  const ranges: Range<Decoration>[] = [];
  for (const h of list) {
    const from = Math.max(0, Math.min(h.from, docLength));
    const to = Math.max(from, Math.min(h.to, docLength));
    if (to <= from) continue;
    const cls = h.active ? 'cm-policy-highlight cm-policy-active' : 'cm-policy-highlight';
    ranges.push(Decoration.mark({ class: cls, attributes: { 'data-policy': h.id } }).range(from, to));
    const first = lineAt(from).number;
    const last = lineAt(to).number;
    for (let n = first; n <= last; n++) {
      ranges.push(
        Decoration.line({ class: h.active ? 'cm-policy-line cm-policy-line-active' : 'cm-policy-line' }).range(line(n).from),
      );
    }
  }
  return Decoration.set(ranges, true);
}

/** The field holding the marks; add it to the editor's extensions. */
export const policyHighlights = [
  StateField.define<DecorationSet>({
    create: () => Decoration.none,
    update(deco, tr) {
      deco = deco.map(tr.changes);
      for (const e of tr.effects) {
        if (e.is(setHighlights)) {
          const doc = tr.state.doc;
          deco = decorations(e.value, doc.length, (p) => doc.lineAt(p), (n) => doc.line(n));
        }
      }
      return deco;
    },
    provide: (f) => EditorView.decorations.from(f),
  }),
  EditorView.baseTheme({
    '.cm-policy-highlight': { backgroundColor: 'color-mix(in srgb, var(--hl-meta) 14%, transparent)' },
    '.cm-policy-active': { backgroundColor: 'color-mix(in srgb, var(--hl-meta) 26%, transparent)' },
    '.cm-policy-line': { boxShadow: 'inset 3px 0 0 color-mix(in srgb, var(--hl-meta) 50%, transparent)' },
    '.cm-policy-line-active': { boxShadow: 'inset 3px 0 0 var(--hl-meta)' },
  }),
];

/** Replaces the marks in `view` and scrolls the active one (or the first) to the middle. */
export function showHighlights(view: EditorView, list: PolicyHighlight[]) {
  const focus = list.find((h) => h.active) ?? list[0];
  const len = view.state.doc.length;
  view.dispatch({ effects: setHighlights.of(list) });
  if (!focus) return;
  // Again after layout: the editor may just have been made visible.
  const scroll = () =>
    view.dispatch({ effects: EditorView.scrollIntoView(Math.min(focus.from, len), { y: 'start', yMargin: 40 }) });
  scroll();
  requestAnimationFrame(() => {
    // The editor may be gone (another file or view) by then.
    if (view.dom.isConnected && view.state.doc.length === len) scroll();
  });
}
