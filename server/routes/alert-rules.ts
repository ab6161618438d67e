import type { Deps } from '../deps.ts';
import { createAlertRuleInput, updateAlertRuleInput } from '../domain/alerts/inputs.ts';
import {
  createAlertRule,
  deleteAlertRule,
  readAlertRules,
  updateAlertRule,
} from '../domain/alerts/save-alert-rule.ts';
import { actorOf, type Operation, parseBody, pathId } from './operation.ts';

/**
 * Routing rules for alerts, in the order they are evaluated (first match wins). Admin only: a
 * rule can set component statuses and declare incidents that broadcast.
 */
export function alertRuleOperations(deps: Deps): Operation[] {
  return [
    {
      meta: {
        method: 'get',
        path: '/alert-rules',
        summary: 'Routing rules for alerts, in evaluation order (first match wins)',
        role: 'viewer',
        success: 200,
      },
      handler: async (c) => c.json({ rules: await readAlertRules(deps.db) }),
    },
    {
      meta: {
        method: 'post',
        path: '/alert-rules',
        summary:
          'Add a routing rule: label matchers, component, suggested priority, optional status to set and whether it declares (at the end unless `position` says where)',
        role: 'admin',
        body: createAlertRuleInput,
        success: 201,
      },
      handler: async (c) =>
        c.json(
          {
            rule: await createAlertRule(deps, await parseBody(c, createAlertRuleInput), actorOf(c)),
          },
          201,
        ),
    },
    {
      meta: {
        method: 'patch',
        path: '/alert-rules/:id',
        summary: 'Change a routing rule, or move it (`position`, 1 is evaluated first)',
        role: 'admin',
        body: updateAlertRuleInput,
        omit: ['ruleId'],
        success: 200,
      },
      handler: async (c) =>
        c.json({
          rule: await updateAlertRule(
            deps,
            await parseBody(c, updateAlertRuleInput, { ruleId: pathId(c) }),
            actorOf(c),
          ),
        }),
    },
    {
      meta: {
        method: 'delete',
        path: '/alert-rules/:id',
        summary: 'Remove a routing rule',
        role: 'admin',
        success: 200,
      },
      handler: async (c) => c.json(await deleteAlertRule(deps, { ruleId: pathId(c) }, actorOf(c))),
    },
  ];
}
