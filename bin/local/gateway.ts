/**
 * The local stand-in for API Gateway (HTTP API, payload v2): matches a request against the route
 * table, builds the same `APIGatewayProxyEventV2` AWS would send, and calls the Lambda handler.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ROUTES, routeKey, type LambdaName, type RouteSpec } from '../../functions/http/routes.js';
import { errorBody } from '../../functions/http/api.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_TYPES, consoleFile } from '../../lib/console-bundle.js';
import { DEFAULT_SCOPES, type AuthScopes } from '../../functions/http/auth.js';
import { jwtAuthorizerContext, type TokenClaims } from './local-auth.js';

/** `AUTH=local`: how the gateway checks bearer tokens, as API Gateway's JWT authorizer would. */
export interface GatewayAuth {
  verify(token: string): TokenClaims | undefined;
  scopes?: AuthScopes;
}

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const MAX_BODY_BYTES = 1024 * 1024;

interface CompiledRoute {
  key: string;
  method: string;
  lambda: LambdaName;
  access: RouteSpec['access'];
  regex: RegExp;
  params: string[];
}

const compiled: CompiledRoute[] = ROUTES.map((r) => {
  const params: string[] = [];
  const pattern = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { key: routeKey(r), method: r.method, lambda: r.lambda, access: r.access, regex: new RegExp(`^${pattern}$`), params };
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
  res.writeHead(status, { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(body) });
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

/** Node's HTTP parser errors → the status API Gateway would give, all with the JSON error body. */
const PARSER_ERRORS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'headers_too_large', 'Request line or headers too large'],
  HPE_INVALID_METHOD: [400, 'invalid_request', 'Invalid HTTP method (methods are upper case: GET, PUT, POST)'],
  HPE_INVALID_URL: [400, 'invalid_request', 'Invalid request URL'],
  HPE_INVALID_VERSION: [400, 'invalid_request', 'Invalid HTTP version'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'request_timeout', 'Request not received in time'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'request_timeout', 'Headers not received in time'],
};

/**
 * Answers a request Node's parser refused (`clientError`) with the JSON error shape instead of
 * Node's default empty `400 Bad Request`, then closes the connection (its framing is unknown).
 */
function answerClientError(err: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Duplex, log: (msg: string) => void): void {
  // A client that went away has nobody left to answer.
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] = PARSER_ERRORS[err.code ?? ''] ?? [400, 'invalid_request', 'Malformed HTTP request'];
  const body = errorJson(code, message);
  log(`gateway: refused malformed request (${err.code ?? err.message}) → ${status}`);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The client hung up before the answer: not a crash, just logged as an abort. */
function clientAborted(req: IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as Error | undefined)?.message === 'aborted';
}

function parseUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** Serves a file of the console bundle; false when the path is not one. */
async function sendConsoleFile(res: ServerResponse, urlPath: string, method: string): Promise<boolean> {
  // Deployed, config.json names the API's URL; here the API is this origin.
  if (urlPath === '/config.json') {
    send(res, 200, JSON.stringify({ apiUrl: '' }), { 'cache-control': 'no-store' });
    return true;
  }
  const file = consoleFile(urlPath);
  if (!file) return false;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': bytes.length, 'cache-control': 'no-cache' });
  res.end(method === 'HEAD' ? undefined : bytes);
  return true;
}

/**
 * The JWT authorizer's part, locally: a route with an authorizer needs a valid bearer token (401),
 * and an `admin`/`service` route one of its scopes (403), exactly the checks API Gateway makes
 * before the Lambda runs. Returns the authorizer context for the event, or the error to send.
 */
function authorizeAtGateway(auth: GatewayAuth, access: RouteSpec['access'], header: string | undefined): { context?: ReturnType<typeof jwtAuthorizerContext>; error?: [number, string, string] } {
  if (access === 'open') return {};
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
  const claims = token ? auth.verify(token) : undefined;
  if (!claims) return { error: [401, 'unauthorized', token ? 'Invalid or expired bearer token' : 'A bearer token is required (AUTH=local: npm run token -- --sub ID)'] };
  const context = jwtAuthorizerContext(claims);
  const scopes = auth.scopes ?? DEFAULT_SCOPES;
  const required = access === 'admin' ? [scopes.admin] : access === 'service' ? [scopes.service, scopes.admin] : [];
  if (required.length > 0 && !required.some((s) => context.jwt.scopes?.includes(s))) {
    return { error: [403, 'forbidden', `This route needs the ${required.join(' or ')} scope`] };
  }
  return { context };
}

export function createGateway(handlers: Record<LambdaName, LambdaHandler>, log: (msg: string) => void = () => undefined, auth?: GatewayAuth): Server {
  const server = createServer(async (req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) log(`gateway: client aborted ${req.method} ${req.url} before the answer`);
    });
    try {
      const url = parseUrl(req.url);
      if (!url) return send(res, 400, errorJson('invalid_request', 'Invalid request URL'));
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
      if (!matched && !pathMatchedOtherMethod && (method === 'GET' || method === 'HEAD')) {
        // The operator console: on AWS the same files are on S3 behind CloudFront (lib/operator-console.ts).
        // `/` is the console for browsers; API clients (curl, fetch) asking for `*/*` get where things are, as JSON.
        if (url.pathname === '/' && !/text\/html/.test(req.headers.accept ?? '')) {
          return send(res, 200, JSON.stringify({ service: 'gift-recommender', console: '/', openapi: '/openapi.json', api_reference: '/api-reference.html', health: '/health' }));
        }
        if (await sendConsoleFile(res, url.pathname, method)) return;
      }
      if (!matched) {
        return pathMatchedOtherMethod
          ? send(res, 405, errorJson('method_not_allowed', `${method} is not allowed on ${url.pathname}`))
          : send(res, 404, errorJson('not_found', `No route for ${method} ${url.pathname}`));
      }
      let authorizer: ReturnType<typeof jwtAuthorizerContext> | undefined;
      if (auth) {
        const outcome = authorizeAtGateway(auth, matched.route.access, req.headers.authorization);
        if (outcome.error) {
          req.resume();
          return send(res, outcome.error[0], errorJson(outcome.error[1], outcome.error[2]));
        }
        authorizer = outcome.context;
      }
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, errorJson('payload_too_large', `Body over ${MAX_BODY_BYTES} bytes`));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
      const event = toApiGatewayEvent(
        { method, url, headers, body: body.length ? body.toString('utf8') : undefined },
        { key: matched.route.key, params: matched.params },
      );
      if (authorizer) (event.requestContext as { authorizer?: unknown }).authorizer = authorizer;
      const result = await handlers[matched.route.lambda](event, lambdaContext(matched.route.lambda));
      send(res, result.statusCode ?? 200, typeof result.body === 'string' ? result.body : '', (result.headers ?? {}) as Record<string, string>);
    } catch (err) {
      // Logged by the 'close' listener above.
      if (clientAborted(req, err)) return;
      // A handler that throws past its error middleware is a bug: API Gateway would answer 500 too.
      log(`gateway: handler crashed: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) send(res, 500, errorJson('internal', 'Internal error'));
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, log));
  return server;
}
