/**
 * The local gateway answers every request with the API's JSON error shape — including the ones
 * Node's HTTP parser refuses before any handler runs — and logs a client hang-up as an abort.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createGateway, type LambdaHandler } from '../../bin/local/gateway.js';

let server: Server;
let port: number;
const logs: string[] = [];
let release: () => void = () => undefined;

beforeAll(async () => {
  const ok: LambdaHandler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ route: event.routeKey }) });
  // status answers /health at once; recommend waits until the test lets it go (for the abort case).
  const slow: LambdaHandler = async (event) => {
    await new Promise<void>((resolve) => (release = resolve));
    return ok(event, undefined as never);
  };
  server = createGateway({ recommend: slow, events: ok, catalog: ok, users: ok, status: ok }, (line) => logs.push(line));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Sends raw bytes and returns the raw answer (the connection is closed by either side). */
function raw(bytes: string | Buffer): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    let data = '';
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: rest.join('\r\n\r\n') });
    });
  });
}

const jsonError = (body: string) => JSON.parse(body).error as { code: string; message: string };

describe('gateway error answers', () => {
  it.each([
    ['a lower-case method', 'get /health HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['raw bytes', Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]), 400],
    ['an over-long URL', `GET /products/${'x'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['an oversized header', `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`, 431],
    ['a bad HTTP version', 'GET /health HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    ['a bad content-length', 'POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400],
    ['an unknown method on a known path', 'DELETE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405],
    ['an unknown path', 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 404],
    ['a bad percent-encoding', 'GET /products/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
  ])('%s → its status with a JSON error body', async (_what, request, status) => {
    const res = await raw(request);
    expect(res.status).toBe(status);
    expect(res.headers.toLowerCase()).toContain('content-type: application/json');
    expect(jsonError(res.body).code).toMatch(/^[a-z_]+$/);
    expect(jsonError(res.body).message.length).toBeGreaterThan(0);
  });

  it('a client that hangs up mid-request is logged as an abort, not as a crash', async () => {
    logs.length = 0;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GET /recommend/1/5 HTTP/1.1\r\nHost: x\r\n\r\n');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(logs.some((l) => /client aborted GET \/recommend\/1\/5/.test(l))).toBe(true);
    expect(logs.some((l) => /crashed/.test(l))).toBe(false);
    // And a body cut off half-way.
    logs.length = 0;
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"events":');
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 50);
      });
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(logs.some((l) => /crashed/.test(l))).toBe(false);
  });
});
