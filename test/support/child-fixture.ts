/** A child process for the local runtime's IPC tests: echoes, fails on request, reports its pid. */
import { serveParent } from '../../bin/local/child-process.js';

const parent = serveParent({
  echo: async (payload) => payload,
  fail: async () => {
    throw new Error('failed as asked');
  },
  push: async (payload) => void parent.push({ type: 'note', payload }),
});
parent.ready({ pid: process.pid });
// Something that keeps the event loop alive, as the AWS servers do: only the disconnect handler ends it.
setInterval(() => undefined, 60_000);
