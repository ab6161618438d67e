import { z } from 'zod';

/** One admin API operation: the route table both Hono and the OpenAPI document are built from. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Hono path below /api/admin, e.g. `/incidents/:id/updates`. */
  path: string;
  summary: string;
  role: 'admin' | 'responder';
  /** The domain verb's own input schema (fields taken from the path are left out). */
  body?: z.ZodType;
  omit?: string[];
  query?: Record<string, string>;
  success: number;
}

function jsonSchema(schema: z.ZodType, omit: string[] = []): Record<string, unknown> {
  const js = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def;
      if (def.type === 'date') {
        ctx.jsonSchema.type = 'string';
        ctx.jsonSchema.format = 'date-time';
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
          examples: ['validation_failed', 'unauthorized', 'forbidden', 'not_found', 'conflict'],
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
      responses[400] = err('The body is not JSON');
      responses[422] = err('Invalid input; `fields` names each problem');
    }
    paths[path] ??= {};
    paths[path][op.method] = {
      summary: op.summary,
      description: `Needs the ${op.role} role.`,
      operationId: `${op.method}${op.path.replace(/[/:](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '')}`,
      parameters: [...params, ...query],
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
