import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { parseInput } from '../shared/parse.ts';
import { closingSupportScript, saveSupportScript } from '../support/support-script.ts';
import { type ResolveIncidentInput, resolveIncidentInput } from './inputs.ts';
import { loadIncident } from './load-incident.ts';
import { postIncidentUpdate } from './post-incident-update.ts';

/**
 * The official all-clear: a resolving update that thanks people for their patience. The support
 * script becomes its closing version first (the one given, else the closing template), so the
 * all-clear's internal mail and chat post never carry "our team is working on it right now".
 */
export async function resolveIncident(deps: DomainDeps, raw: ResolveIncidentInput, actor: Actor) {
  const { supportScript, ...input } = parseInput(resolveIncidentInput, raw);
  const incident = await loadIncident(deps.db, input.incidentId);
  if (incident.status !== 'resolved')
    await saveSupportScript(
      deps,
      {
        incidentId: incident.id,
        body: supportScript ?? closingSupportScript(incident, deps.config.publicUrl),
      },
      actor,
    );
  return postIncidentUpdate(deps, { ...input, status: 'resolved' }, actor);
}
