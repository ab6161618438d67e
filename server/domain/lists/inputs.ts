import { z } from 'zod';
import { idInput, intInput } from '../shared/inputs.ts';
import { splitDomains } from './list-rules.ts';
import { SUBJECT_PLACEHOLDERS, unknownPlaceholders } from '../shared/subjects.ts';

/** A subject template; empty means the default for the list's kind (stored as null). */
const subjectInput = z
  .string()
  .trim()
  .max(200, 'must be at most 200 characters')
  .refine((t) => unknownPlaceholders(t).length === 0, {
    message: `may only use ${SUBJECT_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
  })
  .transform((t) => (t === '' ? null : t))
  .nullable();

const domainsInput = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => splitDomains(Array.isArray(v) ? v.join(',') : v))
  .refine(
    (ds) =>
      ds.every((d) => /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)),
    {
      message: 'must be domains such as example.com, separated by commas',
    },
  )
  .refine((ds) => ds.length <= 50, { message: 'at most 50 domains' });

/** The priorities a list receives: a list of 0 to 3. Anything else is refused, never dropped. */
const prioritiesInput = z
  .array(intInput(0, 3, 'must be among 0, 1, 2 and 3'), {
    error: 'must be a list of priorities such as [0, 1]',
  })
  .max(4)
  .transform((ps) => [...new Set(ps)].sort());

const flag = z.boolean({ error: 'must be true or false' });

/** The audience (by its address, as in `audienceTexts`) whose own list this is; null: none. */
const audienceInput = z
  .string({ error: 'must be an audience address such as acme-corp, or null' })
  .trim()
  .max(40)
  .transform((v) => (v === '' ? null : v))
  .nullable();

export const listFields = {
  name: z.string().trim().min(1, 'is required').max(80, 'must be at most 80 characters'),
  slug: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'must be lowercase letters, digits and dashes')
    .max(40)
    .optional(),
  description: z.string().trim().max(500).default(''),
  isInternal: flag.default(false),
  allowedDomains: domainsInput.default([]),
  priorities: prioritiesInput.default([0, 1]),
  isDrill: flag.default(false),
  audience: audienceInput.default(null),
  /** Subjects stay in English for every reader (else each reader gets them in their language). */
  subjectsInEnglish: flag.default(false),
  subjectUpdate: subjectInput.default(null),
  subjectResolved: subjectInput.default(null),
};

export const createListInput = z.strictObject(listFields);
export type CreateListInput = z.input<typeof createListInput>;

/**
 * An edit names only what changes: a field left out keeps its value (leaving out `isInternal`
 * must never turn the internal list public).
 */
export const updateListInput = z.strictObject({
  listId: idInput,
  name: listFields.name.optional(),
  slug: listFields.slug,
  description: z.string().trim().max(500).optional(),
  isInternal: flag.optional(),
  allowedDomains: domainsInput.optional(),
  priorities: prioritiesInput.optional(),
  isDrill: flag.optional(),
  audience: audienceInput.optional(),
  subjectsInEnglish: flag.optional(),
  subjectUpdate: subjectInput.optional(),
  subjectResolved: subjectInput.optional(),
});
export type UpdateListInput = z.input<typeof updateListInput>;

export function slugify(name: string): string {
  return (
    name
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'list'
  );
}
