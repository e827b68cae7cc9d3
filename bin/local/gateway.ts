/**
 * The local stand-in for API Gateway (HTTP API, payload v2): matches a request against the route
 * table, builds the same `APIGatewayProxyEventV2` AWS would send, and calls the Lambda handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ROUTES, routeKey, type LambdaName } from '../../functions/http/routes.js';
import { errorBody } from '../../functions/http/api.js';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  key: string;
  method: string;
  lambda: LambdaName;
  regex: RegExp;
  params: string[];
}

const compiled: CompiledRoute[] = ROUTES.map((r) => {
  const params: string[] = [];
  const pattern = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { key: routeKey(r), method: r.method, lambda: r.lambda, regex: new RegExp(`^${pattern}$`), params };
});

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string | number | boolean> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

const errorJson = (code: string, message: string) => JSON.stringify(errorBody(code, message));

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Builds the v2 event for a matched route (exported for tests of the event shape). */
export function toApiGatewayEvent(
  req: { method: string; url: URL; headers: Record<string, string>; body?: string },
  route: { key: string; params: Record<string, string> },
): APIGatewayProxyEventV2 {
  const query: Record<string, string> = {};
  // API Gateway joins repeated query parameters with commas.
  for (const [k, v] of req.url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: route.key,
    rawPath: req.url.pathname,
    rawQueryString: req.url.search.replace(/^\?/, ''),
    headers: req.headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(route.params).length ? route.params : undefined,
    body: req.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: req.headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: { method: req.method, path: req.url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: req.headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: route.key,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

export function createGateway(handlers: Record<LambdaName, LambdaHandler>, log: (msg: string) => void = () => undefined): Server {
  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      let matched: { route: CompiledRoute; params: Record<string, string> } | undefined;
      let pathMatchedOtherMethod = false;
      for (const route of compiled) {
        const m = route.regex.exec(url.pathname);
        if (!m) continue;
        if (route.method !== method) {
          pathMatchedOtherMethod = true;
          continue;
        }
        const params: Record<string, string> = {};
        try {
          route.params.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
        } catch {
          return send(res, 400, errorJson('invalid_input', 'Malformed percent-encoding in path'));
        }
        matched = { route, params };
        break;
      }
      if (!matched) {
        return pathMatchedOtherMethod
          ? send(res, 405, errorJson('method_not_allowed', `${method} is not allowed on ${url.pathname}`))
          : send(res, 404, errorJson('not_found', `No route for ${method} ${url.pathname}`));
      }
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, errorJson('payload_too_large', `Body over ${MAX_BODY_BYTES} bytes`));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const event = toApiGatewayEvent(
        { method, url, headers, body: body.length ? body.toString('utf8') : undefined },
        { key: matched.route.key, params: matched.params },
      );
      const result = await handlers[matched.route.lambda](event, lambdaContext(matched.route.lambda));
      send(res, result.statusCode ?? 200, typeof result.body === 'string' ? result.body : '', (result.headers ?? {}) as Record<string, string>);
    } catch (err) {
      // A handler that throws past its error middleware is a bug: API Gateway would answer 500 too.
      log(`gateway: handler crashed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) send(res, 500, errorJson('internal', 'Internal error'));
    }
  });
}
