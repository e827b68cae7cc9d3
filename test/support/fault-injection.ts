/**
 * Fault injection through the AWS SDK's own middleware stack: the real client, the real request,
 * except that the calls a test picks fail as AWS would fail them (before reaching the server).
 */
import type { MiddlewareStack } from '@smithy/types';

export interface SdkCall {
  /** e.g. `PutItemCommand`, `TransactWriteItemsCommand`, `PutObjectCommand`. */
  command: string;
  input: Record<string, any>;
  /** 1-based count of calls seen so far by this injector (all commands). */
  n: number;
}

/** Decides per call: return an Error to fail it, undefined to let it through. */
export type FaultRule = (call: SdkCall) => Error | undefined;

/** An error shaped like the SDK's service errors (name + $fault + $metadata). */
export function awsError(name: string, message = name, status = 500): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, attempts: 1 } });
}

let counter = 0;

/** Installs `rule` on a client; returns the function that removes it again. */
export function injectFaults(client: { middlewareStack: MiddlewareStack<any, any> }, rule: FaultRule): () => void {
  const name = `faultInjection${++counter}`;
  let n = 0;
  const seen: SdkCall[] = [];
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const call: SdkCall = { command: String(context.commandName ?? ''), input: args.input ?? {}, n: ++n };
      seen.push(call);
      const err = rule(call);
      if (err) throw err;
      return next(args);
    },
    { step: 'initialize', name, priority: 'high' },
  );
  return () => void client.middlewareStack.remove(name);
}
