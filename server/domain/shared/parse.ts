import type { z } from 'zod';
import { type Said, ValidationError } from './errors.ts';
import { either } from './inputs.ts';

type Issue = z.core.$ZodIssue;

/**
 * What kind of problem an issue is, as a catalogue key (server/i18n): the schema's own English
 * message stays for the API; forms readers see say the same kind of problem in their language.
 */
function issueSays(issue: Issue): Said {
  switch (issue.code) {
    case 'invalid_type':
      return { key: issue.input === undefined ? 'valid.required' : 'valid.invalid' };
    case 'too_small':
      return {
        key:
          issue.origin === 'string'
            ? 'valid.required'
            : issue.origin === 'array'
              ? 'valid.pickAtLeastOne'
              : 'valid.invalid',
      };
    case 'too_big':
      return issue.origin === 'string'
        ? { key: 'valid.tooLong', values: { max: Number(issue.maximum) } }
        : issue.origin === 'array'
          ? { key: 'valid.tooMany' }
          : { key: 'valid.invalid' };
    case 'invalid_format':
      return { key: issue.format === 'email' ? 'valid.email' : 'valid.invalid' };
    case 'invalid_value':
      return { key: 'valid.pickOne' };
    case 'unrecognized_keys':
      return { key: 'valid.unknownField' };
    case 'custom': {
      // A refinement names its catalogue key in `params.says` (see subscribers/inputs.ts).
      const key = (issue.params as { says?: Said['key'] } | undefined)?.says;
      return { key: key ?? 'valid.invalid' };
    }
    default:
      return { key: 'valid.invalid' };
  }
}

/**
 * Messages for the problems a schema left to zod's defaults: a value outside a choice names the
 * choice ("must be admin, responder or viewer"), not "Invalid option". A schema's own message
 * comes first.
 */
export const parseMessages = {
  error: (issue: z.core.$ZodRawIssue) =>
    issue.code === 'invalid_value' ? `must be ${either(issue.values)}` : undefined,
};

/** Parses domain input with a zod schema, turning problems into a field-keyed ValidationError. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const r = schema.safeParse(input, parseMessages);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  const says: Record<string, Said> = {};
  for (const issue of r.error.issues) {
    // An unknown field is named itself, so a typo ("priorty") is reported where it is.
    const keys =
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((k) => [...issue.path, k].join('.'))
        : [issue.path.join('.') || '_'];
    for (const key of keys) {
      if (key in fields) continue;
      fields[key] = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
      says[key] = issueSays(issue);
    }
  }
  const summary = Object.entries(fields)
    .map(([k, v]) => (k === '_' ? v : `${k}: ${v}`))
    .join('; ');
  throw new ValidationError(summary, fields, says);
}
