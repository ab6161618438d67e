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
import { changeIncidentOwner } from '../../domain/incidents/change-incident-owner.ts';
import {
  changeIncidentPriority,
  changeIncidentPriorityInput,
} from '../../domain/incidents/change-incident-priority.ts';
import { declareIncident } from '../../domain/incidents/declare-incident.ts';
import { postIncidentUpdate } from '../../domain/incidents/post-incident-update.ts';
import { resolveIncident } from '../../domain/incidents/resolve-incident.ts';
import { ValidationError } from '../../domain/shared/errors.ts';
import { listUsers } from '../../domain/users/read-users.ts';
import type { Deps } from '../../deps.ts';
import {
  checkbox,
  FieldErrors,
  type FormOutcome,
  type FormValues,
  formValues,
  intField,
  optional,
  runForm,
  str,
} from './form.ts';
import { declareIncidentInput, postIncidentUpdateInput } from '../../domain/incidents/inputs.ts';
import { ALL_CLEAR, HOLDING_UPDATE, messageTemplates, priorityChoices } from './templates.ts';
import { zonedLocalToUtc } from '../../domain/shared/zoned-time.ts';
import { emailPreviewForm } from './broadcasts.ts';

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
export function declareFields(values: FormValues, fe: FieldErrors, zone: string) {
  return {
    title: str(values, 'title'),
    priority: fe.take(() => intField(values, 'priority', 'must be 0, 1, 2 or 3'), undefined),
    status: optional(values, 'status') ?? 'investigating',
    body: str(values, 'body'),
    internalNote: optional(values, 'internalNote') ?? null,
    components: fe.take(() => affectedComponents(values), []),
    ownerId: optional(values, 'ownerId') ?? null,
    isDrill: checkbox(values, 'isDrill'),
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
    const at = zonedLocalToUtc(str(values, 'nextAt'), tz);
    if (!at)
      throw new ValidationError('nextAt: pick a date and time', {
        nextAt: 'pick a date and time for the next update',
      });
    return { nextUpdateAt: at };
  }
  if (choice === '' || choice === 'default') return {};
  const n = Number(choice);
  if (!Number.isInteger(n))
    throw new ValidationError('nextIn: choose when the next update comes', {
      nextIn: 'choose 15, 30 or 60 minutes or a time',
    });
  return { nextUpdateInMinutes: n };
}

/** Pressing a template button fills the message and shows the form again; nothing is sent. */
function applyTemplate(values: FormValues): FormOutcome | null {
  const id = str(values, 'template');
  if (!id) return null;
  const tpl = messageTemplates.find((x) => x.id === id);
  if (!tpl) return null;
  const next: FormValues = { ...values, body: tpl.body };
  if (tpl.status) next.status = tpl.status;
  delete next.template;
  return { ok: false, status: 200, message: '', errors: {}, values: next };
}

export function createIncidentAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  const tz = async () => (await deps.reader.page()).time_zone;
  return {
    templates: messageTemplates,
    priorities: priorityChoices,
    holdingUpdate: HOLDING_UPDATE,
    allClear: ALL_CLEAR,
    statuses: incidentStatuses,

    async dashboard() {
      const now = deps.clock.now();
      return {
        tz: await tz(),
        now,
        incidents: await readActiveIncidents(deps.db, now),
        maintenance: await readUpcomingMaintenance(deps.db),
        updates: await readRecentUpdates(deps.db, 10),
      };
    },

    /** Everything the declare form offers: components (groups with children) and people. */
    async declareOptions() {
      const { components } = await deps.reader.components();
      return {
        components,
        users: (await listUsers(deps)).filter((u) => !u.disabledAt),
        me: session.user.id,
        tz: await tz(),
      };
    },

    /** Recent incidents, resolved and drills included, newest first. */
    async list() {
      return { tz: await tz(), incidents: await readAdminIncidentList(deps.db, 100) };
    },

    async incident(id: string) {
      const found = await readAdminIncident(deps.db, id, deps.clock.now());
      if (!found) return null;
      const { components } = await deps.reader.components();
      const people = (await listUsers(deps)).filter((u) => !u.disabledAt);
      return { ...found, allComponents: components, users: people, tz: await tz() };
    },

    async declare(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const tpl = applyTemplate(values);
      if (tpl) return tpl;
      const build = async () => {
        const fe = new FieldErrors();
        const zone = await tz();
        return fe.parse(declareIncidentInput, declareFields(values, fe, zone));
      };
      const intent = str(values, 'intent');
      if (intent === 'preview' || intent === 'test') {
        return emailPreviewForm(deps, session, values, intent, async () => {
          const i = await build();
          return {
            title: i.title,
            priority: i.priority,
            isDrill: i.isDrill,
            status: i.status,
            body: i.body,
            internalNote: i.internalNote,
            components: i.components,
            notify: i.notify,
            nextUpdateInMinutes: i.nextUpdateInMinutes,
            nextUpdateAt: i.nextUpdateAt,
          };
        });
      }
      return runForm(values, async () => {
        const input = await build();
        const { incident } = await declareIncident(deps, input, actor);
        return `/admin/incidents/${incident.id}?done=declared`;
      });
    },

    /** The incident page's forms, told apart by the `_action` field. */
    async act(incidentId: string, form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      const action = str(values, '_action');
      if (action === 'update') {
        const tpl = applyTemplate(values);
        if (tpl) return tpl;
      }
      const buildUpdate = async () => {
        const fe = new FieldErrors();
        const zone = await tz();
        const input = {
          incidentId,
          status: optional(values, 'status'),
          body: str(values, 'body'),
          internalNote: optional(values, 'internalNote') ?? null,
          components: fe.take(() => affectedComponents(values), []),
          ...fe.take(() => promise(values, zone), {}),
        };
        return fe.parse(postIncidentUpdateInput, input);
      };
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
            : await buildUpdate(),
        );
      }
      return runForm(values, async () => {
        if (action === 'update' || action === 'holding') {
          const input = await buildUpdate();
          await postIncidentUpdate(deps, input, actor);
          return `/admin/incidents/${incidentId}?done=${action === 'holding' ? 'holding' : 'updated'}`;
        }
        if (action === 'priority') {
          const fe = new FieldErrors();
          const input = {
            incidentId,
            priority: fe.take(
              () => intField(values, 'priority', 'must be 0, 1, 2 or 3'),
              undefined,
            ),
            reason: str(values, 'reason'),
          };
          await changeIncidentPriority(deps, fe.parse(changeIncidentPriorityInput, input), actor);
          return `/admin/incidents/${incidentId}?done=priority`;
        }
        if (action === 'owner') {
          await changeIncidentOwner(
            deps,
            { incidentId, ownerId: optional(values, 'ownerId') ?? null },
            actor,
          );
          return `/admin/incidents/${incidentId}?done=owner`;
        }
        if (action === 'resolve') {
          await resolveIncident(
            deps,
            {
              incidentId,
              body: str(values, 'body'),
              internalNote: optional(values, 'internalNote') ?? null,
            },
            actor,
          );
          return `/admin/incidents/${incidentId}?done=resolved`;
        }
        throw new ValidationError('Unknown form action.', { _action: 'unknown action' });
      });
    },
  };
}
