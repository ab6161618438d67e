import { z } from 'zod';

/** One admin API operation: the route table both Hono and the OpenAPI document are built from. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono path below /api/admin, e.g. `/incidents/:id/updates`. */
  path: string;
  summary: string;
  role: 'admin' | 'responder' | 'viewer';
  /** The domain verb's own input schema (fields taken from the path are left out). */
  body?: z.ZodType;
  /** The path field filled from the URL's `:id` (`incidentId`, ...), left out of the body. */
  omit?: string[];
  /** An empty body means `{}` (steps such as "start now" take no fields). */
  optionalBody?: boolean;
  query?: Record<string, string>;
  /** The largest body this operation reads (default `DEFAULT_BODY_LIMIT`); more is a 413. */
  maxBodyBytes?: number;
  success: number;
}

/** Admin API bodies are a few fields of text: 64 KB is far above any real one. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

function jsonSchema(schema: z.ZodType, omit: string[] = []): Record<string, unknown> {
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def;
      // Dates travel as ISO 8601 strings; in-process callers may also hand in a Date.
      const js = ctx.jsonSchema as Record<string, unknown> & { anyOf?: { format?: string }[] };
      const isInstant = js.anyOf?.every((o) => o.format === 'date-time' || !('type' in o));
      if (def.type === 'date' || (def.type === 'union' && isInstant)) {
        for (const k of Object.keys(js)) delete js[k];
        js.type = 'string';
        js.format = 'date-time';
      }
    },
  }) as Record<string, unknown> & { properties?: Record<string, unknown>; required?: string[] };
  delete js.$schema;
  // Path fields (incidentId, ...) are filled from the URL, so the body does not carry them.
  for (const k of omit) {
    delete js.properties?.[k];
    if (js.required) js.required = js.required.filter((r) => r !== k);
  }
  return js;
}

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          examples: [
            'validation_failed',
            'bad_request',
            'unauthorized',
            'forbidden',
            'not_found',
            'conflict',
            'method_not_allowed',
            'payload_too_large',
            'unsupported_media_type',
            'idempotency_key_reused',
            'idempotency_key_in_use',
            'idempotency_answer_not_kept',
          ],
        },
        message: { type: 'string' },
        fields: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'Field name to what is wrong with it.',
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document, generated from the operations and the domain's zod schemas. */
export function buildOpenApi(ops: ApiOperation[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const path = `/api/admin${op.path.replace(/:(\w+)/g, '{$1}')}`;
    const params = [...op.path.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(op.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    const err = (description: string) => ({
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    });
    const responses: Record<string, unknown> = {
      [String(op.success)]: {
        description: 'Success',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      401: err('No token, or an unknown or revoked one'),
      403: err(op.role === 'admin' ? 'The token or user is not an admin' : 'Not allowed'),
    };
    if (params.length) responses[404] = err('No object with that id');
    if (op.body) {
      responses[400] = err('The body is not a UTF-8 JSON object');
      responses[413] = err(
        `The body is larger than ${Math.round((op.maxBodyBytes ?? DEFAULT_BODY_LIMIT) / 1024)} KB`,
      );
      responses[415] = err('The Content-Type is not application/json');
      responses[422] = err(
        'Invalid input (a wrong type, range or unknown field); `fields` names each problem',
      );
    }
    // Every write takes an optional Idempotency-Key (server/http/idempotency.ts).
    const once =
      op.method === 'get'
        ? []
        : [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description:
                'Any 1-255 visible ASCII characters (a UUID). Sent again with the same request, it answers the first result (with `Idempotent-Replayed: true`) instead of doing it twice; kept for 24 hours.',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ];
    if (once.length) {
      responses[409] = err(
        'A conflict with the current state; or `idempotency_key_in_use`: the first request with this Idempotency-Key still runs (retry after `Retry-After`)',
      );
      responses[422] = err(
        op.body
          ? 'Invalid input (a wrong type, range or unknown field); `fields` names each problem. Or `idempotency_key_reused`: this Idempotency-Key was used for a different request'
          : '`idempotency_key_reused`: this Idempotency-Key was used for a different request',
      );
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      description: `Needs the ${op.role} role.`,
      operationId: `${op.method}${op.path.replace(/[/:](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      parameters: [...params, ...query, ...once],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(op.body, op.omit) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Herald admin API',
      version: '1',
      description:
        'Declare and update incidents, set component status and schedule maintenance. Authenticate with `Authorization: Bearer <token>` (create one with `npx herald token create`). Request bodies are validated by the same schemas as the admin form.',
    },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: errorSchema },
    },
    paths,
  };
}
