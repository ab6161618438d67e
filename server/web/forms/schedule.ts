import { componentStatuses, incidentStatuses } from '../../../db/schema/enums.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { holdingMinutes } from '../../domain/incidents/holding-update.ts';
import { holdingBody, promiseState } from '../../domain/incidents/promise.ts';
import {
  readPromiseReport,
  readScheduledPublished,
  readScheduledUpdate,
  readScheduledUpdates,
} from '../../domain/incidents/scheduled-views.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import {
  readAdminMaintenance,
  readMaintenanceList,
} from '../../domain/maintenance/maintenance-views.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import { incidentOps } from '../../routes/incidents.ts';
import { maintenanceOps } from '../../routes/maintenance.ts';
import { scheduledUpdateOps } from '../../routes/scheduled-updates.ts';
import {
  checkbox,
  FieldErrors,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  dateField,
  intField,
  list,
  optional,
  runFormAction,
  runFormActions,
  str,
  pageZone,
} from './form.ts';
import {
  audienceTextFields,
  declareFields,
  priorityField,
  promise,
  translationFields,
  updateFields,
} from './incidents.ts';
import { priorityChoices } from './templates.ts';
import { toZonedLocal } from '../../domain/shared/zoned-time.ts';

const DAY = 24 * 60 * 60_000;

async function componentChoices(deps: Deps) {
  return (await deps.reader.components()).components;
}

// Scheduled updates and incidents

async function readScheduledList(deps: Deps) {
  const now = deps.clock.now();
  return {
    tz: await pageZone(deps),
    now,
    scheduled: await readScheduledUpdates(deps.db),
    recent: await readScheduledPublished(deps.db, new Date(now.getTime() - 7 * DAY)),
  };
}

/** Scheduled updates that went out late in the last day: the dashboard tells the admin. */
async function readLateNotices(deps: Deps) {
  const since = new Date(deps.clock.now().getTime() - DAY);
  return (await readScheduledPublished(deps.db, since)).filter((u) => u.late);
}

async function readScheduledUpdatePage(deps: Deps, id: string) {
  const found = await readScheduledUpdate(deps.db, id);
  if (!found) return null;
  return { ...found, tz: await pageZone(deps), allComponents: await componentChoices(deps) };
}

async function readScheduleOptions(deps: Deps, session: ActiveSession, incidentId: string | null) {
  const incident = incidentId
    ? await loadIncident(deps.db, incidentId).catch((e) =>
        e instanceof NotFoundError ? null : Promise.reject(e),
      )
    : null;
  return {
    incident,
    tz: await pageZone(deps),
    now: deps.clock.now(),
    components: await componentChoices(deps),
    users: await listActiveUsers(deps),
    me: session.user.id,
  };
}

/**
 * What every scheduled form carries beside its own fields (schedule an update, schedule an
 * incident, edit a scheduled one): the texts for named audiences and in other languages, and
 * when it goes out, typed in the page's zone.
 */
function scheduledTexts(values: FormValues, fe: FieldErrors, zone: string) {
  return {
    audienceTexts: audienceTextFields(values),
    translations: translationFields(values),
    scheduledFor: fe.take<Date | undefined>(
      () => dateField(values, 'scheduledFor', zone),
      undefined,
    ),
  };
}

function postScheduledUpdate(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const action = formAction(
    scheduledUpdateOps.scheduleUpdate,
    async (values, fe) => {
      const zone = await pageZone(deps);
      return {
        incidentId,
        ...updateFields(values, fe),
        ...scheduledTexts(values, fe, zone),
        notify: values.notify === undefined ? undefined : checkbox(values, 'notify'),
        ...fe.take(() => promise(values, zone), {}),
      };
    },
    (row) => `/admin/scheduled?done=scheduled#u-${row.id}`,
  );
  return runFormAction(deps, session.actor, action, formValues(form));
}

function postScheduledIncident(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const action = formAction(
    scheduledUpdateOps.scheduleIncident,
    async (values, fe) => {
      const zone = await pageZone(deps);
      return {
        ...declareFields(values, fe, zone),
        ...scheduledTexts(values, fe, zone),
        autoHolding: checkbox(values, 'autoHolding'),
      };
    },
    ({ update }) => `/admin/scheduled?done=scheduled#u-${update.id}`,
  );
  return runFormAction(deps, session.actor, action, formValues(form));
}

