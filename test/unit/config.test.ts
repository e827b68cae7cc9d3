/** functions/config.ts: every variable the engine reads, validated once; a bad value names itself. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/config.js';

describe('loadConfig', () => {
  it('has defaults for everything but the models dir, which it resolves', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ ORT_SCORE_THREADS: 1, POWERTOOLS_SERVICE_NAME: 'gift-recommender', POWERTOOLS_METRICS_NAMESPACE: 'GiftRecommender', METRICS_SINK: 'memory' });
    expect(c.ORT_INTRA_OP_THREADS).toBeUndefined();
    expect(c.TEXT_VECTORS_PATH).toBeUndefined();
    expect(c.MODELS_DIR.length).toBeGreaterThan(0);
  });

  it('reads the ONNX, text-vector, Powertools and endpoint variables', () => {
    const c = loadConfig({
      ORT_SCORE_THREADS: '2',
      ORT_INTRA_OP_THREADS: '3',
      TEXT_VECTORS_PATH: '/data/x.vec',
      POWERTOOLS_SERVICE_NAME: 'svc',
      POWERTOOLS_METRICS_NAMESPACE: 'Ns',
      POWERTOOLS_LOG_LEVEL: 'warn',
      AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
    });
    expect(c).toMatchObject({ ORT_SCORE_THREADS: 2, ORT_INTRA_OP_THREADS: 3, TEXT_VECTORS_PATH: '/data/x.vec', POWERTOOLS_SERVICE_NAME: 'svc', POWERTOOLS_METRICS_NAMESPACE: 'Ns', POWERTOOLS_LOG_LEVEL: 'WARN', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' });
  });

  it('sends metrics to CloudWatch EMF inside Lambda, to the process elsewhere, unless told', () => {
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'recommend' }).METRICS_SINK).toBe('emf');
    expect(loadConfig({}).METRICS_SINK).toBe('memory');
    expect(loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'recommend', METRICS_SINK: 'memory' }).METRICS_SINK).toBe('memory');
  });

  it.each([
    ['ORT_SCORE_THREADS', 'many'],
    ['ORT_SCORE_THREADS', '0'],
    ['ORT_INTRA_OP_THREADS', '1.5'],
    ['POWERTOOLS_LOG_LEVEL', 'LOUD'],
    ['METRICS_SINK', 'statsd'],
    ['TEXT_VECTORS_PATH', ''],
    ['IMPRESSION_SAMPLE_RATE', '2'],
    ['CURRENCY', 'EURO'],
  ])('fails loudly on %s=%j, naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual([name]);
    expect((error as Error).message).toContain(name);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ ORT_SCORE_THREADS: 'x', METRICS_SINK: 'y' })).toThrow(/ORT_SCORE_THREADS, METRICS_SINK|METRICS_SINK, ORT_SCORE_THREADS/);
  });
});
