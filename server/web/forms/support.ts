import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import {
  readClosingSupportScript,
  readSupportScript,
} from '../../domain/support/support-script.ts';
import { reportOps } from '../../routes/reports.ts';
import { formAction, type FormOutcome, formValues, runFormAction, str } from './form.ts';

/** The support script on the internal incident view, and its edit form. */
export function createSupportScriptAdmin(deps: Deps, session: ActiveSession) {
  return {
    read: (incidentId: string) => readSupportScript(deps.db, incidentId, deps.config.publicUrl),
    /** What the resolve form offers for the all-clear's script. */
    closing: (incidentId: string) =>
      readClosingSupportScript(deps.db, incidentId, deps.config.publicUrl),
    save: (incidentId: string, form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        session.actor,
        formAction(
          reportOps.saveSupportScript,
          (values) => ({ incidentId, body: str(values, 'body') }),
          () => `/admin/incidents/${incidentId}?done=support`,
        ),
        formValues(form),
      ),
  };
}