/** The edit page's two forms, told apart by `_action`: save or cancel. */
function postScheduledAction(
  deps: Deps,
  session: ActiveSession,
  updateId: string,
  form: FormData,
): Promise<FormOutcome> {
  return runFormActions(
    deps,
    session.actor,
    {
      cancel: formAction(
        scheduledUpdateOps.cancel,
        () => ({ id: updateId }),
        () => '/admin/scheduled?done=cancelled',
      ),
      save: formAction(
        scheduledUpdateOps.edit,
        async (values, fe) => {
          const zone = await pageZone(deps);
          return {
            updateId,
            ...updateFields(values, fe),
            // The form shows every audience's box: an emptied one goes back to the public text.
            ...scheduledTexts(values, fe, zone),
            notify: checkbox(values, 'notify'),
            title: optional(values, 'title'),
            priority: priorityField(values, fe),
          };
        },
        () => `/admin/scheduled/${updateId}?done=saved`,
      ),
    },
    formValues(form),
  );
}

// The promise

async function readHoldingPage(deps: Deps, incidentId: string) {
  const incident = await loadIncident(deps.db, incidentId).catch((e) =>
    e instanceof NotFoundError ? null : Promise.reject(e),
  );
  if (!incident) return null;
  const now = deps.clock.now();
  const minutes = await holdingMinutes(deps, incident.priority);
  return {
    incident,
    tz: await pageZone(deps),
    promise: promiseState(incident, now),
    now,
    holding: { body: holdingBody(incident.status, minutes), minutes },
  };
}

function postHolding(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const action = formAction(
    incidentOps.holding,
    (values) => ({
      incidentId,
      nextUpdateInMinutes: intField(values, 'nextUpdateInMinutes', 'must be a number of minutes'),
    }),
    () => `/admin/incidents/${incidentId}?done=holding`,
  );
  return runFormAction(deps, session.actor, action, formValues(form));
}

async function readPromises(deps: Deps, incidentId: string) {
  const found = await readPromiseReport(deps.db, incidentId, deps.clock.now());
  return found ? { ...found, tz: await pageZone(deps) } : null;
}

function postAutoHolding(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const action = formAction(
    incidentOps.autoHolding,
    (values) => ({ incidentId, autoHolding: checkbox(values, 'autoHolding') }),
    () => `/admin/incidents/${incidentId}/promises?done=auto`,
  );
  return runFormAction(deps, session.actor, action, formValues(form));
}

// Maintenance windows

async function readMaintenanceListPage(deps: Deps) {
  return {
    tz: await pageZone(deps),
    now: deps.clock.now(),
    ...(await readMaintenanceList(deps.db)),
    components: await componentChoices(deps),
  };
}

async function readMaintenancePage(deps: Deps, id: string) {
  const found = await readAdminMaintenance(deps.db, id);
  return found ? { ...found, tz: await pageZone(deps), now: deps.clock.now() } : null;
}

function postMaintenance(deps: Deps, session: ActiveSession, form: FormData): Promise<FormOutcome> {
  const action = formAction(
    maintenanceOps.schedule,
    async (values, fe) => {
      const zone = await pageZone(deps);
      return {
        title: str(values, 'title'),
        description: str(values, 'description'),
        scheduledFor: fe.take<Date | undefined>(
          () => dateField(values, 'scheduledFor', zone),
          undefined,
        ),
        scheduledUntil: fe.take<Date | undefined>(
          () => dateField(values, 'scheduledUntil', zone),
          undefined,
        ),
        componentIds: list(values, 'componentIds'),
        notify: checkbox(values, 'notify'),
        notifyOnSchedule: checkbox(values, 'notifyOnSchedule'),
        notifyOnStart: checkbox(values, 'notifyOnStart'),
        notifyReminder: checkbox(values, 'notifyReminder'),
        notifyOnComplete: checkbox(values, 'notifyOnComplete'),
        reminderLeadMinutes:
          fe.take(
            () => intField(values, 'reminderLeadMinutes', 'must be a number of minutes'),
            undefined,
          ) ?? 60,
        autoStart: checkbox(values, 'autoStart'),
        autoComplete: checkbox(values, 'autoComplete'),
      };
    },
    (row) => `/admin/maintenance/${row.id}?done=scheduled`,
  );
  return runFormAction(deps, session.actor, action, formValues(form));
}

