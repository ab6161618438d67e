import {
  componentStatuses,
  type ComponentStatus,
  incidentStatuses,
} from '../../../db/schema/enums.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  readActiveIncidents,
  readAdminIncidentList,
  readAdminIncident,
  readRecentUpdates,
  readUpcomingMaintenance,
} from '../../domain/incidents/admin-views.ts';
import { listAudiences } from '../../domain/audiences/manage-audiences.ts';
import { getSettings } from '../../domain/settings/get-settings.ts';
import { countReportFollowers } from '../../domain/reports/report-views.ts';
import { maintenanceOps } from '../../routes/maintenance.ts';
import { runOperation } from '../../routes/operation.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { listActiveUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import {
  checkbox,
  FieldErrors,
  dateField,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  intField,
  list,
  optional,
  runForm,
  runFormActions,
  runRow,
  str,
  pageZone,
} from './form.ts';
import { declareIncidentInput, postIncidentUpdateInput } from '../../domain/incidents/inputs.ts';
import { ALL_CLEAR, messageTemplates, priorityChoices, templateBody } from './templates.ts';
import { holdingMinutes } from '../../domain/incidents/holding-update.ts';
import { incidentOps } from '../../routes/incidents.ts';
import { loadIncident } from '../../domain/incidents/load-incident.ts';
import {
  defaultPromiseMinutes,
  holdingBody,
  isBroadcastPriority,
  type PromiseDefaults,
  readPromiseDefaults,
} from '../../domain/incidents/promise.ts';
import { emailPreviewForm } from './broadcasts.ts';
import {
  newIncidentRecipientCounter,
  countUpdateRecipients,
} from '../../domain/broadcasts/enqueue-update-broadcast.ts';
import { countIncidentFollowers } from '../../domain/subscribers/incident-follows.ts';
import { type ListReview, reviewUpdateLists } from '../../domain/broadcasts/review-lists.ts';
import {
  readIncidentFollowers,
  removeIncidentFollower,
} from '../../domain/subscribers/admin-followers.ts';

/** Component status fields are named `component.<id>`; empty means "not affected". */
export function affectedComponents(
  values: FormValues,
): { componentId: string; status: ComponentStatus }[] {
  const out: { componentId: string; status: ComponentStatus }[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (!k.startsWith('component.') || typeof v !== 'string' || v === '') continue;
    if (!(componentStatuses as readonly string[]).includes(v)) {
      throw new ValidationError('components: unknown status', {
        components: `"${v}" is not a component status`,
      });
    }
    out.push({ componentId: k.slice('component.'.length), status: v as ComponentStatus });
  }
  return out;
}

/** The fields of the declare form, shared by declaring now and scheduling an incident. */
/**
 * The fields every update form has (post now, schedule one, edit a scheduled one, declare):
 * the status, the public text, the internal note and the affected components.
 */
export function updateFields(values: FormValues, fe: FieldErrors) {
  return {
    status: optional(values, 'status'),
    body: str(values, 'body'),
    internalNote: optional(values, 'internalNote') ?? null,
    components: fe.take(() => affectedComponents(values), []),
  };
}

/**
 * The PM's own translations from the boxes the settings ask for (`translation.de`, ...); the
 * domain refuses a language it does not speak and drops empty boxes.
 */
export function translationFields(values: FormValues): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const k of Object.keys(values))
    if (k.startsWith('translation.')) out[k.slice('translation.'.length)] = str(values, k);
  return Object.keys(out).length ? out : undefined;
}

/**
 * The texts written for named audiences (`audienceText.<slug>` boxes); an empty box leaves that
 * audience on the public text. The domain refuses an audience that does not exist.
 */
export function audienceTextFields(values: FormValues): { audience: string; body: string }[] {
  const out: { audience: string; body: string }[] = [];
  for (const k of Object.keys(values)) {
    if (!k.startsWith('audienceText.')) continue;
    const body = str(values, k);
    if (body.trim() !== '') out.push({ audience: k.slice('audienceText.'.length), body });
  }
  return out;
}

