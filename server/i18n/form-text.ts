import type { Said } from '../domain/shared/errors.ts';
import type { Translator } from './catalogue.ts';

/**
 * A refused form's message and field messages in the reader's language: each one the domain
 * named by catalogue key is said from the catalogue; one it did not (a message only the team's
 * own forms meet) stays as the domain wrote it.
 */
export function formText(
  tr: Translator,
  f: {
    message: string;
    errors: Record<string, string>;
    says?: Said;
    fieldSays?: Record<string, Said>;
  },
): { message: string; errors: Record<string, string> } {
  const say = (s: Said | undefined, fallback: string) => (s ? tr.t(s.key, s.values) : fallback);
  const errors: Record<string, string> = {};
  for (const [k, v] of Object.entries(f.errors)) errors[k] = say(f.fieldSays?.[k], v);
  return { message: say(f.says, f.message), errors };
}
