import type { ActiveSession } from '../../domain/auth/sessions.ts';
import type { Deps } from '../../deps.ts';
import { readDrills, readDrillScorecard } from '../../domain/drills/drill-views.ts';
import { reportOps } from '../../routes/reports.ts';
import { readComponentChoices } from '../../domain/subscribers/subscriber-reads.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import {
  dateField,
  formAction,
  type FormOutcome,
  formValues,
  list,
  runFormAction,
  str,
} from './form.ts';
import { priorityChoices } from './templates.ts';

/** Drills for signed-in staff: the list, the schedule form (admins), the scorecard. */
export function createDrillAdmin(deps: Deps, session: ActiveSession) {
  return {
    priorities: priorityChoices,
    list: () => readDrills(deps.db),
    scorecard: (id: string) => readDrillScorecard(deps.db, id, deps.clock.now()),
    async options() {
      return {
        components: await readComponentChoices(deps.db),
        users: await listActiveUsers(deps),
        tz: (await deps.reader.page()).time_zone,
      };
    },
    schedule: (form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        session.actor,
        formAction(
          reportOps.scheduleDrill,
          async (values) => {
            const p = str(values, 'priority');
            const plan = {
              title: str(values, 'title'),
              scenario: str(values, 'scenario'),
              priority: /^[0-3]$/.test(p) ? Number(p) : Number.NaN,
              componentIds: list(values, 'componentIds'),
              participantIds: list(values, 'participantIds'),
            };
            // "Start now" needs no time typed: the drill is declared at once.
            if (str(values, '_action') === 'now') return plan;
            const tz = (await deps.reader.page()).time_zone;
            const at = dateField(
              values,
              'scheduledFor',
              tz,
              'pick a date and time, or start it now',
            );
            return { ...plan, scheduledFor: at.toISOString() };
          },
          // Started now, the PM lands on the drill incident.
          (r, values) =>
            r.incidentId
              ? `/admin/incidents/${r.incidentId}?done=drill-started`
              : `/admin/drills/${r.drill.id}${str(values, '_action') === 'now' ? '' : '?done=scheduled'}`,
        ),
        formValues(form),
      ),
  };
}
