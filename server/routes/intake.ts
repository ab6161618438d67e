import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Deps } from '../deps.ts';
import type { ReceivedAlerts } from '../domain/alerts/inputs.ts';
import { receiveAlerts } from '../domain/alerts/receive-alerts.ts';
import { type AuthEnv, intakeAuth } from '../http/auth.ts';
import { noStore, refuseBodyOver } from '../http/limits.ts';
import { readJsonBody } from '../http/json-body.ts';
import { parseAlertmanager } from '../intake/alertmanager.ts';
import { parseDatadog } from '../intake/datadog.ts';
import { parseGeneric } from '../intake/generic.ts';
import { parseGrafana } from '../intake/grafana.ts';
import { parsePagerduty, verifyPagerdutySignature } from '../intake/pagerduty.ts';

/**
 * An Alertmanager group of 1,000 alerts with their labels and annotations is a few hundred KB;
 * more than 1 MB is not an alert.
 */
export const INTAKE_BODY_LIMIT = 1024 * 1024;

type Adapter = (
  body: unknown,
  raw: string,
  bytes: Uint8Array,
  header: (n: string) => string | undefined,
) => ReceivedAlerts | null;

/**
 * Alerts in: one POST endpoint per monitoring system, each an adapter that parses its payload
 * strictly and hands the typed alerts to `receiveAlerts`. Only intake tokens get in; bodies are
 * limited before they are read.
 */
export function intakeRoutes(deps: Deps) {
  const adapters: Record<string, Adapter> = {
    alertmanager: (body, raw) => parseAlertmanager(body, raw),
    grafana: (body, raw) => parseGrafana(body, raw),
    datadog: (body, raw) => parseDatadog(body, raw),
    pagerduty: (body, raw, bytes, header) => {
      const secret = deps.config.pagerdutyWebhookSecret;
      if (secret) verifyPagerdutySignature(secret, bytes, header('x-pagerduty-signature'));
      return parsePagerduty(body, raw);
    },
    generic: (body, raw) => parseGeneric(body, raw),
  };
  const app = new Hono<AuthEnv>();
  app.use('*', noStore);
  app.use(
    '*',
    refuseBodyOver(
      INTAKE_BODY_LIMIT,
      `The payload is larger than ${INTAKE_BODY_LIMIT / 1024} KB; send fewer alerts per notification (max_alerts in Alertmanager).`,
    ),
  );
  for (const [source, adapt] of Object.entries(adapters)) {
    app.post(`/${source}`, intakeAuth(deps), async (c) => {
      const {
        bytes,
        text: raw,
        value: body,
      } = await readJsonBody(c, {
        wrongType: 'Send the payload as JSON with Content-Type: application/json (UTF-8).',
      });
      if (!body || typeof body !== 'object' || Array.isArray(body))
        throw new HTTPException(400, { message: 'The payload must be a JSON object.' });
      const batch = adapt(body, raw, bytes, (n) => c.req.header(n));
      if (!batch) return c.json({ reports: [], note: 'This event changes no alert state.' }, 202);
      const reports = await receiveAlerts(deps, batch, c.get('actor'));
      return c.json({ reports }, 202);
    });
    app.all(`/${source}`, (c) => {
      c.header('Allow', 'POST');
      throw new HTTPException(405, {
        message: `${c.req.method} is not allowed; POST alerts here.`,
      });
    });
  }
  return app;
}
