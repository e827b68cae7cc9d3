/**
 * Context → StackConfig parsing, and the API's authorization with an external JWT issuer
 * (a small stack of imported functions: no bundling, no full synth).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { ApiAuth } from '../../lib/api-auth.js';
import { RecommendationApi, type ApiFunctionName } from '../../lib/recommendation-api.js';
import { readStackConfig } from '../../lib/stack-config.js';
import { API_LAMBDAS } from '../../functions/http/routes.js';

const configOf = (context: Record<string, unknown>) => readStackConfig(new App({ context }).node);

describe('readStackConfig', () => {
  it('has working defaults', () => {
    const c = configOf({});
    expect(c).toMatchObject({
      retrainRateMinutes: 60,
      adminScope: 'gift-recommender/admin',
      serviceScope: 'gift-recommender/service',
      corsOrigins: [],
      writeRateLimit: 50,
      writeBurstLimit: 100,
      embedConcurrency: 2,
      logRetentionDays: 30,
      retainData: true,
      layerDir: 'layers/build/layer',
      jwtAudience: [],
    });
    expect(c.jwtIssuer).toBeUndefined();
  });

  it('reads strings from -c flags (everything arrives as a string)', () => {
    const c = configOf({ retrainRateMinutes: '15', corsOrigins: 'https://a.example, https://b.example', retainData: 'false', logRetentionDays: '90' });
    expect(c.retrainRateMinutes).toBe(15);
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.retainData).toBe(false);
    expect(c.logRetentionDays).toBe(90);
  });

  it.each([
    [{ retrainRateMinutes: '0' }, /retrainRateMinutes/],
    [{ retrainRateMinutes: '2.5' }, /retrainRateMinutes/],
    [{ logRetentionDays: '31' }, /logRetentionDays/],
    [{ jwtIssuer: 'https://issuer.example' }, /jwtAudience/],
    [{ jwtIssuer: 'http://insecure.example', jwtAudience: 'x' }, /https/],
    [{ retainData: 'yes' }, /retainData/],
    [{ authDomainPrefix: 'Has_Upper' }, /authDomainPrefix/],
    [{ corsOrigins: 'app.example/path' }, /corsOrigins/],
    [{ embedConcurrency: '0' }, /embedConcurrency/],
  ])('rejects %o', (context, message) => {
    expect(() => configOf(context)).toThrow(message);
  });
});

describe('external JWT issuer', () => {
  const stack = new Stack(new App(), 'External', { env: { account: '111111111111', region: 'eu-west-1' } });
  const auth = new ApiAuth(stack, 'Auth', {
    jwtIssuer: 'https://login.example.com/',
    jwtAudience: ['gift-app', 'gift-backoffice'],
    adminScope: 'gifts:admin',
  });
  const fn = (name: string) => LambdaFunction.fromFunctionArn(stack, name, `arn:aws:lambda:eu-west-1:111111111111:function:${name}`);
  const functions = Object.fromEntries(API_LAMBDAS.map((n) => [n, fn(n)])) as Record<ApiFunctionName, ReturnType<typeof fn>>;
  new RecommendationApi(stack, 'Api', {
    functions,
    jwtIssuer: auth.issuer,
    jwtAudience: auth.audience,
    adminScope: auth.adminScope,
    rateLimit: 10,
    burstLimit: 20,
    corsOrigins: ['https://app.example'],
    logRetention: RetentionDays.ONE_WEEK,
  });
  const template = Template.fromStack(stack);

  it('creates no Cognito pool and trusts the given issuer and audiences', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['gift-app', 'gift-backoffice'] },
    });
  });

  it('requires the configured admin scope on admin routes, service or admin on service routes', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    const scoped = Object.fromEntries(routes.filter((r) => r.AuthorizationScopes !== undefined).map((r) => [r.RouteKey, r.AuthorizationScopes]));
    expect(scoped).toEqual({
      'DELETE /products/{productId}': ['gifts:admin'],
      'GET /config': ['gifts:admin'],
      'PUT /config': ['gifts:admin'],
      'GET /metrics': ['gifts:admin'],
      'GET /model': ['gifts:admin'],
      'GET /products': ['gifts:admin'],
      'GET /users/{userId}/history': ['gifts:admin'],
      'POST /products/{productId}/image': ['gifts:admin'],
      'PUT /products/{productId}': ['gifts:admin'],
      'PUT /users/{userId}': ['gift-recommender/service', 'gifts:admin'],
    });
  });

  it('rejects an admin scope Cognito cannot express', () => {
    const s = new Stack(new App(), 'Bad');
    expect(() => new ApiAuth(s, 'Auth', { jwtAudience: [], adminScope: 'admin' })).toThrow(/resource-server-id/);
  });
});
