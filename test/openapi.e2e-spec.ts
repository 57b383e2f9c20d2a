// The OpenAPI document is the API's manual: this reads it as served (`/docs/json`, built from the
// real AppModule) and fails on what a reader of the Swagger UI would trip over.
import { createTestApp, type TestApp } from './fixtures/app.js';

interface Schema {
  type?: string;
  format?: string;
  pattern?: string;
  enum?: unknown[];
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  oneOf?: Schema[];
  allOf?: Schema[];
  $ref?: string;
}
interface Parameter {
  name: string;
  in: string;
  example?: unknown;
  schema?: Schema;
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema; example?: unknown }>;
}
interface Operation {
  summary?: string;
  parameters?: Parameter[];
  responses: Record<string, Response>;
  security?: Record<string, string[]>[];
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Record<string, unknown>> };
}

const STRING_ONLY = ['minLength', 'maxLength', 'pattern'] as const;

describe('the OpenAPI document', () => {
  let t: TestApp;
  let doc: Document;
  let operations: { name: string; operation: Operation }[];

  beforeAll(async () => {
    t = await createTestApp({ database: 'pglite', redis: false });
    const res = await t.app.inject({ method: 'GET', url: '/docs/json' });
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
    doc = res.json<Document>();
    operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        name: `${method.toUpperCase()} ${path}`,
        operation,
      })),
    );
  });
  afterAll(() => t?.close());

  it('documents every route, recommendations included', () => {
    expect(operations.length).toBeGreaterThanOrEqual(36);
    expect(doc.paths['/users/{id}/recommendations']?.get).toBeDefined();
  });

  it('gives every operation a summary', () => {
    const without = operations.filter(({ operation }) => !operation.summary?.trim()).map(({ name }) => name);
    expect(without).toEqual([]);
  });

  it('gives every documented error status an example of that very status', () => {
    const wrong: string[] = [];
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const example = response.content?.['application/json']?.example as
          { statusCode?: number; status?: string } | undefined;
        if (example === undefined) wrong.push(`${name} ${status}: no example`);
        // Error bodies carry their status; the readiness probe's body is terminus's, which says `error`.
        else if (example.statusCode !== Number(status) && !(status === '503' && example.status === 'error'))
          wrong.push(`${name} ${status}: example of ${example.statusCode ?? example.status}`);
        if (!response.description?.trim()) wrong.push(`${name} ${status}: no description`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('gives every path parameter a pattern (or a list of values) and an example that fits it', () => {
    const wrong: string[] = [];
    for (const { name, operation } of operations) {
      for (const parameter of operation.parameters?.filter((p) => p.in === 'path') ?? []) {
        const { schema } = parameter;
        const example = parameter.example ?? schema?.example;
        const label = `${name} :${parameter.name}`;
        if (schema?.pattern === undefined && schema?.enum === undefined) wrong.push(`${label}: no pattern`);
        if (typeof example !== 'string') wrong.push(`${label}: no example`);
        else if (schema?.pattern !== undefined && !new RegExp(schema.pattern).test(example))
          wrong.push(`${label}: example ${example} does not match ${schema.pattern}`);
        else if (schema?.enum !== undefined && !schema.enum.includes(example))
          wrong.push(`${label}: example ${example} is not one of the values`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('shows real types: no bare `object`, and string constraints only on strings', () => {
    const wrong: string[] = [];
    const check = (where: string, schema: Schema | undefined): void => {
      if (schema === undefined || schema.$ref !== undefined) return;
      if (
        schema.type === 'object' &&
        schema.properties === undefined &&
        schema.additionalProperties === undefined
      )
        wrong.push(`${where}: type object with nothing in it`);
      for (const keyword of STRING_ONLY)
        if (schema[keyword] !== undefined && schema.type !== 'string')
          wrong.push(`${where}: ${keyword} on type ${schema.type ?? 'none'}`);
      for (const [key, property] of Object.entries(schema.properties ?? {}))
        check(`${where}.${key}`, property);
      if (typeof schema.additionalProperties === 'object') check(`${where}.*`, schema.additionalProperties);
      check(`${where}[]`, schema.items);
      schema.oneOf?.forEach((option, i) => check(`${where}|${i}`, option));
      schema.allOf?.forEach((part, i) => check(`${where}&${i}`, part));
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) check(name, schema);
    for (const { name, operation } of operations)
      for (const [status, response] of Object.entries(operation.responses))
        check(`${name} ${status}`, response.content?.['application/json']?.schema);
    expect(wrong).toEqual([]);
    // The field this check was written for.
    expect(doc.components.schemas.CreateVideoDto?.properties?.format?.type).toBe('string');
  });

  it('gives every answer with a body a schema', () => {
    const without = operations.flatMap(({ name, operation }) =>
      Object.entries(operation.responses)
        .filter(([status]) => status !== '204' && status !== '304')
        .filter(([, response]) => response.content?.['application/json']?.schema === undefined)
        .map(([status]) => `${name} ${status}`),
    );
    expect(without).toEqual([]);
  });

  it('describes the body of GET /admin/cache/stats', () => {
    const schema =
      doc.paths['/admin/cache/stats']!.get!.responses['200']!.content?.['application/json']?.schema;
    expect(Object.keys(schema?.properties ?? {})).toEqual(
      expect.arrayContaining(['overall', 'namespaces', 'l1', 'l2', 'alerts', 'warmup', 'predictive']),
    );
    expect(schema?.properties?.overall?.properties?.hitRate?.type).toBe('number');
    expect(schema?.properties?.l2?.properties?.status?.enum).toEqual(['up', 'down', 'disabled']);
  });

  it('documents three plain bearer schemes, none of them a JWT, each used where it applies', () => {
    expect(doc.components.securitySchemes).toEqual({
      'admin-token': expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'user-token': expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      session: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    for (const scheme of Object.values(doc.components.securitySchemes)) {
      expect(scheme).not.toHaveProperty('bearerFormat');
      expect(scheme.description).toEqual(expect.any(String));
    }
    const schemesOf = (path: string, method: string) =>
      (doc.paths[path]![method]!.security ?? []).flatMap((requirement) => Object.keys(requirement));
    expect(schemesOf('/admin/cache/stats', 'get')).toEqual(['admin-token']);
    expect(schemesOf('/config/{key}', 'put')).toEqual(['admin-token']);
    expect(schemesOf('/sessions', 'post')).toEqual(['user-token']);
    expect(schemesOf('/users/{id}', 'get')).toContain('session');
  });
});
