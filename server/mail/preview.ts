import { z } from 'zod';
import { idInput } from '../domain/shared/inputs.ts';
import { type ComponentStatus, incidentStatuses } from '../../db/schema/enums.ts';
import {
  type IncidentEmailData,
  renderAllClear,
  renderIncidentUpdate,
} from '../../emails/incident-update.ts';
import type { RenderedEmail } from '../../emails/layout.ts';
import { listSubject, updateListSubject } from '../domain/shared/subjects.ts';
import { type ListReview, reviewLists } from '../domain/broadcasts/review-lists.ts';
import { updateBroadcastLists } from '../domain/broadcasts/enqueue-update-broadcast.ts';
import { defaultImpact } from '../domain/status/rollup.ts';
import { impactLabel, statusLabel } from '../domain/status/labels.ts';
import { enqueueMessage } from '../domain/outbox/enqueue-message.ts';
import {
  affectedComponentsInput,
  bodyInput,
  internalNoteInput,
  priorityInput,
  promiseInput,
  titleInput,
} from '../domain/incidents/inputs.ts';
import {
  isBroadcastPriority,
  nextUpdateDue,
  promiseDefaultsOf,
} from '../domain/incidents/promise.ts';
import { type Actor, assertRole } from '../domain/shared/actor.ts';
import type { DomainDeps } from '../domain/shared/deps.ts';
import { NotFoundError, ValidationError } from '../domain/shared/errors.ts';
import { parseInput } from '../domain/shared/parse.ts';
import { getSettings } from '../domain/settings/get-settings.ts';
import { readIncident } from '../domain/broadcasts/send-context.ts';
import {
  incidentAudiencesInput,
  resolveIncidentAudiences,
} from '../domain/audiences/incident-audiences.ts';
import {
  chosenAudienceIds as chosenAudiences,
  incidentUrlFor,
  listText,
} from '../domain/lists/list-reading.ts';
import { audienceTextsInput, resolveAudienceTexts } from '../domain/audiences/audience-texts.ts';
import {
  readAffectedComponents,
  readComponentNames,
} from '../domain/components/read-components.ts';
import { incidentEmailData } from '../delivery/kinds/incident-data.ts';
import { emailInput } from '../domain/subscribers/inputs.ts';
import { type Parsed, verb } from '../domain/shared/verb.ts';

// The exact email an update will send, before it is published: the admin's preview and the
// "send a test to me" button. Same templates and data as the outbox worker.

export const previewInput = z.strictObject({
  /** An existing incident (an update to it), or none (a new incident: title and priority given). */
  incidentId: idInput.optional(),
  title: titleInput.optional(),
  priority: priorityInput.optional(),
  isDrill: z.boolean().optional(),
  status: z.enum(incidentStatuses).default('investigating'),
  body: bodyInput,
  internalNote: internalNoteInput,
  components: affectedComponentsInput,
  notify: z.boolean().optional(),
  /** Who may see a new incident (an existing one keeps its own): its lists follow it. */
  audiences: incidentAudiencesInput,
  /** The update's own texts for named audiences (by slug): their lists' mail reads them. */
  audienceTexts: audienceTextsInput,
  ...promiseInput,
});
export type PreviewInput = z.input<typeof previewInput>;

export interface EmailPreview {
  /** Whether publishing this would email anyone (P0/P1, or notify forced on). */
  wouldNotify: boolean;
  /** What internal lists receive (with the internal note). */
  internal: RenderedEmail;
  /** What public lists receive. */
  public: RenderedEmail;
  /**
   * What each named audience given its own text receives instead of the public text, as its
   * lists read it (its members' page as the details link; the internal note where the audience
   * sees internal notes).
   */
  audiences: { slug: string; name: string; email: RenderedEmail }[];
  /**
   * Every list a notifying update would go to: its audience, its recipients now, the subject
   * line each of its readers would get (a list's own template, its language or English) and the
   * details link its mail carries.
   */
  lists: (ListReview & { incidentUrl: string })[];
  /** Everyone on those lists (followers of the incident come on top, notified or not). */
  recipients: number;
}

