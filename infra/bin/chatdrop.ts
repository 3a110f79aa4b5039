#!/usr/bin/env node
// The CDK app: one chatdrop stack, configured by context values (`-c name=value` or cdk.json):
//
// | context                 | meaning                                                   | default              |
// |-------------------------|-----------------------------------------------------------|----------------------|
// | `stage`                 | `dev` or `prod` (prod: deletion protection, data kept)    | `dev`                |
// | `arch`                  | `arm64` or `x86_64`, as the binaries were built           | `arm64`              |
// | `lambdaDir`             | cargo lambda's output dir (`<dir>/<function>/bootstrap`)  | `../target/lambda`   |
// | `channels`              | `CHATDROP_CHANNELS`                                       | `whatsapp,telegram`  |
// | `whatsappPhoneNumberId` | `CHATDROP_WHATSAPP_PHONE_NUMBER_ID`, required with WhatsApp | —                  |
// | `publicBaseUrl`         | `CHATDROP_PUBLIC_BASE_URL`; a domain forwarding to the API (the webhook outputs use it) | the HTTP API's URL |
// | `defaultLang`           | `CHATDROP_DEFAULT_LANG`                                   | the functions' (`en`) |
// | `channelSettings`       | public channel settings, `NAME=value;NAME=value` (`CHATDROP_WECHAT_APP_ID`, `CHATDROP_TWILIO_ACCOUNT_SID`, `CHATDROP_SMS_FROM`, `CHATDROP_WHATSAPP_ORDER_TEMPLATE`, `CHATDROP_SEND_RATES`) | none |
// | `rustLog`               | `RUST_LOG`                                                | `info`               |
// | `logRetentionDays`      | days logs are kept (a CloudWatch retention value)         | 14 dev, 90 prod      |
// | `alarmTopicArn`         | an SNS topic the alarms notify                            | required for prod    |
// | `retailer`              | `CHATDROP_RETAILER`: console users' `custom:retailer`     | `default`            |
//
// The stack is environment-agnostic (account and region come from the deploying credentials)
// and makes no lookups, so `cdk synth` needs neither credentials nor network. cdk-nag's
// AwsSolutions checks run in every synth; each acknowledged finding carries its reason next to
// the construct it concerns.

import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArchName, ChatdropStack, Stage } from '../lib/chatdrop-stack';

const app = new App();

function context(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = context(name) ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`context ${name} must be one of ${allowed.join(', ')}; got ${value}`);
  }
  return value as T;
}

const stage = oneOf<Stage>('stage', ['dev', 'prod'], 'dev');
const retentionDays = Number(context('logRetentionDays') ?? (stage === 'prod' ? 90 : 14));
if (!Object.values(RetentionDays).includes(retentionDays)) {
  throw new Error(`context logRetentionDays: ${retentionDays} is not a CloudWatch Logs retention value`);
}

new ChatdropStack(app, `chatdrop-${stage}`, {
  description: `chatdrop (${stage}): chat-commerce functions, table, queues and webhooks`,
  stage,
  architecture: oneOf<ArchName>('arch', ['arm64', 'x86_64'], 'arm64'),
  // Relative to infra/, where cdk runs.
  lambdaDir: path.resolve(__dirname, '..', context('lambdaDir') ?? '../target/lambda'),
  channels: (context('channels') ?? 'whatsapp,telegram')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean),
  whatsappPhoneNumberId: context('whatsappPhoneNumberId'),
  publicBaseUrl: context('publicBaseUrl'),
  defaultLang: context('defaultLang'),
  channelSettings: Object.fromEntries(
    (context('channelSettings') ?? '')
      .split(';')
      .map((pair) => pair.trim())
      .filter(Boolean)
      .map((pair) => {
        const at = pair.indexOf('=');
        if (at <= 0) {
          throw new Error(`context channelSettings: \`${pair}\` is not NAME=value`);
        }
        return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      }),
  ),
  rustLog: context('rustLog') ?? 'info',
  logRetention: retentionDays as RetentionDays,
  alarmTopicArn: context('alarmTopicArn'),
  retailer: context('retailer'),
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
