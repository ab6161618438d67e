import { componentStatuses, incidentStatuses } from '../../../db/schema/enums.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  cancelScheduledUpdate,
  editScheduledUpdate,
} from '../../domain/incidents/edit-scheduled-update.ts';
import {
  holdingMinutes,
  postHoldingUpdate,
  setAutoHolding,
} from '../../domain/incidents/holding-update.ts';
import {
  editScheduledUpdateInput,
  scheduleIncidentInput,
  scheduleIncidentUpdateInput,
} from '../../domain/incidents/inputs.ts';
import { holdingBody, promiseState } from '../../domain/incidents/promise.ts';
import {
  scheduleIncident,
  scheduleIncidentUpdate,
} from '../../domain/incidents/schedule-update.ts';
import {
  readPromiseReport,
  readScheduledPublished,
  readScheduledUpdate,
  readScheduledUpdates,
} from '../../domain/incidents/scheduled-views.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import { completeMaintenance } from '../../domain/maintenance/complete-maintenance.ts';
import { extendMaintenance } from '../../domain/maintenance/extend-maintenance.ts';
import {
  readAdminMaintenance,
  readMaintenanceList,
} from '../../domain/maintenance/maintenance-views.ts';
import {
  scheduleMaintenance,
  scheduleMaintenanceInput,
} from '../../domain/maintenance/schedule-maintenance.ts';
import { startMaintenance } from '../../domain/maintenance/start-maintenance.ts';
import {
  switchMaintenanceOff,
  switchMaintenanceOn,
} from '../../domain/settings/switch-maintenance.ts';
import { NotFoundError, ValidationError } from '../../domain/shared/errors.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import {
  checkbox,
  FieldErrors,
  type FormOutcome,
  type FormValues,
  formValues,
  dateField,
  intField,
  list,
  optional,
  runForm,
  str,
  pageZone,
} from './form.ts';
import { declareFields, priorityField, promise, updateFields } from './incidents.ts';
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

/** When a scheduled update or incident goes out, in the page's zone. */
function scheduledForField(values: FormValues, fe: FieldErrors, zone: string): Date | undefined {
  return fe.take<Date | undefined>(() => dateField(values, 'scheduledFor', zone), undefined);
}

async function postScheduledUpdate(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  return runForm(values, async () => {
    const fe = new FieldErrors();
    const zone = await pageZone(deps);
    const input = {
      incidentId,
      ...updateFields(values, fe),
      notify: values.notify === undefined ? undefined : checkbox(values, 'notify'),
      scheduledFor: scheduledForField(values, fe, zone),
      ...fe.take(() => promise(values, zone), {}),
    };
    const row = await scheduleIncidentUpdate(
      deps,
      fe.parse(scheduleIncidentUpdateInput, input),
      session.actor,
    );
    return `/admin/scheduled?done=scheduled#u-${row.id}`;
  });
}

async function postScheduledIncident(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  return runForm(values, async () => {
    const fe = new FieldErrors();
    const zone = await pageZone(deps);
    const input = {
      ...declareFields(values, fe, zone),
      autoHolding: checkbox(values, 'autoHolding'),
      scheduledFor: scheduledForField(values, fe, zone),
    };
    const { update } = await scheduleIncident(
      deps,
      fe.parse(scheduleIncidentInput, input),
      session.actor,
    );
    return `/admin/scheduled?done=scheduled#u-${update.id}`;
  });
}

