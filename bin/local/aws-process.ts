/**
 * Child process of the local runtime: the embedded AWS servers (dynalite + s3rver, bin/local/embedded-aws.ts)
 * on their own event loop. Ready message: `{ env }` (the SDK endpoints); pushes `{ type: 's3', event }`
 * for every s3rver notification. Options as JSON in argv[2]: `{ dataDir, persistDynamo? }`.
 */
import { serveParent } from './child-process.js';
import { startEmbeddedAws, type EmbeddedAwsOptions } from './embedded-aws.js';

const options = JSON.parse(process.argv[2] ?? '{}') as EmbeddedAwsOptions;
let stop: () => Promise<void> = async () => undefined;
const parent = serveParent({ stop: () => stop() });
try {
  const aws = await startEmbeddedAws(options);
  stop = () => aws.stop();
  aws.onS3Event((event) => parent.push({ type: 's3', event }));
  parent.ready({ env: aws.env });
} catch (err) {
  parent.failed(err);
  process.exitCode = 1;
}
