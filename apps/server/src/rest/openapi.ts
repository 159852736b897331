import { IngestFormatSchema, IngestKindSchema } from '@aihub/core';
import { z } from 'zod';
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiOverride,
  type ZodOpenApiPathsObject,
} from 'zod-openapi';
import * as answers from './answers.js';
import { fieldKind, objectShape, routerProcedures } from './procedures.js';
import { modelRefFields, REST_ROUTES, type RestRoute } from './routes.js';

/*
 * The OpenAPI 3.1 document (GET /openapi.json), generated from the route table and the procedures'
 * own zod input schemas by zod-openapi. Model artifact uploads and file ingest, which stream, are
 * described by hand below.
 */

const ERROR_STATUSES: Record<string, string> = {
  '400': 'Invalid input: `fieldErrors` names each field and why',
  '401': 'No valid API key',
  '403': 'The key may not do this',
  '404': 'Not found',
  '409': 'Conflict with the current state',
  '412': 'A precondition failed (e.g. a stored artifact no longer matches its sha256)',
  '413': 'Too large',
  '500': 'Unexpected error (with the request id)',
  '503': 'A backing service is unavailable',
};

const errorContent = { 'application/json': { schema: answers.ErrorBody } };

function errorResponses(route: Pick<RestRoute, 'public'>) {
  return Object.fromEntries(
    Object.entries(ERROR_STATUSES)
      .filter(([status]) => !(route.public && (status === '401' || status === '403')))
      .map(([status, description]) => [status, { description, content: errorContent }]),
  );
}

/** Path parameters as documented: the REST names (`model_id`), whatever input fields they become. */
function pathParameters(route: RestRoute) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, param] of Object.entries(route.params ?? {})) {
    shape[name] = z.string().meta({ description: param.description, example: param.example });
  }
  return z.object(shape);
}

/** The input fields not given by the path. */
function remainingShape(route: RestRoute, input: z.ZodType): Record<string, z.ZodType> {
  const shape = { ...(objectShape(input) ?? {}) };
  for (const param of Object.values(route.params ?? {}))
    for (const field of modelRefFields(param)) delete shape[field];
  return shape;
}

function operation(route: RestRoute): ZodOpenApiOperationObject {
  const procedure = routerProcedures().get(route.procedure);
  if (!procedure) throw new Error(`No procedure ${route.procedure}`);
  const noun = route.path.split('/')[2] ?? 'ai';
  const bodyMethod = route.method === 'POST' || route.method === 'PUT';
  const remaining = procedure.input ? remainingShape(route, procedure.input) : {};
  const hasRemaining = Object.keys(remaining).length > 0;
  const requestParams: { path?: z.ZodObject; query?: z.ZodObject } = {};
  if (route.params) requestParams.path = pathParameters(route);
  if (!bodyMethod && hasRemaining) {
    const examples = route.example?.query ?? {};
    requestParams.query = z.object(
      Object.fromEntries(
        Object.entries(remaining).map(([key, schema]) => {
          const example = examples[key];
          if (example === undefined) return [key, schema];
          // Shown as the value the schema takes (`limit: 20`), not as the text of the URL.
          const { kind, element } = fieldKind(schema);
          const typed = (v: string) => ((kind === 'array' ? element : kind) === 'number' ? Number(v) : v);
          return [
            key,
            schema.meta({ example: Array.isArray(example) ? example.map(typed) : typed(example) }),
          ];
        }),
      ),
    );
  }
  const op: ZodOpenApiOperationObject = {
    operationId: `${route.procedure}${route.path.endsWith('/') ? 'Slash' : ''}`,
    summary: route.summary,
    description: `Calls the tRPC procedure \`${route.procedure}\` (same input and answer).`,
    tags: [noun],
    requestParams,
    responses: {
      '200': { description: 'The answer', content: { 'application/json': { schema: route.answer } } },
      ...errorResponses(route),
    },
  };
  if (bodyMethod && hasRemaining) {
    op.requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: z.object(remaining),
          ...(route.example?.body ? { example: route.example.body } : {}),
        },
      },
    };
  }
  if (route.public) op.security = [];
  return op;
}