/**
 * Who may see a new incident: the `seenBy` radio says everyone (the default) or chosen
 * audiences, ticked as `onlyFor` boxes. Choosing audiences and ticking none is left to the
 * domain, which asks for at least one.
 */
export function audienceChoice(values: FormValues): 'everyone' | string[] {
  return str(values, 'seenBy') === 'audiences' ? list(values, 'onlyFor') : 'everyone';
}

/** A priority radio group: 0-3, or a field error. */
export function priorityField(values: FormValues, fe: FieldErrors): number | undefined {
  return fe.take(() => intField(values, 'priority', 'must be 0, 1, 2 or 3'), undefined);
}

export function declareFields(values: FormValues, fe: FieldErrors, zone: string) {
  return {
    title: str(values, 'title'),
    priority: priorityField(values, fe),
    ...updateFields(values, fe),
    status: optional(values, 'status') ?? 'investigating',
    ownerId: optional(values, 'ownerId') ?? null,
    isDrill: checkbox(values, 'isDrill'),
    audiences: audienceChoice(values),
    notify: fe.take(() => notifyChoice(values), undefined),
    ...fe.take(() => promise(values, zone), {}),
  };
}

/** The "next update" radio: 15/30/60 minutes, none, or a time typed in the page's zone. */
export function promise(
  values: FormValues,
  tz: string,
): { nextUpdateInMinutes?: number; nextUpdateAt?: Date } {
  const choice = str(values, 'nextIn');
  if (choice === 'at') {
    return {
      nextUpdateAt: dateField(values, 'nextAt', tz, 'pick a date and time for the next update'),
    };
  }
  if (choice === '' || choice === 'default') return {};
  const n = Number(choice);
  if (!Number.isInteger(n))
    throw new ValidationError('nextIn: choose when the next update comes', {
      nextIn: 'choose 15, 30 or 60 minutes or a time',
    });
  return { nextUpdateInMinutes: n };
}

/**
 * Pressing a template button fills the message (worded for the status, ending with the promise
 * the form has chosen) and shows the form again; nothing is sent.
 */
function applyTemplate(
  values: FormValues,
  ctx: { status: string; priority: number | undefined; defaults: PromiseDefaults },
): FormOutcome | null {
  const id = str(values, 'template');
  if (!id) return null;
  const tpl = templateBody(id, values, ctx);
  if (!tpl) return null;
  const next: FormValues = { ...values, body: tpl.body };
  if (tpl.status) next.status = tpl.status;
  delete next.template;
  return { ok: false, status: 200, message: '', errors: {}, values: next };
}

const NOTIFY = 'must be auto (as the priority says), yes or no';

/**
 * The notify choice. The declare form's radio says auto/yes/no; the update form's checkbox is
 * only meaningful with its `notifyShown` marker (an unticked box sends nothing). Without
 * either, the domain's rule applies: P0/P1 notify, P2/P3 do not. Any other value is refused:
 * whether people get an email is never guessed.
 */
export function notifyChoice(values: FormValues): boolean | undefined {
  const v = str(values, 'notify');
  if (v === 'yes') return true;
  if (v === 'no') return false;
  if (str(values, 'notifyShown')) {
    if (v === '') return false;
    if (checkbox(values, 'notify')) return true;
  } else if (v === '' || v === 'auto') return undefined;
  throw new ValidationError(`notify: ${NOTIFY}`, { notify: NOTIFY });
}

/** A priority field's value as a number, or undefined when none (or nonsense) was picked. */
function pickedPriority(values: FormValues): number | undefined {
  const p = str(values, 'priority');
  return /^[0-3]$/.test(p) ? Number(p) : undefined;
}

/** How the "next update" default reads for a priority, e.g. "P0 default: 15 minutes". */
function defaultPromiseLabel(defaults: PromiseDefaults, priority: number): string {
  const m = defaultPromiseMinutes(defaults, priority);
  return m === undefined ? `P${priority} none` : `P${priority} ${m} min`;
}

/** How many people a P0 and a P1 declaration would mail, for everyone or chosen audiences. */
type DeclareCounts = { p0: number; p1: number };

