import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { parseInput } from '../shared/parse.ts';
import { type ResolveIncidentInput, resolveIncidentInput } from './inputs.ts';
import { postIncidentUpdate } from './post-incident-update.ts';

/** The official all-clear: a resolving update that thanks people for their patience. */
export async function resolveIncident(deps: DomainDeps, raw: ResolveIncidentInput, actor: Actor) {
  const input = parseInput(resolveIncidentInput, raw);
  return postIncidentUpdate(deps, { ...input, status: 'resolved' }, actor);
}
