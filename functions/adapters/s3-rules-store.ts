/**
 * The business rules an admin stored (`PUT /config`): one JSON object in the models bucket beside
 * the versions (`models/business-rules.json`: inside the prefix the Lambdas may touch, but not a
 * `models/<version>/` folder, so retention's listing skips it). Read back through the schema that accepted it.
 */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import type { BusinessRulesStore } from '../core/domain/ports.js';
import { BusinessRulesSchema, type BusinessRules, type StoredBusinessRules } from '../core/ranking/business-rules.js';
import { CorruptArtifact } from '../core/domain/errors.js';

export const RULES_KEY = 'models/business-rules.json';

const StoredSchema = z.object({ rules: BusinessRulesSchema, updatedAt: z.string(), updatedBy: z.string().optional() });

export class S3BusinessRulesStore implements BusinessRulesStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(): Promise<StoredBusinessRules | undefined> {
    let text: string;
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: RULES_KEY }));
      text = (await res.Body?.transformToString()) ?? '';
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CorruptArtifact(`${RULES_KEY} is not JSON`, { cause: err });
    }
    const stored = StoredSchema.safeParse(parsed);
    if (!stored.success) throw new CorruptArtifact(`${RULES_KEY} does not validate: ${z.prettifyError(stored.error)}`);
    return stored.data;
  }

  async write(rules: BusinessRules, updatedBy?: string): Promise<StoredBusinessRules> {
    const stored: StoredBusinessRules = { rules, updatedAt: new Date().toISOString(), ...(updatedBy ? { updatedBy } : {}) };
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: RULES_KEY, Body: JSON.stringify(stored, null, 2), ContentType: 'application/json' }));
    return stored;
  }
}
