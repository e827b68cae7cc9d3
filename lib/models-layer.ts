import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** Options for {@link ModelsLayer}. */
export interface ModelsLayerProps {
  /** Absolute path of the built layer folder (`layers/build/layer`, made by `npm run layer:build`). */
  readonly path: string;
}

/**
 * The Lambda layer that carries what the bundles leave out: `nodejs/node_modules/{onnxruntime-node,sharp}`
 * (linux-x64 binaries only) and `models/` (ONNX files + manifest, mounted at `/opt/models`).
 * x86_64 only, because the native binaries in it are linux-x64.
 */
export class ModelsLayer extends Construct {
  readonly layer: LayerVersion;

  constructor(scope: Construct, id: string, props: ModelsLayerProps) {
    super(scope, id);
    for (const sub of ['nodejs/node_modules', 'models']) {
      const dir = join(props.path, sub);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new Error(`Lambda layer folder ${dir} is missing: run npm run layer:build first (or pass -c layerDir=PATH)`);
      }
    }
    this.layer = new LayerVersion(this, 'Layer', {
      code: Code.fromAsset(props.path),
      compatibleRuntimes: [Runtime.NODEJS_22_X],
      compatibleArchitectures: [Architecture.X86_64],
      description: 'onnxruntime-node + sharp (linux-x64) and the ONNX models at /opt/models',
    });
  }
}
