import { readLists } from '../../domain/lists/read-lists.ts';
import { listAudiences } from '../../domain/audiences/manage-audiences.ts';
import type { ActiveSession } from '../../domain/auth/sessions.ts';
import {
  readBroadcast,
  readBroadcasts,
  readStalledBroadcasts,
} from '../../domain/broadcasts/broadcast-admin.ts';
import { splitDomains, splitPriorities } from '../../domain/lists/list-rules.ts';
import { NotFoundError } from '../../domain/shared/errors.ts';
import { companyDomains } from '../../domain/subscribers/subscriber-reads.ts';
import { csvFileText } from '../../domain/subscribers/csv-text.ts';
import {
  searchSubscribers,
  SUBSCRIBERS_PAGE_SIZE,
} from '../../domain/subscribers/admin-subscribers.ts';
import { pageOf, parsePageParam } from '../../domain/shared/paging.ts';
import {
  readSubscriberImport,
  readSubscriberImports,
} from '../../domain/subscribers/import-jobs.ts';
import type { Deps } from '../../deps.ts';
import { broadcastOps } from '../../routes/broadcasts.ts';
import { subscriberStates } from '../../../db/schema/enums.ts';
import {
  type EmailPreview,
  type PreviewInput,
  previewUpdateEmail,
  sendTestEmail,
} from '../../mail/preview.ts';
import {
  checkbox,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  runForm,
  runFormAction,
  runRow,
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
        // What the list actually takes: its audience's members, its own domains, the company's
        // for internal lists, or anyone.
        takes: l.audienceName
          ? `members of ${l.audienceName}, from its page`
          : splitDomains(l.allowedDomains).length
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
    /** The audiences a list can be given, for the lists form's choice. */
    audiences: async () =>
      (await listAudiences(deps.db)).map((a) => ({ slug: a.slug, name: a.name })),
    /** Create (no `id`) or edit a list from the lists form. */
    saveList(form: FormData, id?: string): Promise<FormOutcome> {
      const fields = (values: FormValues) => ({
        name: str(values, 'name'),
        description: str(values, 'description'),
        isInternal: checkbox(values, 'isInternal'),
        allowedDomains: str(values, 'allowedDomains'),
        priorities: list(values, 'priorities').map(Number),
        isDrill: checkbox(values, 'isDrill'),
        audience: str(values, 'audience'),
        subjectsInEnglish: checkbox(values, 'subjectsInEnglish'),
        subjectUpdate: str(values, 'subjectUpdate'),
        subjectResolved: str(values, 'subjectResolved'),
        ...(str(values, 'slug').trim() ? { slug: str(values, 'slug') } : {}),
      });
      const action = id
        ? formAction(
            broadcastOps.updateList,
            (values) => ({ listId: id, ...fields(values) }),
            () => '/admin/lists?done=saved',
          )
        : formAction(broadcastOps.createList, fields, () => '/admin/lists?done=created');
      return runFormAction(deps, actor, action, formValues(form));
    },

    /**
     * The search box and filters are links anyone may edit: what is not a filter is ignored. A
     * page number is not ignored: one that is no page answers 404 (400 when it is no number).
     */
    search: async (params: URLSearchParams) => {
      const state = subscriberStates.find((s) => s === params.get('state'));
      const asked = parsePageParam(params.get('page'));
      const found = await searchSubscribers(
        deps,
        {
          q: params.get('q')?.slice(0, 254) || undefined,
          state,
          listId: params.get('list')?.slice(0, 64) || undefined,
          page: asked.kind === 'page' ? asked.n : 1,
        },
        actor,
      );
      return { ...found, ...pageOf(asked, found.total, SUBSCRIBERS_PAGE_SIZE) };
    },
    remove: (form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        actor,
        formAction(
          broadcastOps.removeSubscriber,
          (values) => ({ id: str(values, 'id') }),
          (r) => `/admin/subscribers?done=removed&email=${encodeURIComponent(r.email)}`,
        ),
        formValues(form),
      ),
    /**
     * CSV import: checked at once (a bad file is shown again with its error), then written in
     * the background. A small file is usually done within the short wait, so its page opens on
     * the report; a big one opens on its progress.
     */
    async import(form: FormData): Promise<FormOutcome> {
      const file = form.get('file');
      const pasted = String(form.get('csv') ?? '');
      const upload = file && typeof file !== 'string' && file.size > 0 ? file : null;
      const bytes = upload ? new Uint8Array(await upload.arrayBuffer()) : null;
      const values = formValues(form);
      return runForm(values, async () => {
        const csv = bytes ? csvFileText(bytes) : pasted;
        const { view, finished } = await runRow(
          deps,
          actor,
          broadcastOps.startImport,
          values,
          () => ({
            listId: str(values, 'listId'),
            csv,
          }),
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
    retry: (id: string, form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        actor,
        formAction(
          broadcastOps.retry,
          (values) => {
            const ids = list(values, 'deliveryId');
            return { broadcastId: id, ...(ids.length ? { deliveryIds: ids } : {}) };
          },
          (r) => `/admin/broadcasts/${id}?done=retried&n=${r.retried}`,
        ),
        formValues(form),
      ),

    /** The exact email an update will send (internal and public variants). */
    preview: (input: PreviewInput): Promise<EmailPreview> => previewUpdateEmail(deps, input, actor),
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
    preview = await previewUpdateEmail(deps, input, session.actor);
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
