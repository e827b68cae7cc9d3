/**
 * Importing a handler module builds nothing: no config read, no SDK client connecting, no ONNX
 * session, no file opened. The proof: every handler imports cleanly under a configuration that
 * cannot be parsed, and only the first call fails — loudly, naming the bad variable.
 */
import net from 'node:net';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiEvent } from '../support/api-events.js';
import { lambdaContext } from '../../bin/local/gateway.js';

const HANDLERS = {
  recommend: () => import('../../functions/recommend/handler.js'),
  catalog: () => import('../../functions/catalog/handler.js'),
  events: () => import('../../functions/events/handler.js'),
  users: () => import('../../functions/users/handler.js'),
  status: () => import('../../functions/status/handler.js'),
  'embed-image': () => import('../../functions/embed-image/handler.js'),
  retrain: () => import('../../functions/retrain/handler.js'),
};
const saved = { ...process.env };

beforeAll(() => {
  vi.resetModules();
  // Unparseable, and pointing at nothing: reading the config, or opening any of these, would show.
  process.env.ORT_SCORE_THREADS = 'not-a-number';
  process.env.TEXT_VECTORS_PATH = '/nonexistent/vectors.vec';
  process.env.MODELS_DIR = '/nonexistent/models';
  process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:9';
  process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9';
});
afterAll(() => {
  process.env = saved;
  vi.restoreAllMocks();
  vi.resetModules();
});

describe('handler modules', () => {
  it('import without reading the config or opening a connection, a session or a file', async () => {
    const connects = vi.spyOn(net.Socket.prototype, 'connect');
    const sessions = vi.spyOn(ort.InferenceSession, 'create');
    const modules: unknown[] = [];
    for (const load of Object.values(HANDLERS)) modules.push((await load()).handler);
    expect(modules.map((h) => typeof h)).toEqual(Object.keys(HANDLERS).map(() => 'function'));
    expect(connects).not.toHaveBeenCalled();
    expect(sessions).not.toHaveBeenCalled();
    connects.mockRestore();
    sessions.mockRestore();
  });

  it('read the config on their first call, which fails naming the variable', async () => {
    const { handler: retrain } = await import('../../functions/retrain/handler.js');
    await expect(retrain()).rejects.toThrow(/ORT_SCORE_THREADS/);

    // An API route answers a generic 500 and logs the configuration error in full.
    const logged: string[] = [];
    const errors = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' ')));
    const { handler: status } = await import('../../functions/status/handler.js');
    const res = await (status as unknown as (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }>)(apiEvent('GET /health'), lambdaContext('test'));
    errors.mockRestore();
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error).toEqual({ code: 'internal', message: 'Internal error', details: null });
    expect(res.body).not.toContain('ORT_SCORE_THREADS');
    expect(logged.join('\n')).toContain('ORT_SCORE_THREADS');
  });
});