/**
 * How many people a P0 and a P1 declaration would mail (beside the notify choice): for everyone;
 * for each named audience alone (beside its box under "Who may see it": the form needs no
 * JavaScript, so it cannot add up a choice as it is made); and, when the form comes back with
 * audiences ticked (a refusal, a preview), for exactly that choice.
 */
async function readDeclareRecipients(deps: Deps, values?: FormValues) {
  const counter = await newIncidentRecipientCounter(deps.db);
  const count = async (ids?: string[]): Promise<DeclareCounts> => ({
    p0: await counter(0, ids),
    p1: await counter(1, ids),
  });
  const named = await listAudiences(deps.db);
  const audiences: Record<string, DeclareCounts> = {};
  for (const a of named) audiences[a.slug] = await count([a.id]);
  const choice = values ? audienceChoice(values) : 'everyone';
  const ids =
    choice === 'everyone' ? [] : named.filter((a) => choice.includes(a.slug)).map((a) => a.id);
  return { ...(await count()), audiences, chosen: ids.length ? await count(ids) : null };
}

/** The declare form's "default" choice, spelled out from the settings. */
async function readPromiseDefaultsLabel(deps: Deps) {
  const d = await readPromiseDefaults(deps.db);
  return [0, 1, 2, 3].map((p) => defaultPromiseLabel(d, p)).join(', ');
}

async function readDashboard(deps: Deps) {
  const now = deps.clock.now();
  return {
    tz: await pageZone(deps),
    now,
    incidents: await readActiveIncidents(deps.db, now),
    maintenance: await readUpcomingMaintenance(deps.db),
    updates: await readRecentUpdates(deps.db, 10),
  };
}

/** Everything the declare form offers: components (groups with children) and people. */
async function readDeclareOptions(deps: Deps, session: ActiveSession) {
  const { components } = await deps.reader.components();
  return {
    components,
    users: await listActiveUsers(deps),
    me: session.user.id,
    tz: await pageZone(deps),
  };
}

/** Recent incidents, resolved and drills included, newest first. */
async function readIncidentList(deps: Deps) {
  return { tz: await pageZone(deps), incidents: await readAdminIncidentList(deps.db, 100) };
}

async function readIncidentPage(deps: Deps, id: string) {
  const found = await readAdminIncident(deps.db, id, deps.clock.now());
  if (!found) return null;
  const { components } = await deps.reader.components();
  const people = await listActiveUsers(deps);
  const priority = found.incident.priority;
  const minutes = await holdingMinutes(deps, priority);
  return {
    ...found,
    allComponents: components,
    users: people,
    tz: await pageZone(deps),
    holding: { body: holdingBody(found.incident.status, minutes), minutes },
    recipients: await countUpdateRecipients(deps.db, id),
    followers: await countIncidentFollowers(deps.db, id),
    notifyByDefault: isBroadcastPriority(priority),
    promiseDefault: defaultPromiseLabel(await readPromiseDefaults(deps.db), priority),
  };
}

async function postDeclare(
  deps: Deps,
  session: ActiveSession,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  const tpl = applyTemplate(values, {
    status: optional(values, 'status') ?? 'investigating',
    priority: pickedPriority(values),
    defaults: await readPromiseDefaults(deps.db),
  });
  if (tpl) return tpl;
  const intent = str(values, 'intent');
  if (intent === 'preview' || intent === 'test') {
    return emailPreviewForm(deps, session, values, intent, async () => {
      const fe = new FieldErrors();
      const zone = await pageZone(deps);
      const i = fe.parse(declareIncidentInput, {
        ...declareFields(values, fe, zone),
        translations: translationFields(values),
        audienceTexts: audienceTextFields(values),
      });
      return {
        title: i.title,
        priority: i.priority,
        isDrill: i.isDrill,
        status: i.status,
        body: i.body,
        internalNote: i.internalNote,
        components: i.components,
        notify: i.notify,
        audiences: i.audiences,
        audienceTexts: i.audienceTexts,
        nextUpdateInMinutes: i.nextUpdateInMinutes,
        nextUpdateAt: i.nextUpdateAt,
      };
    });
  }
  return runForm(values, async () => {
    const zone = await pageZone(deps);
    const { incident } = await runRow(
      deps,
      session.actor,
      incidentOps.declare,
      values,
      (v, fe) => ({
        ...declareFields(v, fe, zone),
        translations: translationFields(v),
        audienceTexts: audienceTextFields(v),
      }),
    );
    return `/admin/incidents/${incident.id}?done=declared`;
  });
}

