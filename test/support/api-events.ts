/** Builds API Gateway HTTP API (payload v2) events exactly as the gateway / AWS deliver them. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext, toApiGatewayEvent } from '../../bin/local/gateway.js';

export function apiEvent(
  routeKey: string,
  params: Record<string, string> = {},
  query: Record<string, string> = {},
  body?: unknown,
): APIGatewayProxyEventV2 {
  const [method, template] = routeKey.split(' ');
  const rawPath = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  const url = new URL(`http://localhost${rawPath}`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return toApiGatewayEvent(
    { method, url, headers: { 'content-type': 'application/json', host: 'localhost' }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) },
    { key: routeKey, params },
  );
}

type AnyHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Invokes a handler like the Lambda runtime does and parses the JSON answer. */
export async function invoke(handler: unknown, event: APIGatewayProxyEventV2): Promise<{ status: number; body: any }> {
  const res = await (handler as AnyHandler)(event, lambdaContext('test'));
  return { status: res.statusCode ?? 200, body: res.body ? JSON.parse(res.body) : undefined };
}
