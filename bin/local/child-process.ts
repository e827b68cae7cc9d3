/**
 * Child processes of the local runtime. The embedded AWS servers and the background jobs (retrain,
 * image embedding) run in their own Node processes so they do not take turns with the HTTP handlers
 * on one event loop: a 10 s retrain on the serving loop is a 10 s stall for every request.
 *
 * A child is a TypeScript entry forked with tsx; parent and child talk over Node's IPC channel in
 * small JSON messages. Requests carry an id and are answered by id; a child may also push events
 * (S3 notifications, log lines). A child exits when its parent goes (the channel disconnects), so a
 * killed `npm start` leaves no orphan servers behind.
 */
import { fork, type ChildProcess } from 'node:child_process';

interface Reply {
  type: 'reply';
  id: number;
  value?: unknown;
  error?: string;
}
export interface PushMessage {
  type: string;
  [key: string]: unknown;
}
type Request = { type: 'request'; id: number; name: string; payload: unknown };

/** The parent's side of one child: started, asked, stopped. */
export class ChildProcessClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private readonly listeners = new Map<string, (message: PushMessage) => void>();
  private exited?: string;

  private constructor(
    private readonly proc: ChildProcess,
    readonly name: string,
  ) {
    proc.on('message', (message: Reply | PushMessage) => {
      if (message.type === 'reply') {
        const reply = message as Reply;
        const waiting = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
        else waiting?.resolve(reply.value);
      } else this.listeners.get(message.type)?.(message as PushMessage);
    });
    proc.on('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? `code ${code}`})`;
      for (const { reject } of this.pending.values()) reject(new Error(this.exited));
      this.pending.clear();
    });
  }

  /**
   * Forks `entry` (a .ts file) with tsx and resolves once it sends `{type:'ready'}`; the ready
   * message is returned (it carries what the child wants the parent to know, e.g. endpoints).
   */
  static async start(entry: string, options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}): Promise<{ child: ChildProcessClient; ready: PushMessage }> {
    const proc = fork(entry, options.args ?? [], {
      execArgv: ['--import', 'tsx'],
      // The parent prints the SDK's Node-version notice once; children would repeat it.
      env: { ...(options.env ?? process.env), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const name = entry.split('/').pop()!.replace(/\.ts$/, '');
    const child = new ChildProcessClient(proc, name);
    const ready = await new Promise<PushMessage>((resolve, reject) => {
      child.on('ready', resolve);
      child.on('failed', (m) => reject(new Error(`${name}: ${String(m.error)}`)));
      proc.once('exit', (code, signal) => reject(new Error(`${name} exited before it was ready (${signal ?? `code ${code}`})`)));
      proc.once('error', reject);
    });
    return { child, ready };
  }

  /** The child's process id (for CPU accounting in benchmarks). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** Subscribes to one kind of pushed message (one listener per kind). */
  on(type: string, listener: (message: PushMessage) => void): void {
    this.listeners.set(type, listener);
  }

  /** Asks the child to run `name`; rejects with the child's error message, or if it exits first. */
  request<T>(name: string, payload?: unknown): Promise<T> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.proc.send({ type: 'request', id, name, payload } satisfies Request);
    });
  }

  /** Runs the child's `stop` request (its own clean-up), then waits for it to exit. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    await this.request('stop').catch(() => undefined);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(timer);
  }
}

/**
 * The child's side: answers the parent's requests with `handlers` and exits when the parent goes.
 * A `stop` handler, if given, runs before the process exits on the parent's `stop` request.
 */
export function serveParent(handlers: Record<string, (payload: unknown) => Promise<unknown>>): { push(message: PushMessage): void; ready(message?: Record<string, unknown>): void; failed(err: unknown): void } {
  if (!process.send) throw new Error('serveParent: not started as a child process (no IPC channel)');
  const send = (message: unknown) =>
    new Promise<void>((resolve) => (process.connected ? process.send!(message, undefined, {}, () => resolve()) : resolve()));
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: Request) => {
    if (message?.type !== 'request') return;
    const handler = message.name === 'stop' ? handlers.stop ?? (async () => undefined) : handlers[message.name];
    const run = handler ? handler(message.payload) : Promise.reject(new Error(`no handler for ${message.name}`));
    void run
      .then(
        (value) => send({ type: 'reply', id: message.id, value: value ?? null } satisfies Reply),
        (err: unknown) => send({ type: 'reply', id: message.id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
      )
      .then(() => {
        if (message.name === 'stop') process.exit(0);
      });
  });
  return {
    push: (message) => void send(message),
    ready: (message = {}) => void send({ ...message, type: 'ready' }),
    failed: (err) => void send({ type: 'failed', error: err instanceof Error ? err.message : String(err) }),
  };
}
