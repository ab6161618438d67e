import { z } from 'zod';
import { splitDomains, splitPriorities } from './list-rules.ts';

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

const prioritiesInput = z
  .union([z.string(), z.array(z.coerce.number())])
  .transform((v) => (Array.isArray(v) ? v : splitPriorities(v)))
  .refine((ps) => ps.every((p) => Number.isInteger(p) && p >= 0 && p <= 3), {
    message: 'must be among 0, 1, 2 and 3',
  })
  .transform((ps) => [...new Set(ps)].sort());

const flag = z.preprocess(
  (v) => v === 'on' || v === 'true' || v === '1' || v === true,
  z.boolean(),
);

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
};

export const createListInput = z.object(listFields);
export type CreateListInput = z.input<typeof createListInput>;

export const updateListInput = z.object({ listId: z.string().min(1), ...listFields });
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
