import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import {
  readRunbook,
  readRunbookIndex,
  readRunbooks,
} from '../../domain/runbooks/runbook-views.ts';
import { reportOps } from '../../routes/reports.ts';
import { formAction, type FormOutcome, formValues, runFormAction, str } from './form.ts';

/** Runbooks for signed-in staff: the index, one runbook with its history, and the edit form. */
export function createRunbookAdmin(deps: Deps, session: ActiveSession) {
  const now = () => deps.clock.now();
  return {
    index: () => readRunbookIndex(deps.db, now()),
    one: (componentId: string) => readRunbook(deps.db, componentId, now()),
    /** The runbooks of these components, or of every component (the declare form without JS). */
    forComponents: (ids: string[] | null) => readRunbooks(deps.db, ids, now()),
    save: (componentId: string, form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        session.actor,
        formAction(
          reportOps.saveRunbook,
          (values) => ({ componentId, body: str(values, 'body') }),
          () => `/admin/runbooks/${componentId}?done=saved`,
        ),
        formValues(form),
      ),
  };
}
