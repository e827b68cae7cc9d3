/**
 * GET /openapi.json is generated from the route table and the zod schemas the handlers validate
 * with: every route must be in it, with its parameters, body, responses and the error shape.
 */
import { describe, expect, it } from 'vitest';
import { buildOpenApi, OPERATIONS } from '../../functions/http/openapi.js';
import { ROUTES, routeKey } from '../../functions/http/routes.js';

const doc = buildOpenApi() as any;

/** Every `$ref` in the document points at something that exists. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refs(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 and lists every route of routes.ts, each with an operation id and a success response', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op, `${routeKey(route)} missing from the OpenAPI document`).toBeDefined();
      expect(op.operationId).toMatch(/^[a-z]+[A-Za-z0-9]*$/);
      expect(Object.keys(op.responses).some((s) => s.startsWith('2'))).toBe(true);
    }
    const ids = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('refuses to build when a route has no schema entry', () => {
    const key = routeKey(ROUTES[0]);
    const saved = OPERATIONS[key];
    delete OPERATIONS[key];
    try {
      expect(() => buildOpenApi()).toThrow(key);
    } finally {
      OPERATIONS[key] = saved;
    }
  });

  it('describes the POST /events body from the zod schema, with 400 and the error shape', () => {
    const op = doc.paths['/events'].post;
    const body = op.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['events']);
    expect(body.properties.events).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
    const event = body.properties.events.items;
    expect(event.required).toEqual(expect.arrayContaining(['eventId', 'userId', 'productId', 'type']));
    expect(event.properties.type.enum).toEqual(['order', 'cart', 'wishlist', 'view', 'review']);
    expect(event.properties.rating).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
    expect(event.properties.text).toMatchObject({ type: 'string', maxLength: 2000 });
    expect(event.properties.recommendationId.type).toBe('string');
    expect(op.responses['400']).toEqual({ $ref: '#/components/responses/E400' });
    const error = doc.components.schemas.Error;
    expect(error.properties.error.required).toEqual(['code', 'message', 'details']);
  });

  it('gives path and query parameters, and 400s on every route that takes input', () => {
    const list = doc.paths['/products'].get;
    expect(list.parameters.map((p: any) => p.name)).toEqual(['limit', 'cursor', 'category', 'status']);
    expect(list.parameters.every((p: any) => p.in === 'query' && p.required === false)).toBe(true);
    const rec = doc.paths['/recommend/{receiverId}/{num}'].get;
    expect(rec.parameters.filter((p: any) => p.in === 'path').map((p: any) => p.name)).toEqual(['receiverId', 'num']);
    expect(rec.parameters.find((p: any) => p.name === 'min_price').schema.pattern).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths) as [string, any][]) {
      for (const [method, op] of Object.entries(ops) as [string, any][]) {
        const takesInput = op.parameters.length > 0 || op.requestBody;
        if (takesInput) expect(op.responses['400'], `${method} ${path}`).toBeDefined();
        if (op['x-access'] !== 'open') expect(op.security).toEqual([{ bearer: [] }]);
      }
    }
    expect(doc.paths['/products/{productId}'].delete.responses['404']).toBeDefined();
  });

  it('has no dangling $ref', () => {
    for (const ref of refs(doc)) {
      const target = ref.replace(/^#\//, '').split('/').reduce((node: any, key) => node?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });
});