/** The window page's forms: start now, extend, complete now; cancel or move a planned one. */
function postMaintenanceAction(
  deps: Deps,
  session: ActiveSession,
  id: string,
  form: FormData,
): Promise<FormOutcome> {
  const step = (values: FormValues) => ({ maintenanceId: id, body: optional(values, 'body') });
  const done = (values: FormValues) => `/admin/maintenance/${id}?done=${str(values, '_action')}`;
  return runFormActions(
    deps,
    session.actor,
    {
      start: formAction(maintenanceOps.start, step, (_r, values) => done(values)),
      complete: formAction(maintenanceOps.complete, step, (_r, values) => done(values)),
      cancel: formAction(maintenanceOps.cancel, step, (_r, values) => done(values)),
      move: formAction(
        maintenanceOps.move,
        async (values, fe) => {
          // The same zoned-time rules as the schedule form: typed in the page's zone.
          const zone = await pageZone(deps);
          return {
            ...step(values),
            scheduledFor: fe.take<Date | undefined>(
              () => dateField(values, 'scheduledFor', zone, 'pick the new start'),
              undefined,
            ),
            scheduledUntil: fe.take<Date | undefined>(
              () => dateField(values, 'scheduledUntil', zone, 'pick the new end'),
              undefined,
            ),
          };
        },
        (_r, values) => done(values),
      ),
      extend: formAction(
        maintenanceOps.extend,
        async (values) => ({
          ...step(values),
          scheduledUntil: dateField(
            values,
            'scheduledUntil',
            await pageZone(deps),
            'pick the new end',
          ),
        }),
        (_r, values) => done(values),
      ),
    },
    formValues(form),
  );
}

// The maintenance switch

async function readMaintenanceSwitch(deps: Deps) {
  return {
    tz: await pageZone(deps),
    now: deps.clock.now(),
    state: await deps.reader.maintenanceSwitch(),
  };
}

function postSwitchAction(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  const off = formAction(
    maintenanceOps.switchOff,
    () => ({ id: '' }),
    () => '/admin/switch?done=off',
  );
  const on = formAction(
    maintenanceOps.switchOn,
    async (values) => {
      const untilText = optional(values, 'until');
      const until = untilText ? dateField(values, 'until', await pageZone(deps)) : undefined;
      return { message: str(values, 'message'), until };
    },
    () => '/admin/switch?done=on',
  );
  return runFormAction(deps, session.actor, str(values, '_action') === 'off' ? off : on, values);
}

/**
 * The admin's side of everything on the clock: scheduled updates and incidents, the promise
 * (holding update page, automatic holding switch, promise report), maintenance windows and the
 * maintenance switch. Reads for the pages, and form handlers that call the domain verbs.
 */
export function createTimeAdmin(deps: Deps, session: ActiveSession) {
  return {
    incidentStatuses,
    componentStatuses,
    priorities: priorityChoices,
    toLocal: toZonedLocal,

    // Scheduled updates and incidents
    scheduledList: () => readScheduledList(deps),
    lateNotices: () => readLateNotices(deps),
    scheduledUpdate: (id: string) => readScheduledUpdatePage(deps, id),
    scheduleOptions: (incidentId: string | null) => readScheduleOptions(deps, session, incidentId),
    scheduleUpdate: (incidentId: string, form: FormData) =>
      postScheduledUpdate(deps, session, incidentId, form),
    scheduleIncident: (form: FormData) => postScheduledIncident(deps, session, form),
    actOnScheduled: (updateId: string, form: FormData) =>
      postScheduledAction(deps, session, updateId, form),

    // The promise
    holdingPage: (incidentId: string) => readHoldingPage(deps, incidentId),
    postHolding: (incidentId: string, form: FormData) =>
      postHolding(deps, session, incidentId, form),
    promises: (incidentId: string) => readPromises(deps, incidentId),
    setAutoHolding: (incidentId: string, form: FormData) =>
      postAutoHolding(deps, session, incidentId, form),

    // Maintenance windows
    maintenanceList: () => readMaintenanceListPage(deps),
    maintenance: (id: string) => readMaintenancePage(deps, id),
    scheduleMaintenance: (form: FormData) => postMaintenance(deps, session, form),
    actOnMaintenance: (id: string, form: FormData) =>
      postMaintenanceAction(deps, session, id, form),

    // The maintenance switch
    maintenanceSwitch: () => readMaintenanceSwitch(deps),
    actOnSwitch: (form: FormData) => postSwitchAction(deps, session, form),
  };
}
