import type { ActiveSession } from '../../domain/auth/sessions.ts';
import { audienceLinks } from '../../domain/audiences/audience-token.ts';
import {
  type AudienceRow,
  listAudiences,
  readAudience,
} from '../../domain/audiences/manage-audiences.ts';
import { audienceOps } from '../../routes/audiences.ts';
import { linkKey } from '../../domain/subscribers/tokens.ts';
import type { Deps } from '../../deps.ts';
import {
  checkbox,
  formAction,
  type FormOutcome,
  type FormValues,
  formValues,
  list,
  runFormAction,
  runFormActions,
  str,
} from './form.ts';

/**
 * A box of several entries (domains, addresses): one per line, or separated by commas or
 * spaces; empty entries are dropped, anything else is handed to the verb's schema as typed.
 */
export function entries(values: FormValues, key: string): string[] {
  return str(values, key)
    .split(/[\s,;]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/** The audience form's fields, converted explicitly; the row's schema parses them. */
export function audienceFields(values: FormValues) {
  return {
    name: str(values, 'name'),
    slug: str(values, 'slug'),
    memberDomains: entries(values, 'memberDomains'),
    memberEmails: entries(values, 'memberEmails'),
    everyoneSignedIn: checkbox(values, 'everyoneSignedIn'),
    // None ticked is every component, as in the admin API.
    componentIds: list(values, 'componentIds'),
    seesInternal: checkbox(values, 'seesInternal'),
  };
}

/** One audience's page: its forms over the same operation rows the API and the CLI run. */
const audienceForms = (id: string) => ({
  save: formAction(
    audienceOps.update,
    (v) => ({ ...audienceFields(v), audienceId: id }),
    () => `/admin/audiences/${id}?done=saved`,
  ),
  revoke: formAction(
    audienceOps.revokeFeeds,
    () => ({ id }),
    () => `/admin/audiences/${id}?done=revoked`,
    { messageOnly: true },
  ),
  delete: formAction(
    audienceOps.delete,
    () => ({ id }),
    () => '/admin/audiences?done=removed',
    { messageOnly: true },
  ),
});

/** What the form shows again for an audience: the boxes as the admin typed them. */
export function audienceValues(a: AudienceRow): FormValues {
  const v: FormValues = {
    name: a.name,
    slug: a.slug,
    memberDomains: a.memberDomains.join('\n'),
    memberEmails: a.memberEmails.join('\n'),
    componentIds: a.componentIds ?? [],
  };
  if (a.everyoneSignedIn) v.everyoneSignedIn = 'on';
  if (a.seesInternal) v.seesInternal = 'on';
  return v;
}

/** The audience admin pages (admins only): list, define, change, revoke feed URLs, remove. */
export function createAudienceAdmin(deps: Deps, session: ActiveSession) {
  const actor = session.actor;
  const scheme = new URL(deps.config.publicUrl).protocol;
  const links = async (a: AudienceRow) => ({
    ...audienceLinks(await linkKey(deps.db, deps.config), deps.config.publicUrl, a),
    // Host names the operator gave it (AUDIENCE_HOSTS), where its page is the home page.
    hosts: [...deps.config.audienceHosts]
      .filter(([, slug]) => slug === a.slug)
      .map(([host]) => `${scheme}//${host}/`),
  });
  return {
    async list() {
      const out = [];
      for (const a of await listAudiences(deps.db)) out.push({ ...a, links: await links(a) });
      return out;
    },
    async read(id: string) {
      const a = await readAudience(deps.db, id);
      return a && { audience: a, links: await links(a), values: audienceValues(a) };
    },
    async components() {
      return (await deps.reader.components()).components.filter((c) => !c.group);
    },
    create: (form: FormData): Promise<FormOutcome> =>
      runFormAction(
        deps,
        actor,
        formAction(
          audienceOps.create,
          audienceFields,
          (a) => `/admin/audiences/${a.id}?done=created`,
        ),
        formValues(form),
      ),
    /** "Save", "New feed addresses" or "Remove" on one audience's page. */
    action: (id: string, form: FormData): Promise<FormOutcome> =>
      runFormActions(deps, actor, audienceForms(id), formValues(form)),
  };
}
