import { Aws, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolResourceServer,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Options for {@link ApiAuth}. */
export interface ApiAuthProps {
  /** External issuer; when set no Cognito pool is created. */
  readonly jwtIssuer?: string;
  /** Audiences / client ids accepted for the external issuer. */
  readonly jwtAudience: string[];
  /** `<resource-server-id>/<scope>` that admin routes require, e.g. `gift-recommender/admin`. */
  readonly adminScope: string;
  /** `<resource-server-id>/<scope>` of the app's backend (acts for any user). Default `<server>/service`. */
  readonly serviceScope?: string;
  /** Cognito hosted-domain prefix; default `gift-rec-<account>`. */
  readonly domainPrefix?: string;
  /** Keep the user pool when the stack goes away. Default true. */
  readonly retainData?: boolean;
}

/**
 * Who may call the API: the JWT issuer and audiences the HTTP API's authorizer trusts.
 *
 * By default a Cognito user pool with two app clients:
 * - `AppClient` (no secret, SRP / password sign-in): the gifting app's users; their ID or access token
 *   opens the app-facing routes.
 * - `AdminClient` (secret, OAuth client-credentials grant, scope `adminScope` from a resource server):
 *   back-office jobs that write the catalog and users; its access token opens every route.
 * With context `jwtIssuer` + `jwtAudience` the stack trusts an existing identity provider instead;
 * it must put `adminScope` in the `scope` claim of admin tokens.
 */
export class ApiAuth extends Construct {
  readonly issuer: string;
  readonly audience: string[];
  readonly adminScope: string;
  readonly serviceScope: string;
  readonly userPool?: UserPool;
  readonly appClient?: UserPoolClient;
  readonly adminClient?: UserPoolClient;
  /** The app's backend (client credentials, service scope): may post events and read users for anyone. */
  readonly serviceClient?: UserPoolClient;
  readonly domain?: UserPoolDomain;
  /** OAuth2 token endpoint of the hosted domain (client-credentials grant for the admin client). */
  readonly tokenUrl?: string;

  constructor(scope: Construct, id: string, props: ApiAuthProps) {
    super(scope, id);
    this.adminScope = props.adminScope;
    const adminSlash = props.adminScope.lastIndexOf('/');
    this.serviceScope = props.serviceScope ?? `${adminSlash > 0 ? props.adminScope.slice(0, adminSlash) : 'gift-recommender'}/service`;
    if (props.jwtIssuer !== undefined) {
      this.issuer = props.jwtIssuer;
      this.audience = props.jwtAudience;
      return;
    }
    const slash = props.adminScope.lastIndexOf('/');
    if (slash <= 0 || slash === props.adminScope.length - 1) {
      throw new Error(`adminScope ${props.adminScope}: expected <resource-server-id>/<scope>, e.g. gift-recommender/admin`);
    }
    const serverId = props.adminScope.slice(0, slash);
    const scopeName = props.adminScope.slice(slash + 1);

    const pool = new UserPool(this, 'UserPool', {
      // Accounts are provisioned by the app's backend (AdminCreateUser), not by anonymous sign-up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: (props.retainData ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(pool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason: 'MFA is offered (TOTP, optional) rather than forced: shoppers of a gifting app must not be locked out of browsing; the admin path uses client credentials, not user passwords.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason: 'The Plus feature plan (threat protection) is a per-MAU cost the owner opts into; the pool has no self sign-up, 12+ character passwords and optional TOTP.',
      },
    );
    const adminScope = new ResourceServerScope({ scopeName, scopeDescription: 'Write catalog and users, upload images, read the model manifest' });
    const serviceSlash = this.serviceScope.lastIndexOf('/');
    if (this.serviceScope.slice(0, serviceSlash) !== serverId) {
      throw new Error(`serviceScope ${this.serviceScope}: must share the admin scope's resource server ${serverId}`);
    }
    const serviceScope = new ResourceServerScope({ scopeName: this.serviceScope.slice(serviceSlash + 1), scopeDescription: 'Act for any user: post their events, read their records (the app backend)' });
    const server = new UserPoolResourceServer(this, 'ResourceServer', {
      userPool: pool,
      identifier: serverId,
      scopes: [adminScope, serviceScope],
    });
    this.appClient = pool.addClient('AppClient', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
    });
    this.adminClient = pool.addClient('AdminClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [OAuthScope.resourceServer(server, adminScope)],
      },
      preventUserExistenceErrors: true,
    });
    this.serviceClient = pool.addClient('ServiceClient', {
      generateSecret: true,
      authFlows: {},
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [OAuthScope.resourceServer(server, serviceScope)],
      },
      preventUserExistenceErrors: true,
    });
    this.domain = pool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix ?? Fn.join('-', ['gift-rec', Aws.ACCOUNT_ID]) },
    });
    this.userPool = pool;
    this.tokenUrl = `${this.domain.baseUrl()}/oauth2/token`;
    this.issuer = `https://cognito-idp.${Aws.REGION}.amazonaws.com/${pool.userPoolId}`;
    // Cognito access tokens carry client_id (no aud); HTTP API JWT authorizers accept either claim.
    this.audience = [this.appClient.userPoolClientId, this.adminClient.userPoolClientId, this.serviceClient.userPoolClientId];
  }
}