/** The streaming endpoints beside the procedures. */
function streamingPaths(): ZodOpenApiPathsObject {
  return {
    '/v1/models/uploads/{version_id}': {
      put: {
        operationId: 'models.upload',
        summary: "Upload a registered version's artifact (streamed into object storage, sha256 checked)",
        description:
          'Step two of POST /ai/models/register: send the bytes as the body (any length; not held in memory). The version becomes `ready` when size and sha256 match what was declared. POST is accepted too.',
        tags: ['models'],
        requestParams: {
          path: z.object({
            version_id: z.uuid().meta({ description: 'The id of the pending version registered' }),
          }),
        },
        requestBody: {
          required: true,
          content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
        },
        responses: {
          '200': {
            description: 'Stored and verified',
            content: { 'application/json': { schema: z.object({ version: answers.ModelVersion }) } },
          },
          ...errorResponses({}),
        },
      },
    },
    '/v1/ingest/{kind}': {
      post: {
        operationId: 'ingest.file',
        summary: 'Ingest a CSV or NDJSON file, streamed (one transaction per file)',
        description:
          'Columns: entities `entity_id,location_id,timezone`; readings `entity_id,metric,ts,value`; weather `location_id,ts,issued_at,temperature_c,humidity_pct,wind_speed_ms,solar_radiation_wm2,precipitation_mm`. Bad lines are reported with their line number; valid ones kept unless strict=true.',
        tags: ['ingest'],
        requestParams: {
          path: z.object({ kind: IngestKindSchema }),
          query: z.object({
            format: IngestFormatSchema.optional().meta({
              description: 'Default: from the content type (ndjson for application/x-ndjson), else csv',
            }),
            strict: z
              .enum(['true', 'false'])
              .optional()
              .meta({ description: 'Refuse the whole file on any bad line' }),
          }),
        },
        requestBody: {
          required: true,
          content: {
            'text/csv': {
              schema: z.string(),
              example: 'entity_id,metric,ts,value\nmeter-1,kwh,2026-03-01T10:15:00Z,1.25\n',
            },
            'application/x-ndjson': { schema: z.string() },
          },
        },
        responses: {
          '200': {
            description: 'What was stored',
            content: { 'application/json': { schema: answers.IngestSummary } },
          },
          ...errorResponses({}),
        },
      },
    },
  };
}

type SchemaDef = { type: string; options?: { _zod: { def: { type: string } } }[] };

/**
 * Dates are ISO 8601 strings on the wire, in both directions: a Date answered, and the date inputs
 * (`Date | string`, core's TimestampInputSchema), which over JSON can only be a string.
 */
const dateAsDateTime: ZodOpenApiOverride = (ctx) => {
  const def = ctx.zodSchema._zod.def as SchemaDef;
  const isDateUnion = def.type === 'union' && def.options?.some((o) => o._zod.def.type === 'date');
  if (def.type !== 'date' && !isDateUnion) return;
  delete ctx.jsonSchema.anyOf;
  delete ctx.jsonSchema.oneOf;
  ctx.jsonSchema.type = 'string';
  ctx.jsonSchema.format = 'date-time';
  ctx.jsonSchema.description ??= 'ISO 8601 with a time zone, e.g. 2026-03-01T00:00:00Z';
};

let cached: object | undefined;

/** The document (built once; it depends only on the code). */
export function openApiDocument(): object {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const route of REST_ROUTES) {
    paths[route.path] ??= {};
    const item = paths[route.path] as NonNullable<ZodOpenApiPathsObject[string]>;
    const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
    item[method] = operation(route);
  }
  Object.assign(paths, streamingPaths());
  cached = createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'AI Hub',
        version: '0.1.0',
        description:
          'Feature store and model registry. Every route calls the tRPC procedure it names (the same procedures as `/trpc/<procedure>`): same inputs, answers, roles and error codes. Dates are ISO 8601 strings with a zone. Errors: `{ "error": { code, message, requestId, fieldErrors } }`.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'This server' }],
      security: [{ bearer: [] }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'An AI Hub API key: `Authorization: Bearer <key>`',
          },
        },
      },
      paths,
    },
    { override: dateAsDateTime },
  );
  return cached;
}
