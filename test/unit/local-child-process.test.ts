/**
 * The local runtime's child processes (bin/local/child-process.ts): requests answered by id,
 * errors carried back, pushed messages, a clean stop — and no orphan when the parent is killed.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ChildProcessClient, type PushMessage } from '../../bin/local/child-process.js';

const fixture = path.resolve('test/support/child-fixture.ts');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('child processes of the local runtime', () => {
  it('answer requests by id, carry errors back, push messages, and stop', async () => {
    const { child, ready } = await ChildProcessClient.start(fixture);
    expect(ready.pid).toBe(child.pid);
    // Several in flight at once: each answer reaches its own request.
    const answers = await Promise.all([1, 2, 3].map((n) => child.request('echo', { n })));
    expect(answers).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await expect(child.request('fail')).rejects.toThrow('failed as asked');
    await expect(child.request('nothing-like-it')).rejects.toThrow(/no handler for nothing-like-it/);
    const pushed = new Promise<PushMessage>((resolve) => child.on('note', resolve));
    await child.request('push', 'hello');
    expect((await pushed).payload).toBe('hello');
    await child.stop();
    expect(alive(child.pid!)).toBe(false);
    await expect(child.request('echo', 1)).rejects.toThrow(/exited/);
  });

  it('exit when their parent is killed (no orphan servers)', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/support/child-parent-fixture.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /child (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      parent.once('exit', (code) => reject(new Error(`parent fixture exited early (${code})`)));
    });
    expect(alive(childPid)).toBe(true);
    parent.kill('SIGKILL');
    // The IPC channel closes with the parent; the child's disconnect handler ends it.
    for (let waited = 0; alive(childPid) && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(alive(childPid)).toBe(false);
  }, 30_000);
});
