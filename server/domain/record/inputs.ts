import { z } from 'zod';
import {
  actionItemKinds,
  actionItemPhases,
  actionItemStates,
  factQuestions,
  remediationStates,
} from '../../../db/schema/index.ts';

export { actionItemKinds, actionItemPhases, actionItemStates, factQuestions, remediationStates };

/** The fact sheet's six questions, in the order they are asked. */
export const factQuestionText: Record<(typeof factQuestions)[number], string> = {
  started: 'When did this start?',
  cause: 'What caused it?',
  ongoing: 'Is it ongoing?',
  customer_impact: 'What is the impact on customers?',
  legal: 'Are there legal implications for the next steps?',
  more_people: 'Do we need more people who are not aware of it yet?',
};

export const shortText = (max: number) =>
  z.string().trim().min(1, 'is required').max(max, `must be at most ${max} characters`);

export const userIdInput = z.string().min(1, 'is required').max(64);
export const remediationPriorityInput = z
  .number({ error: 'must be 0, 1, 2 or 3' })
  .int('must be 0, 1, 2 or 3')
  .min(0, 'must be 0, 1, 2 or 3')
  .max(3, 'must be 0, 1, 2 or 3');
