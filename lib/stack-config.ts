import type { Node } from 'constructs';

/**
 * Deployment settings read from CDK context (`cdk deploy -c key=value` or `cdk.json`).
 * Every value has a default, so a bare `cdk deploy` works; bad values fail synth loudly.
 */
export interface StackConfig {
  /** Minutes between scheduled retrains (context `retrainRateMinutes`, default 60). */
  readonly retrainRateMinutes: number;
  /**
   * External JWT issuer (context `jwtIssuer`, e.g. an Auth0/Okta/another Cognito pool URL).
   * When set, no Cognito user pool is created and `jwtAudience` is required.
   */
  readonly jwtIssuer?: string;
  /** Accepted `aud` / `client_id` values for the external issuer (context `jwtAudience`, comma-separated). */
  readonly jwtAudience: string[];
  /** OAuth scope that catalog/user writes, image uploads and `GET /model` require (context `adminScope`). */
  readonly adminScope: string;
  /** OAuth scope of the app's backend, which may act for any user (context `serviceScope`). */
  readonly serviceScope: string;
  /** Cognito hosted-domain prefix for the token endpoint (context `authDomainPrefix`; default `gift-rec-<account>`). */
  readonly authDomainPrefix?: string;
  /**
   * Origins allowed by the API's CORS and the images bucket's CORS for presigned uploads (context
   * `corsOrigins`, comma-separated). Default: none — no CORS at all, so browsers on other origins
   * are refused; native apps and backends do not need CORS.
   */
  readonly corsOrigins: string[];
  /** Steady-state requests/s for the whole API stage (context `apiRateLimit`, default 200). */
  readonly apiRateLimit: number;
  /** Burst bucket for the API stage (context `apiBurstLimit`, default 400). */
  readonly apiBurstLimit: number;
  /** Per-route requests/s and burst on every write route (PUT/POST; context `writeRateLimit` / `writeBurstLimit`, default 50 / 100). */
  readonly writeRateLimit: number;
  readonly writeBurstLimit: number;
  /**
   * Reserved concurrency of embed-image (context `embedConcurrency`, default 2): a burst of uploads
   * queues in the async invoke instead of fanning out to hundreds of 2 GB ONNX containers that
   * would throttle the products table and starve the account's other Lambdas.
   */
  readonly embedConcurrency: number;
  /** Days to keep Lambda and API access logs (context `logRetentionDays`, default 30). */
  readonly logRetentionDays: number;
  /** Email subscribed to the alarm topic (context `alarmEmail`, optional). */
  readonly alarmEmail?: string;
  /** Keep tables and buckets when the stack is deleted (context `retainData`, default true). */
  readonly retainData: boolean;
  /** Currency written on products that omit one (context `defaultCurrency`, default `EUR`). */
  readonly defaultCurrency: string;
  /** Folder of the built Lambda layer, relative to the repository root (context `layerDir`). */
  readonly layerDir: string;
  /** Interactions from which the scheduled retrain runs on Fargate instead of Lambda (context `fargateRetrainThreshold`). */
  readonly fargateRetrainThreshold: number;
}

/**
 * Interactions (the table's ItemCount) from which the chooser sends the retrain to Fargate. From
 * `npm run bench:retrain` (docs/deploy.md › Retrain beyond Lambda): the Lambda's job time grows with
 * the interactions until 15 minutes on its 4 GB (~2.3 vCPU) at a few million; the switch is made
 * with headroom for a slow run.
 */
export const DEFAULT_FARGATE_THRESHOLD = 3_000_000;

/** CloudWatch Logs accepts only these retention values. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

function str(node: Node, key: string): string | undefined {
  const v: unknown = node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return undefined;
  return String(v).trim();
}

function num(node: Node, key: string, def: number, min: number, max: number): number {
  const raw = str(node, key);
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`context ${key}=${raw}: expected an integer in [${min}, ${max}]`);
  }
  return n;
}

function list(node: Node, key: string): string[] {
  const v: unknown = node.tryGetContext(key);
  if (Array.isArray(v)) return v.map(String).filter((s) => s.length > 0);
  const raw = str(node, key);
  return raw === undefined ? [] : raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function bool(node: Node, key: string, def: boolean): boolean {
  const raw = str(node, key);
  if (raw === undefined) return def;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`context ${key}=${raw}: expected true or false`);
}

/** Reads and validates the {@link StackConfig} from the context visible at `node`. */
export function readStackConfig(node: Node): StackConfig {
  const jwtIssuer = str(node, 'jwtIssuer');
  const jwtAudience = list(node, 'jwtAudience');
  if (jwtIssuer !== undefined) {
    if (!/^https:\/\//.test(jwtIssuer)) throw new Error(`context jwtIssuer=${jwtIssuer}: must be an https URL`);
    if (jwtAudience.length === 0) throw new Error('context jwtIssuer is set: jwtAudience (comma-separated client ids / audiences) is required');
  }
  const logRetentionDays = num(node, 'logRetentionDays', 30, 1, 3653);
  if (!RETENTION_DAYS.includes(logRetentionDays)) {
    throw new Error(`context logRetentionDays=${logRetentionDays}: CloudWatch accepts ${RETENTION_DAYS.join(', ')}`);
  }
  const authDomainPrefix = str(node, 'authDomainPrefix');
  if (authDomainPrefix !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(authDomainPrefix)) {
    throw new Error(`context authDomainPrefix=${authDomainPrefix}: lowercase letters, digits and hyphens only`);
  }
  const corsOrigins = list(node, 'corsOrigins');
  for (const o of corsOrigins) {
    if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) throw new Error(`context corsOrigins: ${o} is not an origin (scheme://host[:port])`);
  }
  return {
    retrainRateMinutes: num(node, 'retrainRateMinutes', 60, 1, 24 * 60),
    jwtIssuer,
    jwtAudience,
    adminScope: str(node, 'adminScope') ?? 'gift-recommender/admin',
    serviceScope: str(node, 'serviceScope') ?? 'gift-recommender/service',
    authDomainPrefix,
    corsOrigins,
    apiRateLimit: num(node, 'apiRateLimit', 200, 1, 100_000),
    apiBurstLimit: num(node, 'apiBurstLimit', 400, 1, 100_000),
    writeRateLimit: num(node, 'writeRateLimit', 50, 1, 100_000),
    writeBurstLimit: num(node, 'writeBurstLimit', 100, 1, 100_000),
    embedConcurrency: num(node, 'embedConcurrency', 2, 1, 1000),
    logRetentionDays,
    alarmEmail: str(node, 'alarmEmail'),
    retainData: bool(node, 'retainData', true),
    defaultCurrency: str(node, 'defaultCurrency') ?? 'EUR',
    layerDir: str(node, 'layerDir') ?? 'layers/build/layer',
    fargateRetrainThreshold: num(node, 'fargateRetrainThreshold', DEFAULT_FARGATE_THRESHOLD, 1, 1_000_000_000),
  };
}
