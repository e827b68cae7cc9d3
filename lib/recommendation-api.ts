import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
  type CfnStage,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES, type LambdaName, type RouteSpec } from '../functions/http/routes.js';

/** The Lambdas behind HTTP routes (docs/architecture.md › Folders). */
export type ApiFunctionName = LambdaName;

/** One route of the API, in CDK terms. */
export interface ApiRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly fn: ApiFunctionName;
  readonly access: RouteSpec['access'];
}

/** Every route of the API (functions/http/routes.ts, shared with the local gateway). */
export const API_ROUTES: readonly ApiRoute[] = ROUTES.map((r) => ({ method: HttpMethod[r.method], path: r.path, fn: r.lambda, access: r.access }));

/** Options for {@link RecommendationApi}. */
export interface RecommendationApiProps {
  readonly functions: Record<ApiFunctionName, IFunction>;
  /** Trusted JWT issuer URL (Cognito pool or external). */
  readonly jwtIssuer: string;
  /** Accepted `aud` / `client_id` values. */
  readonly jwtAudience: string[];
  /** Scope required on `admin` routes. */
  readonly adminScope: string;
  /** Scope of the app's backend; `service` routes take it or the admin scope. Default `gift-recommender/service`. */
  readonly serviceScope?: string;
  /** Per-route throttle of the write routes (PUT/POST). Default 50 requests/s, burst 100. */
  readonly writeRateLimit?: number;
  readonly writeBurstLimit?: number;
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
      description: 'Gift recommender API',
      createDefaultStage: false,
      // CORS only for the origins the deployment names (context corsOrigins); default none.
      corsPreflight:
        props.corsOrigins.length > 0
          ? {
              allowOrigins: props.corsOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.PUT, CorsHttpMethod.POST, CorsHttpMethod.DELETE],
              allowHeaders: ['authorization', 'content-type'],
              maxAge: Duration.hours(1),
            }
          : undefined,
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
      // The authorizer checks the token and, where a route needs a scope, that the token has one
      // of them; who may act for whom (self, receivers, redaction) is the handlers' part (functions/http/auth.ts).
      const scopes = route.access === 'admin' ? [props.adminScope] : route.access === 'service' ? [props.serviceScope ?? 'gift-recommender/service', props.adminScope] : undefined;
      const auth: { authorizer?: IHttpRouteAuthorizer; authorizationScopes?: string[] } =
        route.access === 'open' ? {} : scopes ? { authorizer, authorizationScopes: scopes } : { authorizer };
      const [created] = this.api.addRoutes({ path: route.path, methods: [route.method], integration, ...auth });
      if (route.access === 'open') {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'GET /health is the load-balancer/uptime probe and returns only {status, model_version}.',
        });
      }
    }
    // Writes get their own, lower ceiling per route: a runaway client loop on POST /events or a
    // bulk import cannot eat the stage's whole budget for recommendations.
    // (routeSettings is raw CloudFormation JSON: PascalCase keys.)
    const writes = API_ROUTES.filter((r) => r.method === HttpMethod.PUT || r.method === HttpMethod.POST);
    (this.stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      writes.map((r) => [`${r.method} ${r.path}`, { ThrottlingRateLimit: props.writeRateLimit ?? 50, ThrottlingBurstLimit: props.writeBurstLimit ?? 100 }]),
    );
  }
}