/** The update form's fields as the update operation takes them. */
async function updateFieldsFor(
  deps: Deps,
  incidentId: string,
  values: FormValues,
  fe: FieldErrors,
) {
  const zone = await pageZone(deps);
  return {
    incidentId,
    ...updateFields(values, fe),
    translations: translationFields(values),
    audienceTexts: audienceTextFields(values),
    notify: fe.take(() => notifyChoice(values), undefined),
    ...fe.take(() => promise(values, zone), {}),
  };
}

/** The update form's fields, parsed with the verb's schema (for the email preview). */
async function updateInput(deps: Deps, incidentId: string, values: FormValues) {
  const fe = new FieldErrors();
  return fe.parse(postIncidentUpdateInput, await updateFieldsFor(deps, incidentId, values, fe));
}

/**
 * What the email preview takes of the update form: all of it but the translations (a reader's
 * copy swaps in theirs; the preview shows the text as written). The audiences' own texts go
 * along: their lists' mail reads them, and the preview shows each.
 */
async function updatePreviewInput(deps: Deps, incidentId: string, values: FormValues) {
  const { translations: _t, ...rest } = await updateInput(deps, incidentId, values);
  return rest;
}

/** The incident page's forms by their `_action`. */
function incidentForms(deps: Deps, actor: ActiveSession['actor'], incidentId: string) {
  const page = (done: string) => () => `/admin/incidents/${incidentId}?done=${done}`;
  return {
    // The text follows the incident's status; the promise is the one chosen, else the
    // priority's default.
    holding: formAction(
      incidentOps.holding,
      (values) => {
        const chosen = str(values, 'nextIn');
        return {
          incidentId,
          nextUpdateInMinutes: /^\d{1,4}$/.test(chosen) ? Number(chosen) : undefined,
        };
      },
      page('holding'),
    ),
    update: formAction(
      incidentOps.update,
      (values, fe) => updateFieldsFor(deps, incidentId, values, fe),
      page('updated'),
    ),
    priority: formAction(
      incidentOps.priority,
      (values, fe) => ({
        incidentId,
        priority: priorityField(values, fe),
        reason: str(values, 'reason'),
      }),
      page('priority'),
    ),
    // Widening to everyone, or changing whose an audience-only incident is.
    audiences: formAction(
      incidentOps.audiences,
      (values) => ({ incidentId, audiences: audienceChoice(values) }),
      page('audiences'),
    ),
    owner: formAction(
      incidentOps.owner,
      (values) => ({ incidentId, ownerId: optional(values, 'ownerId') ?? null }),
      page('owner'),
    ),
    resolve: formAction(
      incidentOps.resolve,
      async (values) => {
        // Resolving mails everyone on the lists: say how many and ask once more (no JavaScript
        // needed: the confirmation is the form shown again with a second button).
        // The maintenance switch outlives an all-clear unless someone says so: name it here.
        if (!str(values, 'confirmed')) {
          // The reporters who follow it get the all-clear too: the count is everyone mailed.
          const reporters = await countReportFollowers(deps.db, incidentId);
          const review = await reviewUpdateLists(
            deps.db,
            await loadIncident(deps.db, incidentId),
            'resolved',
          );
          const s = await getSettings(deps.db);
          throw new ConfirmationNeeded(
            review.recipients + reporters,
            s.maintenanceActive ? { message: s.maintenanceMessage } : null,
            { ...review, reporters },
          );
        }
        return {
          incidentId,
          body: str(values, 'body'),
          translations: translationFields(values),
          internalNote: optional(values, 'internalNote') ?? null,
          audienceTexts: audienceTextFields(values),
          ...(optional(values, 'supportScript')
            ? { supportScript: str(values, 'supportScript') }
            : {}),
        };
      },
      async (_r, values) => {
        if (!str(values, 'switchOff')) return `/admin/incidents/${incidentId}?done=resolved`;
        await runOperation(deps, maintenanceOps.switchOff, { id: '' }, actor);
        return `/admin/incidents/${incidentId}?done=resolved-switch-off`;
      },
    ),
    'remove-follower': async (values: FormValues) => {
      await removeIncidentFollower(
        deps,
        { incidentId, followerId: str(values, 'followerId') },
        actor,
      );
      return `/admin/incidents/${incidentId}?done=follower-removed`;
    },
  };
}

