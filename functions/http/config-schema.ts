/**
 * `GET /config` and `PUT /config`: the deployment's business rules (functions/core/ranking/business-rules.ts).
 * Kept apart from schemas.ts; the OpenAPI document reads these like the others.
 */
import { z } from 'zod';
import { BusinessRulesSchema } from '../core/ranking/business-rules.js';

export { BusinessRulesSchema };

const noPath = z.strictObject({});
const noQuery = z.strictObject({}, { error: 'this route takes no query parameters' });

/** `GET /config`: no query parameters, no body. */
export const ConfigGetRequest = z.object({ path: noPath, query: noQuery, body: z.undefined({ error: 'this route takes no body' }) });
/** `PUT /config`: the whole rule set (an absent field is off); unknown fields and query parameters are refused. */
export const ConfigPutRequest = z.object({ path: noPath, query: noQuery, body: BusinessRulesSchema });

const RuleExclusions = z.record(z.string(), z.number().int()).describe('items each rule excluded at the version\'s reference time');

export const ConfigResponse = z
  .object({
    rules: BusinessRulesSchema.describe('the rules the next retrain uses'),
    source: z.enum(['stored', 'environment', 'default']).describe('stored: PUT /config; environment: BUSINESS_RULES; default: none set'),
    updated_at: z.string().nullable().describe('when an admin stored them'),
    updated_by: z.string().nullable(),
    environment: BusinessRulesSchema.nullable().describe('BUSINESS_RULES of this deployment (used when nothing is stored)'),
    defaults: BusinessRulesSchema.describe('every rule off'),
    serving: z
      .object({
        model_version: z.string(),
        rules: BusinessRulesSchema.nullable().describe('what the serving version was trained with (null: a version from before rules)'),
        source: z.string().nullable(),
        excluded: RuleExclusions.nullable(),
        allowed: z.number().int().nullable().describe('active items no rule excluded'),
      })
      .nullable()
      .describe('the serving version, or null before the first retrain'),
    pending_retrain: z.boolean().describe('true when the serving version was trained with other rules: they apply from the next retrain'),
  })
  .describe('the business rules: active, their source, and those the serving version applies');
