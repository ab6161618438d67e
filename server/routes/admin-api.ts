import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from '../deps.ts';
import { apiAuth, type AuthEnv, requireRole } from '../http/auth.ts';
import { noStore, refuseBodyOver } from '../http/limits.ts';
import { buildOpenApi, DEFAULT_BODY_LIMIT } from '../http/openapi.ts';
import { accountOperations } from './accounts.ts';
import { alertRuleOperations } from './alert-rules.ts';
import { broadcastOperations } from './broadcasts.ts';
import { componentOperations } from './components.ts';
import { incidentOperations } from './incidents.ts';
import { maintenanceOperations } from './maintenance.ts';
import { type OperationRow, rowHandler, rowMeta } from './operation.ts';
import { scheduledUpdateOperations } from './scheduled-updates.ts';
import { webhookOperations } from './webhooks.ts';
import { reportOperations } from './reports.ts';
import { followUpOperations, postmortemOperations, recordOperations } from './record.ts';
import { audienceOperations } from './audiences.ts';

/**
 * Every admin operation, declared once. Each resource has one file in routes/ exporting its
 * rows (`xxxOperations`, built with `operation()` from operation.ts): method, path, role, the
 * verb's input schema, the path field, the verb and the success status. The route, its auth,
 * role, body limit, 405s and its entry in /api/admin/openapi.json are derived here; the forms
 * and the CLI run the same rows. To add a resource, add its rows to the list below.
 */
export const operationRows: readonly OperationRow[] = [
  ...accountOperations,
  ...componentOperations,
  ...incidentOperations,
  ...scheduledUpdateOperations,
  ...maintenanceOperations,
  ...broadcastOperations,
  ...webhookOperations,
  ...reportOperations,
  ...alertRuleOperations,
  ...recordOperations,
  ...postmortemOperations,
  ...followUpOperations,
  ...audienceOperations,
];

export function adminApiRoutes(deps: Deps) {
  const app = new Hono<AuthEnv>();
  const ops = operationRows.map((row) => ({ meta: rowMeta(row), handler: rowHandler(deps, row) }));

  app.use('*', noStore);
  app.get('/openapi.json', (c) =>
    c.json(
      buildOpenApi(
        ops.map((o) => o.meta),
        deps.config.publicUrl,
      ),
    ),
  );
  app.use('*', apiAuth(deps));

  for (const { meta, handler } of ops) {
    const maxSize = meta.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
    // Refused from Content-Length before a byte is read (or as soon as a chunked body passes it).
    const limit = refuseBodyOver(
      maxSize,
      `The request body is larger than ${Math.round(maxSize / 1024)} KB.`,
    );
    app.on(meta.method.toUpperCase(), meta.path, limit, requireRole(meta.role), handler);
  }

  // A known path with a method it does not take: 405 with the methods it does.
  const methodsByPath = new Map<string, Set<string>>();
  for (const { meta } of ops) {
    const set = methodsByPath.get(meta.path) ?? new Set<string>();
    set.add(meta.method.toUpperCase());
    if (meta.method === 'get') set.add('HEAD');
    methodsByPath.set(meta.path, set);
  }
  for (const [path, methods] of methodsByPath) {
    const allow = [...methods].join(', ');
    app.all(path, (c) => {
      c.header('Allow', allow);
      throw new HTTPException(405, {
        message: `${c.req.method} is not allowed on ${c.req.path}; use ${allow}.`,
      });
    });
  }
  return app;
}
