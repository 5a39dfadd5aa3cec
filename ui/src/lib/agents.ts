// Agent labels: an inventory agent's name for its id or any of its
// identities, so that tables show "Support Bot" and keep the identity on
// hover. One lookup per version, cached.
import { agentNames, type AgentLabel } from './api';

/** Looks up an agent by inventory id or identity. */
export type AgentLookup = Map<string, AgentLabel>;

const cache = new Map<string, Promise<AgentLookup>>();

/** The lookup of `version`'s agents (empty when they cannot be read). */
export function agentLookup(version: string): Promise<AgentLookup> {
  let found = cache.get(version);
  if (!found) {
    found = agentNames(version)
      .then((labels) => {
        const m: AgentLookup = new Map();
        for (const l of labels) {
          m.set(l.id, l);
          for (const i of l.identities) m.set(i, l);
        }
        return m;
      })
      .catch(() => {
        cache.delete(version);
        return new Map();
      });
    cache.set(version, found);
  }
  return found;
}
