/**
 * Every HTTP route of the API and the Lambda (folder under functions/) that serves it.
 * The single source for the CDK HTTP API (lib/recommendation-api.ts) and the local gateway.
 * No imports, so the CDK app can read it without pulling in handler code.
 */
export const API_LAMBDAS = ['recommend', 'events', 'catalog', 'users', 'status'] as const;
export type LambdaName = (typeof API_LAMBDAS)[number];

export interface RouteSpec {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  lambda: LambdaName;
  /**
   * Who may call it (functions/http/auth.ts applies it; the CDK mirrors it in the JWT authorizer):
   * `open` anyone; `app` any signed-in caller; `self` the user the path's `userId` names, or a
   * service/admin token; `service` the app's backend (service or admin scope); `admin` admin scope.
   */
  access: 'open' | 'app' | 'self' | 'service' | 'admin';
}

// Order matters to the CDK only: a Lambda's integration is created with its first route.
export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/recommend/{receiverId}/{num}', lambda: 'recommend', access: 'app' },
  { method: 'GET', path: '/recommendations/{userId}', lambda: 'recommend', access: 'app' },
  { method: 'GET', path: '/recommendation', lambda: 'recommend', access: 'app' },
  { method: 'POST', path: '/events', lambda: 'events', access: 'app' },
  { method: 'GET', path: '/products/{productId}', lambda: 'catalog', access: 'app' },
  { method: 'PUT', path: '/products/{productId}', lambda: 'catalog', access: 'admin' },
  { method: 'DELETE', path: '/products/{productId}', lambda: 'catalog', access: 'admin' },
  { method: 'GET', path: '/products', lambda: 'catalog', access: 'admin' },
  { method: 'GET', path: '/products/{productId}/similar', lambda: 'catalog', access: 'app' },
  { method: 'GET', path: '/products/{productId}/image', lambda: 'catalog', access: 'app' },
  { method: 'POST', path: '/products/{productId}/image', lambda: 'catalog', access: 'admin' },
  { method: 'GET', path: '/users/{userId}', lambda: 'users', access: 'self' },
  { method: 'PUT', path: '/users/{userId}', lambda: 'users', access: 'service' },
  { method: 'GET', path: '/users/{userId}/history', lambda: 'users', access: 'admin' },
  { method: 'GET', path: '/model', lambda: 'status', access: 'admin' },
  { method: 'GET', path: '/metrics', lambda: 'status', access: 'admin' },
  { method: 'GET', path: '/config', lambda: 'status', access: 'admin' },
  { method: 'PUT', path: '/config', lambda: 'status', access: 'admin' },
  { method: 'GET', path: '/health', lambda: 'status', access: 'open' },
  { method: 'GET', path: '/openapi.json', lambda: 'status', access: 'open' },
];

export const routeKey = (r: Pick<RouteSpec, 'method' | 'path'>): string => `${r.method} ${r.path}`;
