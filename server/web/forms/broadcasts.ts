import { readLists } from '../../domain/lists/read-lists.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  readBroadcast,
  readBroadcasts,
  readStalledBroadcasts,
  retryFailedDeliveries,
} from '../../domain/broadcasts/broadcast-admin.ts';
import { createList } from '../../domain/lists/create-list.ts';
import { splitDomains, splitPriorities } from '../../domain/lists/list-rules.ts';
import { updateList } from '../../domain/lists/update-list.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { companyDomains } from '../../domain/subscribers/subscriber-reads.ts';
import { removeSubscriber, searchSubscribers } from '../../domain/subscribers/admin-subscribers.ts';
import {
  readSubscriberImport,
  readSubscriberImports,
  startSubscriberImport,
} from '../../domain/subscribers/import-jobs.ts';
import type { Deps } from '../../deps.ts';
import { subscriberStates } from '../../../db/schema/enums.ts';
import {
  type EmailPreview,
  type PreviewInput,
  previewUpdateEmail,
  sendTestEmail,
} from '../../mail/preview.ts';
import {
  checkbox,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  runForm,
  str,
} from './form.ts';

/** How long the import form waits for the import to end before showing its progress. */
const IMPORT_FORM_WAIT_MS = 1500;

/**
 * Subscribers, lists and broadcasts for the admin pages (`admin.broadcasts`). Every write goes
 * through a domain verb with the signed-in actor, which checks the role and writes the audit log.
 */
export function createBroadcastAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  return {
    async lists() {
      const rows = await readLists(deps.db);
      const company = await companyDomains(deps.db, deps.config);
      return rows.map((l) => ({
        ...l,
        domains: splitDomains(l.allowedDomains),
        priorityList: splitPriorities(l.priorities),
        // What the list actually takes: its own domains, the company's for internal lists, or anyone.
        takes: splitDomains(l.allowedDomains).length
          ? splitDomains(l.allowedDomains).join(', ')
          : l.isInternal
            ? company.length
              ? `${company.join(', ')} (company domains)`
              : 'nobody by themselves: set COMPANY_DOMAINS or allowed domains'
            : 'anyone',
      }));
    },
    async list(id: string) {
      const found = (await this.lists()).find((l) => l.id === id);
      if (!found) throw new NotFoundError('list', id);
      return found;
    },
    /** Create (no `id`) or edit a list from the lists form. */
    async saveList(form: FormData, id?: string): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        const input = {
          name: str(values, 'name'),
          description: str(values, 'description'),
          isInternal: checkbox(values, 'isInternal'),
          allowedDomains: str(values, 'allowedDomains'),
          priorities: list(values, 'priorities').map(Number),
          isDrill: checkbox(values, 'isDrill'),
          subjectsInEnglish: checkbox(values, 'subjectsInEnglish'),
          subjectUpdate: str(values, 'subjectUpdate'),
          subjectResolved: str(values, 'subjectResolved'),
          ...(str(values, 'slug').trim() ? { slug: str(values, 'slug') } : {}),
        };
        if (id) await updateList(deps, { listId: id, ...input }, actor);
        else await createList(deps, input, actor);
        return `/admin/lists?done=${id ? 'saved' : 'created'}`;
      });
    },

    /** The search box and filters are links anyone may edit: what is not a filter is ignored. */
    search: (params: URLSearchParams) => {
      const state = subscriberStates.find((s) => s === params.get('state'));
      const page = Number(params.get('page') ?? '1');
      return searchSubscribers(
        deps,
        {
          q: params.get('q')?.slice(0, 254) || undefined,
          state,
          listId: params.get('list')?.slice(0, 64) || undefined,
          page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
        },
        actor,
      );
    },
    async remove(form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        const r = await removeSubscriber(deps, { subscriberId: str(values, 'id') }, actor);
        return `/admin/subscribers?done=removed&email=${encodeURIComponent(r.email)}`;
      });
    },
    /**
     * CSV import: checked at once (a bad file is shown again with its error), then written in
     * the background. A small file is usually done within the short wait, so its page opens on
     * the report; a big one opens on its progress.
     */
    async import(form: FormData): Promise<FormOutcome> {
      const file = form.get('file');
      const pasted = String(form.get('csv') ?? '');
      const csv = file && typeof file !== 'string' && file.size > 0 ? await file.text() : pasted;
      const values = formValues(form);
      return runForm(values, async () => {
        const { view, finished } = await startSubscriberImport(
          deps,
          { listId: str(values, 'listId'), csv },
          actor,
        );
        await Promise.race([finished, deps.imports.pause(IMPORT_FORM_WAIT_MS)]);
        return `/admin/lists/${view.listId}/imports/${view.id}`;
      });
    },
    imports: (listId: string) => readSubscriberImports(deps, listId),
    importJob: (listId: string, importId: string) => readSubscriberImport(deps, listId, importId),

    recent: () => readBroadcasts(deps, { limit: 50 }),
    forIncident: (incidentId: string) => readBroadcasts(deps, { incidentId, limit: 20 }),
    broadcast: (id: string) => readBroadcast(deps, id),
    stalled: () => readStalledBroadcasts(deps),
    async retry(id: string, form: FormData): Promise<FormOutcome> {
      const values = formValues(form);
      return runForm(values, async () => {
        const ids = list(values, 'deliveryId');
        const r = await retryFailedDeliveries(
          deps,
          { broadcastId: id, ...(ids.length ? { deliveryIds: ids } : {}) },
          actor,
        );
        return `/admin/broadcasts/${id}?done=retried&n=${r.retried}`;
      });
    },

    /** The exact email an update will send (internal and public variants). */
    preview: (input: PreviewInput): Promise<EmailPreview> => previewUpdateEmail(deps, input),
    /** Sends the internal variant to the signed-in user, marked [TEST]. */
    sendTest: (input: PreviewInput) =>
      sendTestEmail(deps, { ...input, to: session.user.email }, actor),
  };
}

/**
 * "Preview email" and "Send a test to me" on the incident forms: the form is shown again with
 * the exact email (subject, text, HTML) its update would send; nothing is published.
 */
export async function emailPreviewForm(
  deps: Deps,
  session: ActiveSession,
  values: FormValues,
  intent: 'preview' | 'test',
  build: () => Promise<PreviewInput>,
): Promise<FormOutcome> {
  let preview: EmailPreview | undefined;
  let notice: string | undefined;
  const outcome = await runForm(values, async () => {
    const input = await build();
    preview = await previewUpdateEmail(deps, input);
    if (intent === 'test') {
      const sent = await sendTestEmail(deps, { ...input, to: session.user.email }, session.actor);
      notice = `A test of this email is on its way to ${sent.to}.`;
    }
    return '';
  });
  if (!outcome.ok) return outcome;
  const { intent: _intent, ...kept } = values;
  return {
    ok: false,
    status: 200,
    message: '',
    errors: {},
    values: kept,
    ...(preview ? { preview } : {}),
    ...(notice ? { notice } : {}),
  };
}
