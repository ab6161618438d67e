import type { Actor } from '../shared/actor.ts';
import type { DomainDeps } from '../shared/deps.ts';
import { type Parsed, runParsed, verb } from '../shared/verb.ts';
import {
  closingSupportScript,
  saveSupportScript,
  saveSupportScriptInput,
  withAudienceSlugs,
} from '../support/support-script.ts';
import { resolveIncidentInput } from './inputs.ts';
import { loadIncident } from './load-incident.ts';
import { postIncidentUpdate } from './post-incident-update.ts';

/**
 * The official all-clear: a resolving update that thanks people for their patience. The support
 * script becomes its closing version first (the one given, else the closing template), so the
 * all-clear's internal mail and chat post never carry "our team is working on it right now".
 *
 * Its input is parsed once, here; the steps it is made of run on what that parse gave (their
 * bodies, through `runParsed`), never parsing it again.
 */
export const resolveIncident = verb(resolveIncidentInput, resolveIncidentParsed);
async function resolveIncidentParsed(
  deps: DomainDeps,
  parsed: Parsed<typeof resolveIncidentInput>,
  actor: Actor,
) {
  const { supportScript, ...input } = parsed;
  const incident = await loadIncident(deps.db, input.incidentId);
  if (incident.status !== 'resolved') {
    // The given script was checked by the same rule (`supportScript` in resolveIncidentInput);
    // the closing template is Herald's own text, short by construction.
    const script: Parsed<typeof saveSupportScriptInput> = {
      incidentId: incident.id,
      body:
        supportScript ??
        closingSupportScript(await withAudienceSlugs(deps.db, incident), deps.config.publicUrl),
    };
    await runParsed(saveSupportScript, deps, script, actor);
  }
  return runParsed(
    postIncidentUpdate,
    deps,
    { ...input, status: 'resolved', components: [] },
    actor,
  );
}