/** The edit page's two forms, told apart by `_action`: save or cancel. */
async function postScheduledAction(
  deps: Deps,
  session: ActiveSession,
  updateId: string,
  form: FormData,
): Promise<FormOutcome> {
  const actor = session.actor;
  const values = formValues(form);
  const action = str(values, '_action');
  return runForm(values, async () => {
    if (action === 'cancel') {
      await cancelScheduledUpdate(deps, { updateId }, actor);
      return '/admin/scheduled?done=cancelled';
    }
    if (action !== 'save')
      throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
    const fe = new FieldErrors();
    const zone = await pageZone(deps);
    const input = {
      updateId,
      ...updateFields(values, fe),
      notify: checkbox(values, 'notify'),
      scheduledFor: scheduledForField(values, fe, zone),
      title: optional(values, 'title'),
      priority: priorityField(values, fe),
    };
    await editScheduledUpdate(deps, fe.parse(editScheduledUpdateInput, input), actor);
    return `/admin/scheduled/${updateId}?done=saved`;
  });
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

async function postHolding(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  return runForm(values, async () => {
    const minutes = intField(values, 'nextUpdateInMinutes', 'must be a number of minutes');
    await postHoldingUpdate(deps, { incidentId, nextUpdateInMinutes: minutes }, session.actor);
    return `/admin/incidents/${incidentId}?done=holding`;
  });
}

async function readPromises(deps: Deps, incidentId: string) {
  const found = await readPromiseReport(deps.db, incidentId, deps.clock.now());
  return found ? { ...found, tz: await pageZone(deps) } : null;
}

async function postAutoHolding(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  return runForm(values, async () => {
    await setAutoHolding(
      deps,
      { incidentId, autoHolding: checkbox(values, 'autoHolding') },
      session.actor,
    );
    return `/admin/incidents/${incidentId}/promises?done=auto`;
  });
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

async function postMaintenance(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  return runForm(values, async () => {
    const fe = new FieldErrors();
    const zone = await pageZone(deps);
    const input = {
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
      notifyReminder: checkbox(values, 'notifyReminder'),
      notifyOnStart: checkbox(values, 'notifyOnStart'),
      notifyOnComplete: checkbox(values, 'notifyOnComplete'),
      reminderLeadMinutes:
        fe.take(
          () => intField(values, 'reminderLeadMinutes', 'must be a number of minutes'),
          undefined,
        ) ?? 60,
      autoStart: checkbox(values, 'autoStart'),
      autoComplete: checkbox(values, 'autoComplete'),
    };
    const row = await scheduleMaintenance(
      deps,
      fe.parse(scheduleMaintenanceInput, input),
      session.actor,
    );
    return `/admin/maintenance/${row.id}?done=scheduled`;
  });
}

/** The window page's forms: start now, extend, complete now. */
async function postMaintenanceAction(
  deps: Deps,
  session: ActiveSession,
  id: string,
  form: FormData,
): Promise<FormOutcome> {
  const actor = session.actor;
  const values = formValues(form);
  const action = str(values, '_action');
  return runForm(values, async () => {
    const body = optional(values, 'body');
    if (action === 'start') await startMaintenance(deps, { maintenanceId: id, body }, actor);
    else if (action === 'complete')
      await completeMaintenance(deps, { maintenanceId: id, body }, actor);
    else if (action === 'extend') {
      const until = dateField(values, 'scheduledUntil', await pageZone(deps), 'pick the new end');
      await extendMaintenance(deps, { maintenanceId: id, scheduledUntil: until, body }, actor);
    } else throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
    return `/admin/maintenance/${id}?done=${action}`;
  });
}

// The maintenance switch

async function readMaintenanceSwitch(deps: Deps) {
  return {
    tz: await pageZone(deps),
    now: deps.clock.now(),
    state: await deps.reader.maintenanceSwitch(),
  };
}

async function postSwitchAction(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const actor = session.actor;
  const values = formValues(form);
  const action = str(values, '_action');
  return runForm(values, async () => {
    if (action === 'off') {
      await switchMaintenanceOff(deps, {}, actor);
      return '/admin/switch?done=off';
    }
    const zone = await pageZone(deps);
    const untilText = optional(values, 'until');
    const until = untilText ? dateField(values, 'until', zone) : undefined;
    await switchMaintenanceOn(deps, { message: str(values, 'message'), until }, actor);
    return '/admin/switch?done=on';
  });
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
