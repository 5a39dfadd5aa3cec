// What the Test bench's form held when the view was left, so that coming
// back to it finds the request as it was (the view itself is remade on
// each visit). Kept for the app's session only.

import type { BenchResult } from './bindings';

/** The form's values (see views/TestBench.svelte). */
export interface BenchForm {
  version: string;
  agent: string;
  otherIdentity: string;
  action: string;
  resourceType: string;
  resourceId: string;
  onBehalfOf: string;
  ts: string;
  text: Record<string, string>;
  checked: Record<string, boolean>;
  include: Record<string, boolean>;
  result: BenchResult | null;
}

/** The last form, or null before the bench was first used. */
export const benchForm: { saved: BenchForm | null } = { saved: null };