export const previewUpdateEmail = verb(previewInput, previewUpdateEmailParsed);
async function previewUpdateEmailParsed(
  deps: DomainDeps,
  input: Parsed<typeof previewInput>,
): Promise<EmailPreview> {
  const now = deps.clock.now();
  const s = await getSettings(deps.db);
  const base = (s.publicUrl ?? deps.config.publicUrl).replace(/\/+$/, '');
  let title = input.title;
  let priority = input.priority;
  let isDrill = input.isDrill ?? false;
  let impact: string | null = null;
  let incidentId = '(new)';
  // For chosen audiences only: their lists and staff lists, never a public list.
  let audienceOnly = false;
  let chosenAudienceIds: string[] = [];
  const affected = new Map<string, { name: string; status: ComponentStatus }>();
  if (input.incidentId) {
    const incident = await readIncident(deps.db, input.incidentId);
    if (!incident) throw new NotFoundError('incident', input.incidentId);
    title ??= incident.title;
    priority ??= incident.priority;
    isDrill = incident.isDrill;
    impact = incident.impact;
    incidentId = incident.id;
    audienceOnly = incident.audienceOnly;
    if (audienceOnly) chosenAudienceIds = await chosenAudiences(deps.db, incident.id);
    for (const c of await readAffectedComponents(deps.db, incident.id))
      affected.set(c.id, { name: c.name, status: c.status });
  } else {
    const chosen = await resolveIncidentAudiences(deps.db, input.audiences);
    audienceOnly = chosen !== null;
    chosenAudienceIds = chosen ?? [];
  }
  if (title === undefined || priority === undefined) {
    throw new ValidationError('A new incident needs a title and a priority to preview its email.', {
      ...(title === undefined ? { title: 'is required' } : {}),
      ...(priority === undefined ? { priority: 'is required' } : {}),
    });
  }
  if (input.components.length) {
    const names = new Map(
      (
        await readComponentNames(
          deps.db,
          input.components.map((c) => c.componentId),
        )
      ).map((c) => [c.id, c.name]),
    );
    for (const c of input.components)
      affected.set(c.componentId, {
        name: names.get(c.componentId) ?? c.componentId,
        status: c.status,
      });
  }
  // The details link each list's mail carries, from the builder the sent mail uses.
  const linkFor = (list: Parameters<typeof incidentUrlFor>[1]) =>
    incidentUrlFor(base, list, { id: incidentId, audienceOnly }, deps.config.audienceHosts);
  const internalUrl = linkFor({ audience: null, isInternal: true });
  const publicUrl = linkFor({ audience: null, isInternal: false });
  const resolved = input.status === 'resolved';
  const due = nextUpdateDue(now, priority, resolved, input, promiseDefaultsOf(s));
  const data: IncidentEmailData = {
    ...incidentEmailData(
      { name: s.pageName, timeZone: s.timeZone },
      {
        priority,
        title,
        isDrill,
        status: input.status,
        affected: [...affected.values()],
        body: input.body,
        nextUpdateDueAt: due,
        incidentUrl: internalUrl,
      },
      now,
    ),
    listName: 'Stakeholders',
    impactLabel: null,
    internalNote: input.internalNote ?? null,
    manageUrl: `${base}/manage/(your-link)`,
    unsubscribeUrl: `${base}/unsubscribe/(your-link)`,
  };
  const render = resolved ? renderAllClear : renderIncidentUpdate;
  const kind = resolved ? 'resolved' : 'update';
  // The lists' default subjects: a list with its own template shows it in its broadcast.
  const words = {
    priority,
    title,
    isDrill,
    impact:
      impact ??
      defaultImpact(
        priority,
        [...affected.values()].map((a) => a.status),
      ),
    statusLabel: statusLabel(input.status),
  };
  const none = { subjectUpdate: null, subjectResolved: null };
  // The lists and recipients the broadcast would queue: the same lists, and the components the
  // incident will then affect (those it has and those this update names).
  const componentIds = [...affected.keys()];
  const to = await updateBroadcastLists(deps.db, {
    isDrill,
    priority,
    componentIds,
    audienceOnly,
    chosenAudienceIds,
  });
  const { lists, recipients } = await reviewLists(deps.db, to, componentIds, (l, lang) =>
    updateListSubject(kind, l, { ...words, status: input.status }, lang),
  );
  const bySlug = new Map(to.map((l) => [l.slug, l]));
  // Each audience's own text, as the first of its lists this update goes to reads it (an
  // audience none of them reach reads it on its page only: as a list of its own would).
  const audienceCopies: EmailPreview['audiences'] = [];
  for (const { audience, body } of await resolveAudienceTexts(deps.db, input.audienceTexts)) {
    const slug = audience.slug;
    const list = to.find((l) => l.audience?.id === audience.id);
    const reads = list ? listText(list) : { internal: 'none' };
    audienceCopies.push({
      slug,
      name: audience.name,
      email: {
        ...render({
          ...data,
          body,
          listName: list?.name ?? audience.name,
          incidentUrl: linkFor({ audience: { slug }, isInternal: false }),
          internalNote: reads.internal === 'none' ? null : (input.internalNote ?? null),
          impactLabel: impactLabel(words.impact),
        }),
        subject: listSubject(kind, { isInternal: false, ...none }, words),
      },
    });
  }
  return {
    lists: lists.map((l) => ({ ...l, incidentUrl: linkFor(bySlug.get(l.slug)!) })),
    recipients,
    wouldNotify: input.notify ?? isBroadcastPriority(priority),
    internal: {
      ...render(data),
      subject: listSubject(kind, { isInternal: true, ...none }, words),
    },
    public: {
      ...render({
        ...data,
        listName: 'Customers',
        incidentUrl: publicUrl,
        internalNote: null,
        impactLabel: impactLabel(words.impact),
      }),
      subject: listSubject(kind, { isInternal: false, ...none }, words),
    },
    audiences: audienceCopies,
  };
}

/** Queues the internal variant of the preview to one address, marked as a test. */
export async function sendTestEmail(
  deps: DomainDeps,
  raw: PreviewInput & { to: string },
  actor: Actor,
) {
  assertRole(actor, 'responder');
  const { to: rawTo, ...previewFields } = raw;
  const to = parseInput(z.strictObject({ to: emailInput }), { to: rawTo }).to;
  const preview = await previewUpdateEmail(deps, previewFields, actor);
  const now = deps.clock.now();
  await deps.db.transaction(async (tx) => {
    await enqueueMessage(
      tx,
      deps.config,
      {
        kind: 'test',
        to,
        payload: { ...preview.internal, subject: `[TEST] ${preview.internal.subject}` },
      },
      now,
    );
  });
  return { to, subject: `[TEST] ${preview.internal.subject}` };
}
