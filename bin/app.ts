#!/usr/bin/env node
/**
 * CDK app: `npx cdk synth|deploy` (cdk.json runs this with tsx). Settings come from context, e.g.
 * `npx cdk deploy -c retrainRateMinutes=30 -c alarmEmail=ops@example.com` (lib/stack-config.ts lists them).
 * cdk-nag's AwsSolutions pack runs on every synth; an unacknowledged finding fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GiftRecommenderStack } from '../lib/gift-recommender-stack.js';

const app = new App();
new GiftRecommenderStack(app, app.node.tryGetContext('stackName') ?? 'GiftRecommender', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
