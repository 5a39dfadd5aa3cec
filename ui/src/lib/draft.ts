// How a drafted project's report reads in the window: a grant's principals
// and resources in words (as `writ draft` prints them), and the next step
// of each review note said as the window's actions.
import type { DraftEntityScope, DraftFinding, DraftGrant, DraftNextStep } from './api';

/** Who a grant covers: the listed ids, or "any T (N seen)" when widened. */
export function principalsText(p: DraftEntityScope): string {
  return p.kind === 'listed' ? p.ids.join(', ') : `any ${p.entity_type} (${p.seen} seen)`;
}

/** What a grant covers: "the tool", "N Type", or "any T (N seen)" when widened. */
export function resourcesText(g: DraftGrant): string {
  const r: DraftEntityScope = g.resources;
  if (r.kind === 'any_of') return `any ${r.entity_type} (${r.seen} seen)`;
  if (r.entity_type === 'Tool' && r.ids.length === 1 && r.ids[0] === g.tool) return 'the tool';
  return `${r.ids.length} ${r.entity_type}`;
}

/** The listed resource ids of a grant, for a tooltip ('' when widened). */
export function resourceIds(g: DraftGrant): string {
  return g.resources.kind === 'listed' ? g.resources.ids.join(', ') : '';
}

/** What a person can do about a review note, in the window's words. */
const NEXT_STEPS: Record<DraftNextStep, string> = {
  keep_or_mark_plain: 'keep the forbid, or mark the tool “plain” and draft again to grant it outright',
  narrow_or_raise_limit:
    'list what it should cover, or raise the limit if the open scope is meant (once saved, Findings over this trace set shows the unused grants)',
  map_identity: "map it to a workload identity in a profile's [identities] and “Re-map…” the set",
  add_workload_identity: 'add its SPIFFE ID or OIDC subject to the inventory',
};

/** A review note of the draft with its next step. */
export function noteText(f: DraftFinding): string {
  return `${f.message}; ${NEXT_STEPS[f.next]}`;
}

/** A message's `backticked` spans as code, the rest as text. */
export function codeParts(text: string): { code: boolean; text: string }[] {
  return text
    .split('`')
    .map((t, k) => ({ code: k % 2 === 1, text: t }))
    .filter((p) => p.text !== '');
}
