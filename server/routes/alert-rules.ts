import {
  createAlertRule,
  deleteAlertRule,
  readAlertRules,
  updateAlertRule,
} from '../domain/alerts/save-alert-rule.ts';
import { operation } from './operation.ts';

/**
 * Routing rules for alerts, in the order they are evaluated (first match wins). Admin only: a
 * rule can set component statuses and declare incidents that broadcast.
 */
export const alertRuleOps = {
  list: operation({
    method: 'get',
    path: '/alert-rules',
    summary: 'Routing rules for alerts, in evaluation order (first match wins)',
    role: 'viewer',
    verb: async (deps) => ({ rules: await readAlertRules(deps.db) }),
    success: 200,
  }),
  create: operation({
    method: 'post',
    path: '/alert-rules',
    summary:
      'Add a routing rule: label matchers, component, suggested priority, optional status to set and whether it declares (at the end unless `position` says where)',
    role: 'admin',
    verb: createAlertRule,
    answer: (rule) => ({ rule }),
    success: 201,
  }),
  update: operation({
    method: 'patch',
    path: '/alert-rules/:id',
    summary: 'Change a routing rule, or move it (`position`, 1 is evaluated first)',
    role: 'admin',
    pathField: 'ruleId',
    verb: updateAlertRule,
    answer: (rule) => ({ rule }),
    success: 200,
  }),
  delete: operation({
    method: 'delete',
    path: '/alert-rules/:id',
    summary: 'Remove a routing rule',
    role: 'admin',
    verb: (deps, { id }, actor) => deleteAlertRule(deps, { ruleId: id }, actor),
    success: 200,
  }),
};

export const alertRuleOperations = Object.values(alertRuleOps);
