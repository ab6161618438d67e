import {
  defaultPromiseMinutes,
  holdingLine,
  nextUpdateSentence,
  type PromiseDefaults,
} from '../../domain/incidents/promise.ts';
import type { FormValues } from './form.ts';
import { str } from './form.ts';

/**
 * The all-clear's default text. The email already opens with "The issue is resolved. Thank
 * you for your patience.", so the text says what is true now instead of thanking twice.
 */
export const ALL_CLEAR = 'Everything works normally again.';

/** Ready-made messages for the declare and update forms; each ends with the chosen promise. */
export const messageTemplates: {
  id: string;
  label: string;
  status: string | null;
  body: (status: string) => string;
}[] = [
  {
    id: 'investigating',
    label: 'Investigating',
    status: 'investigating',
    body: () => 'We are aware of a problem and are investigating.',
  },
  {
    id: 'identified',
    label: 'Cause found',
    status: 'identified',
    body: () => 'We have found the cause and are working on a fix.',
  },
  {
    id: 'monitoring',
    label: 'Fix deployed',
    status: 'monitoring',
    body: () => 'A fix is in place and we are watching the results.',
  },
  { id: 'holding', label: 'Holding update', status: null, body: holdingLine },
];

/**
 * The promise sentence for what the form's "next update" choice says: 15/30/60 minutes, a
 * time, no promise, or (nothing chosen) the priority's default from the settings.
 */
export function promiseSentence(
  values: FormValues,
  priority: number | undefined,
  defaults: PromiseDefaults,
): string {
  const choice = str(values, 'nextIn');
  if (/^\d{1,4}$/.test(choice)) return nextUpdateSentence(Number(choice));
  if (choice === 'at') {
    const at = /T(\d\d:\d\d)/.exec(str(values, 'nextAt'));
    return at ? `Next update at ${at[1]}.` : '';
  }
  const minutes = priority === undefined ? undefined : defaultPromiseMinutes(defaults, priority);
  return minutes === undefined ? '' : nextUpdateSentence(minutes);
}

/** A template's text for the form as filled in: its status wording and the chosen promise. */
export function templateBody(
  id: string,
  values: FormValues,
  ctx: { status: string; priority: number | undefined; defaults: PromiseDefaults },
): { body: string; status: string | null } | null {
  const tpl = messageTemplates.find((x) => x.id === id);
  if (!tpl) return null;
  const status = tpl.status ?? ctx.status;
  const next = promiseSentence(values, ctx.priority, ctx.defaults);
  return { body: [tpl.body(status), next].filter(Boolean).join(' '), status: tpl.status };
}

export const priorityChoices = [
  {
    value: 0,
    label: 'P0',
    meaning: 'Drop everything: the product is down or data is at risk for everyone.',
  },
  { value: 1, label: 'P1', meaning: 'All hands now: a key feature is broken for many customers.' },
  {
    value: 2,
    label: 'P2',
    meaning: 'Fix this week: degraded or broken for some; a workaround exists.',
  },
  { value: 3, label: 'P3', meaning: 'Next sprint: minor or cosmetic; few notice.' },
];
