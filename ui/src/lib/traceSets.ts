// Checks on a new trace set's name shown as the user types (the store
// checks them again: `writ_store::traces::check_set_name`).

/** Why `name` cannot name a new trace set among `existing`, or ''. */
export function setNameProblem(name: string, existing: string[]): string {
  const n = name.trim();
  if (!n) return 'Give the trace set a name.';
  if ([...n].length > 100) return 'The name is longer than 100 characters.';
  if (/^[0-9]+$/.test(n)) return 'A name of digits only would be read as a set id.';
  if (existing.includes(n)) return `A trace set named “${n}” exists already.`;
  return '';
}
