import { describe, expect, it } from 'vitest';
import { createDocumentClient, createS3Client, SDK_LOGGER } from '../../functions/adapters/aws-clients.js';

describe('SDK clients', () => {
  it('use a logger without info or error, so the SDK does not mask every input and output for a log line nobody writes', async () => {
    const ddb = createDocumentClient();
    const s3 = createS3Client({ customEndpoint: true });
    for (const logger of [ddb.config.logger, s3.config.logger]) {
      expect(logger).toBe(SDK_LOGGER);
    }
    const l = SDK_LOGGER as unknown as Record<string, unknown>;
    expect(l.info).toBeUndefined();
    expect(l.error).toBeUndefined();
    // The SDK calls logger?.debug(…) unguarded: it must exist.
    expect(typeof l.debug).toBe('function');
    expect(typeof l.warn).toBe('function');
    expect(s3.config.forcePathStyle).toBe(true);
  });
});
