# The retrain container: the same retrain code as the scheduled Lambda (bin/retrain.ts → retrainModel:
# train, gate, write the version, swap the pointer), reading a DynamoDB table export from S3.
# The stack builds it as an image asset on `cdk deploy` (lib/fargate-retrain.ts); by hand:
#   docker build -t gift-retrain . && docker run --rm -e RETRAIN_EXPORT=s3://bucket/exports/run/ gift-retrain
FROM public.ecr.aws/docker/library/node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY bin ./bin
COPY functions ./functions
COPY lib/bundle-options.ts lib/retrain-bundle.ts ./lib/
RUN npx tsx lib/retrain-bundle.ts /out

FROM public.ecr.aws/docker/library/node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production NODE_OPTIONS=--enable-source-maps RETRAIN_STORAGE=aws POWERTOOLS_LOG_LEVEL=INFO
# Only the native module the bundle leaves external (ONNX Runtime: the EASE inverse and the scorer export).
COPY package.json package-lock.json ./
RUN ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /out ./
USER node
ENTRYPOINT ["node", "retrain.mjs"]
