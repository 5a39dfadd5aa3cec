// How a drafted project's report reads in the window: a grant's principals
// and resources in words (as `writ draft` prints them), and the library's
// review notes with their command-line hints said as the window's actions.
import type { DraftGrant, DraftPrincipals, DraftResources } from './api';

/** Who a grant covers: the listed ids, or "any T (N seen)" when widened. */
export function principalsText(p: DraftPrincipals): string {
  return p.kind === 'listed' ? p.ids.join(', ') : `any ${p.entity_type} (${p.seen} seen)`;
}

/** What a grant covers: "the tool", "N Type", or "any T (N seen)" when widened. */
export function resourcesText(g: DraftGrant): string {
  const r: DraftResources = g.resources;
  if (r.kind === 'any_of') return `any ${r.entity_type} (${r.seen} seen)`;
  if (r.entity_type === 'Tool' && r.ids.length === 1 && r.ids[0] === g.tool) return 'the tool';
  return `${r.ids.length} ${r.entity_type}`;
}

/** The listed resource ids of a grant, for a tooltip ('' when widened). */
export function resourceIds(g: DraftGrant): string {
  return g.resources.kind === 'listed' ? g.resources.ids.join(', ') : '';
}

// The command-line hints of the library's review notes, and what the
// window offers instead. A hint not found here is shown as written.
const HINTS: [string, string][] = [
  ['grant it outright (`--plain`) or keep the forbid', 'mark the tool “plain” and draft again to grant it outright, or keep the forbid'],
  [
    '(`writ findings --project DIR --set SET` shows agents it lets take actions they never took)',
    '(once saved, Findings over this trace set shows agents it lets take actions they never took)',
  ],
  ["with a profile's [identities] and `writ traces remap`", "with a profile's [identities] and “Re-map…”"],
];

/** A review note of the draft with its command-line hints in the window's words. */
export function noteText(message: string): string {
  return HINTS.reduce((m, [cli, app]) => m.replace(cli, app), message);
}

/** A message's `backticked` spans as code, the rest as text. */
export function codeParts(text: string): { code: boolean; text: string }[] {
  return text
    .split('`')
    .map((t, k) => ({ code: k % 2 === 1, text: t }))
    .filter((p) => p.text !== '');
}
