import type { z } from 'zod';
import { ValidationError } from './errors.ts';

/** Parses domain input with a zod schema, turning problems into a field-keyed ValidationError. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) {
    // An unknown field is named itself, so a typo ("priorty") is reported where it is.
    const keys =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => [...issue.path, k].join('.'))
        : [issue.path.join('.') || '_'];
    for (const key of keys)
      fields[key] ??= issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
  }
  const summary = Object.entries(fields)
    .map(([k, v]) => (k === '_' ? v : `${k}: ${v}`))
    .join('; ');
  throw new ValidationError(summary, fields);
}
