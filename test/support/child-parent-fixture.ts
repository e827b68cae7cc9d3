/** A parent for the orphan test: starts child-fixture.ts, prints its pid, then idles until killed. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChildProcessClient } from '../../bin/local/child-process.js';

const { child } = await ChildProcessClient.start(path.join(path.dirname(fileURLToPath(import.meta.url)), 'child-fixture.ts'));
console.log(`child ${child.pid}`);
setInterval(() => undefined, 60_000);
