import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambdas behind HTTP routes (docs/architecture.md › Folders). */
export type ApiFunctionName = 'recommend' | 'events' | 'catalog' | 'users' | 'status';

/** Who may call a route: anyone, any signed-in app user, or a token carrying the admin scope. */
export type RouteAccess = 'open' | 'app' | 'admin';

/** One route of DESIGN.md › API. */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly fn: ApiFunctionName;
  readonly access: RouteAccess;
}

/** Every route of DESIGN.md › API (contract), the Lambda it goes to and who may call it. */
export const API_ROUTES: readonly ApiRoute[] = [
  { method: HttpMethod.GET, path: '/recommend/{receiverId}/{num}', fn: 'recommend', access: 'app' },
  { method: HttpMethod.GET, path: '/recommendations/{userId}', fn: 'recommend', access: 'app' },
  { method: HttpMethod.POST, path: '/events', fn: 'events', access: 'app' },
  { method: HttpMethod.GET, path: '/products/{productId}', fn: 'catalog', access: 'app' },
  { method: HttpMethod.PUT, path: '/products/{productId}', fn: 'catalog', access: 'admin' },
  { method: HttpMethod.GET, path: '/products/{productId}/similar', fn: 'catalog', access: 'app' },
  { method: HttpMethod.GET, path: '/products/{productId}/image', fn: 'catalog', access: 'app' },
  { method: HttpMethod.POST, path: '/products/{productId}/image', fn: 'catalog', access: 'admin' },
  { method: HttpMethod.GET, path: '/users/{userId}', fn: 'users', access: 'app' },
  { method: HttpMethod.PUT, path: '/users/{userId}', fn: 'users', access: 'admin' },
  { method: HttpMethod.GET, path: '/model', fn: 'status', access: 'admin' },
  { method: HttpMethod.GET, path: '/health', fn: 'status', access: 'open' },
];

/** Options for {@link RecommendationApi}. */
export interface RecommendationApiProps {
  readonly functions: Record<ApiFunctionName, IFunction>;
  /** Trusted JWT issuer URL (Cognito pool or external). */
  readonly jwtIssuer: string;
  /** Accepted `aud` / `client_id` values. */
  readonly jwtAudience: string[];
  /** Scope required on `admin` routes. */
  readonly adminScope: string;
  /** Stage-wide steady rate (requests/s) and burst. */
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly corsOrigins: string[];
  readonly logRetention: RetentionDays;
}

/**
 * The HTTP API (API Gateway v2) in front of the five request/response Lambdas: one JWT authorizer,
 * admin routes additionally requiring the admin scope, only `GET /health` open; stage throttling and
 * JSON access logs in a log group with fixed retention.
 */
export class RecommendationApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: RecommendationApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Gift recommender API (DESIGN.md › API)',
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: props.corsOrigins,
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.PUT, CorsHttpMethod.POST],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            sub: '$context.authorizer.claims.sub',
            clientId: '$context.authorizer.claims.client_id',
          }),
        ),
      },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: props.jwtAudience,
      identitySource: ['$request.header.Authorization'],
    });
    const integrations = new Map<ApiFunctionName, HttpLambdaIntegration>();
    for (const route of API_ROUTES) {
      let integration = integrations.get(route.fn);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${route.fn}Integration`, props.functions[route.fn]);
        integrations.set(route.fn, integration);
      }
      const auth: { authorizer?: IHttpRouteAuthorizer; authorizationScopes?: string[] } =
        route.access === 'open' ? {} : route.access === 'app' ? { authorizer } : { authorizer, authorizationScopes: [props.adminScope] };
      const [created] = this.api.addRoutes({ path: route.path, methods: [route.method], integration, ...auth });
      if (route.access === 'open') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'GET /health is the load-balancer/uptime probe of DESIGN.md and returns only {status, model_version}.',
        });
      }
    }
  }
}
