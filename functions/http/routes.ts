/**
 * Every HTTP route of DESIGN.md › API and the Lambda (folder under functions/) that serves it.
 * The single source for the CDK HTTP API and the local gateway.
 */
export type LambdaName = 'recommend' | 'events' | 'catalog' | 'users' | 'status';

export interface RouteSpec {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  lambda: LambdaName;
  /** Who may call it on AWS: the app's signed-in users, admins (catalog/user writes), or anyone. */
  access: 'app' | 'admin' | 'public';
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/recommend/{receiverId}/{num}', lambda: 'recommend', access: 'app' },
  { method: 'GET', path: '/recommendations/{userId}', lambda: 'recommend', access: 'app' },
  { method: 'POST', path: '/events', lambda: 'events', access: 'app' },
  { method: 'PUT', path: '/products/{productId}', lambda: 'catalog', access: 'admin' },
  { method: 'GET', path: '/products/{productId}', lambda: 'catalog', access: 'app' },
  { method: 'POST', path: '/products/{productId}/image', lambda: 'catalog', access: 'admin' },
  { method: 'GET', path: '/products/{productId}/image', lambda: 'catalog', access: 'app' },
  { method: 'GET', path: '/products/{productId}/similar', lambda: 'catalog', access: 'app' },
  { method: 'PUT', path: '/users/{userId}', lambda: 'users', access: 'admin' },
  { method: 'GET', path: '/users/{userId}', lambda: 'users', access: 'app' },
  { method: 'GET', path: '/health', lambda: 'status', access: 'public' },
  { method: 'GET', path: '/model', lambda: 'status', access: 'admin' },
];

export const routeKey = (r: Pick<RouteSpec, 'method' | 'path'>): string => `${r.method} ${r.path}`;