/** The incident page's forms, told apart by the `_action` field. */
async function postIncidentAction(
  deps: Deps,
  session: ActiveSession,
  incidentId: string,
  form: FormData,
): Promise<FormOutcome> {
  const values = formValues(form);
  const action = str(values, '_action');
  if (action === 'update' && str(values, 'template')) {
    const incident = await loadIncident(deps.db, incidentId);
    const tpl = applyTemplate(values, {
      status: optional(values, 'status') ?? incident.status,
      priority: incident.priority,
      defaults: await readPromiseDefaults(deps.db),
    });
    if (tpl) return tpl;
  }
  const intent = str(values, 'intent');
  if (
    (intent === 'preview' || intent === 'test') &&
    (action === 'update' || action === 'resolve')
  ) {
    return emailPreviewForm(deps, session, values, intent, async () =>
      action === 'resolve'
        ? {
            incidentId,
            status: 'resolved',
            body: str(values, 'body'),
            internalNote: optional(values, 'internalNote') ?? null,
          }
        : await updatePreviewInput(deps, incidentId, values),
    );
  }
  const outcome = await runFormActions(
    deps,
    session.actor,
    incidentForms(deps, session.actor, incidentId),
    values,
  ).catch((err: unknown) => {
    if (!(err instanceof ConfirmationNeeded)) throw err;
    return {
      ok: false as const,
      status: 200,
      message: '',
      errors: {},
      values,
      confirm: { recipients: err.recipients, switchOn: err.switchOn, review: err.review },
    };
  });
  return outcome;
}

export function createIncidentAdmin(deps: Deps, session: ActiveSession) {
  return {
    templates: messageTemplates,
    priorities: priorityChoices,
    allClear: ALL_CLEAR,
    declareRecipients: (values?: FormValues) => readDeclareRecipients(deps, values),
    promiseDefaultsLabel: () => readPromiseDefaultsLabel(deps),
    statuses: incidentStatuses,
    dashboard: () => readDashboard(deps),
    declareOptions: () => readDeclareOptions(deps, session),
    /** The languages the settings ask a translation box for, besides the default language. */
    async translationLanguages(): Promise<string[]> {
      const s = await getSettings(deps.db);
      return s.translationLanguages.split(',').filter((l) => l && l !== s.defaultLanguage);
    },
    /** The named audiences a PM can write a text of their own for. */
    async audiences(): Promise<{ slug: string; name: string }[]> {
      return (await listAudiences(deps.db)).map((a) => ({ slug: a.slug, name: a.name }));
    },
    list: () => readIncidentList(deps),
    incident: (id: string) => readIncidentPage(deps, id),
    /** Who follows the incident by email: for admins only (null for others). */
    followers: (id: string) =>
      session.actor.role === 'admin' ? readIncidentFollowers(deps, id, session.actor) : null,
    declare: (form: FormData) => postDeclare(deps, session, form),
    act: (incidentId: string, form: FormData) =>
      postIncidentAction(deps, session, incidentId, form),
  };
}

/** Thrown inside a form action that must be confirmed first; never leaves this module. */
class ConfirmationNeeded extends Error {
  readonly recipients: number;
  readonly switchOn: { message: string | null } | null;
  /** Who the all-clear goes to: each list with its subject lines, and the reporters. */
  readonly review: { lists: ListReview[]; recipients: number; reporters: number } | null;
  constructor(
    recipients: number,
    switchOn: { message: string | null } | null = null,
    review: ConfirmationNeeded['review'] = null,
  ) {
    super('confirmation needed');
    this.recipients = recipients;
    this.switchOn = switchOn;
    this.review = review;
  }
}
