import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import {
  closingSupportScript,
  readSupportScript,
  saveSupportScript,
} from '../../domain/support/support-script.ts';
import { type FormOutcome, formValues, runForm, str } from './form.ts';

/** The support script on the internal incident view, and its edit form. */
export function createSupportScriptAdmin(deps: Deps, session: ActiveSession) {
  return {
    read: (incidentId: string) => readSupportScript(deps.db, incidentId, deps.config.publicUrl),
    /** What the resolve form offers for the all-clear's script. */
    closing: (incident: { id: string; title: string }) =>
      closingSupportScript(incident, deps.config.publicUrl),
    async save(incidentId: string, form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        await saveSupportScript(deps, { incidentId, body: str(values, 'body') }, session.actor);
        return `/admin/incidents/${incidentId}?done=support`;
      });
    },
  };
}
