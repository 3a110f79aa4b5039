// The stack, synthesized offline and checked with aws-cdk-lib/assertions, against the same
// files the Rust code reads: resources.json, the secret names, the environment variables
// `Config::from_vars` requires, and the crates under functions/.
//
// The functions' binaries are stand-ins here (20-byte ELF headers), so `npm test` needs no
// cargo build; the real binaries go through `cdk synth` in `cargo xtask`'s infra check.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArchName, ChatdropStack, ChatdropStackProps, elfArchitecture } from '../lib/chatdrop-stack';
import { FUNCTIONS, FunctionSpec, functionListProblems } from '../lib/functions';
import { REPO_ROOT, functionCrates, loadChannelRegistry, loadResources, loadSecretNames } from '../lib/repo';

const resources = loadResources();
const crates = functionCrates();
const secretNames = loadSecretNames();
const names = Object.keys(FUNCTIONS);

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

/** A lambda dir with a stand-in `bootstrap` (an ELF header for `arch`) per function. */
function lambdaDir(arch: ArchName, functions: string[] = names): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `chatdrop-lambda-${arch}-`));
  const header = Buffer.alloc(20);
  header.writeUInt32BE(0x7f454c46, 0); // \x7fELF
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(arch === 'arm64' ? 0xb7 : 0x3e, 18);
  for (const name of functions) {
    fs.mkdirSync(path.join(dir, name));
    fs.writeFileSync(path.join(dir, name, 'bootstrap'), header);
  }
  return dir;
}

const arm64Dir = lambdaDir('arm64');

function props(overrides: Partial<ChatdropStackProps> = {}): ChatdropStackProps {
  return {
    stage: 'dev',
    architecture: 'arm64',
    lambdaDir: arm64Dir,
    channels: ['whatsapp', 'telegram'],
    whatsappPhoneNumberId: '106000000000002',
    rustLog: 'info',
    logRetention: RetentionDays.TWO_WEEKS,
    ...overrides,
  };
}

function synth(overrides: Partial<ChatdropStackProps> = {}): { stack: ChatdropStack; template: Template } {
  const p = props(overrides);
  const stack = new ChatdropStack(new App(), `chatdrop-${p.stage}`, p);
  return { stack, template: Template.fromStack(stack) };
}

// Synthesized on first use, so a stack that cannot synthesize fails the tests that use it, each
// with the reason, while the function-list tests still say which entry is missing.
const cached: Record<string, { stack: ChatdropStack; template: Template }> = {};
const dev = () => (cached.dev ??= synth());
const TOPIC = 'arn:aws:sns:us-east-1:111111111111:ops';
const prod = () => (cached.prod ??= synth({ stage: 'prod', alarmTopicArn: TOPIC }));

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function ofType(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

function routeCount(specs: Record<string, FunctionSpec>): number {
  return Object.values(specs).reduce(
    (n, s) => n + (s.trigger.kind === 'http' ? s.trigger.routes.reduce((m, r) => m + r.methods.length, 0) : 0),
    0,
  );
}

/** Every IAM statement of the template, with the policy it sits in. */
function statements(template: Template): { policy: string; statement: any }[] {
  const out: { policy: string; statement: any }[] = [];
  for (const [id, policy] of Object.entries(ofType(template, 'AWS::IAM::Policy'))) {
    for (const s of policy.Properties.PolicyDocument.Statement) {
      out.push({ policy: id, statement: s });
    }
  }
  for (const [id, role] of Object.entries(ofType(template, 'AWS::IAM::Role'))) {
    for (const p of role.Properties.Policies ?? []) {
      for (const s of p.PolicyDocument.Statement) {
        out.push({ policy: id, statement: s });
      }
    }
  }
  return out;
}

/** The statements of the policy attached to `fn`'s role. */
function functionStatements(stack: ChatdropStack, template: Template, fn: string): any[] {
  const roleId = stack.getLogicalId(stack.functions[fn].role!.node.defaultChild as CfnElement);
  return Object.values(ofType(template, 'AWS::IAM::Policy'))
    .filter((p) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/**
 * A template value as the string CloudFormation would make of it, with each reference left as
 * a placeholder (`<HttpApiF5A9A8A7>`, `<AWS::Region>`): enough to compare two values built
 * from the same references.
 */
function evaluate(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref !== undefined) return `<${v.Ref}>`;
  if (v['Fn::GetAtt'] !== undefined) return `<${v['Fn::GetAtt'].join('.')}>`;
  if (v['Fn::Join'] !== undefined) {
    const [separator, parts] = v['Fn::Join'];
    return (parts as unknown[]).map(evaluate).join(separator);
  }
  throw new Error(`cannot evaluate ${JSON.stringify(value)}`);
}

/** Every route key (`POST /webhooks/{channel}`) of the map, with its throttle. */
function routeThrottles(specs: Record<string, FunctionSpec>): Map<string, { fn: string; rateLimit: number; burstLimit: number }> {
  const out = new Map<string, { fn: string; rateLimit: number; burstLimit: number }>();
  for (const [fn, spec] of Object.entries(specs)) {
    if (spec.trigger.kind !== 'http') continue;
    for (const route of spec.trigger.routes) {
      for (const method of route.methods) {
        out.set(`${method} ${route.path}`, { fn, ...route.throttle });
      }
    }
  }
  return out;
}

/** The rows of the Markdown table in `text` whose header row starts with `| <first>`. */
function markdownTable(text: string, first: string): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first}`));
  assert.ok(start >= 0, `a table headed | ${first}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows;
}

describe('the function list', () => {
  test('every crate under functions/ has an entry in infra/lib/functions.ts, and every entry a crate', () => {
    assert.deepEqual(functionListProblems(crates, FUNCTIONS), []);
    assert.deepEqual([...names].sort(), crates);
  });

  test('the stack refuses a crate without an entry and an entry without a crate', () => {
    assert.throws(() => synth({ crates: [...crates, 'ghost-crate'] }), /crate `ghost-crate` with no entry/);
    const extra = { ...FUNCTIONS, ghost: FUNCTIONS.ingress };
    assert.throws(() => synth({ functions: extra, lambdaDir: lambdaDir('arm64', [...names, 'ghost']) }), /`ghost`, which is no crate/);
  });

  test('every queue of resources.json has its consumer in the map, consuming it', () => {
    for (const q of resources.queues) {
      const spec = FUNCTIONS[q.consumer];
      assert.ok(spec, `queue ${q.id}: consumer ${q.consumer} has no entry`);
      assert.deepEqual(spec.trigger.kind === 'queue' && spec.trigger.queue, q.id, `${q.consumer} consumes ${q.id}`);
    }
  });
});

describe('resources', () => {
  test('resource counts follow the map and resources.json', () => {
    const n = names.length;
    const queued = Object.values(FUNCTIONS).filter((s) => s.trigger.kind === 'queue').length;
    const scheduled = Object.values(FUNCTIONS).filter((s) => s.trigger.kind === 'schedule').length;
    const counts: Record<string, number> = {
      'AWS::Lambda::Function': n,
      'AWS::IAM::Role': n,
      'AWS::Logs::LogGroup': n + 1, // one per function, and the API's access log
      'AWS::SQS::Queue': 2 * resources.queues.length,
      'AWS::Lambda::EventSourceMapping': queued,
      'AWS::Events::Rule': scheduled,
      'AWS::Lambda::EventInvokeConfig': scheduled,
      'AWS::DynamoDB::Table': 1,
      'AWS::SecretsManager::Secret': 1,
      'AWS::ApiGatewayV2::Api': 1,
      'AWS::ApiGatewayV2::Stage': 1,
      'AWS::ApiGatewayV2::Route': routeCount(FUNCTIONS),
      // DLQ depth and backlog age per queue, errors and throttles per function, the API's 5xx.
      'AWS::CloudWatch::Alarm': 2 * resources.queues.length + 2 * n + 1,
    };
    for (const [type, count] of Object.entries(counts)) {
      dev().template.resourceCountIs(type, count);
    }
    assert.equal(queued, resources.queues.length, 'one consumer per queue');
  });

  test('the table has the key schema, TTL and billing of resources.json, and point-in-time recovery', () => {
    const t = resources.table;
    dev().template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: `${t.name}-dev`,
      KeySchema: [
        { AttributeName: t.partition_key, KeyType: 'HASH' },
        { AttributeName: t.sort_key, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: t.partition_key, AttributeType: 'S' },
        { AttributeName: t.sort_key, AttributeType: 'S' },
      ],
      TimeToLiveSpecification: { AttributeName: t.ttl_attribute, Enabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const [table] = Object.values(ofType(dev().template, 'AWS::DynamoDB::Table'));
    assert.equal(table.Properties.GlobalSecondaryIndexes, undefined, 'resources.json declares no index');
    assert.equal(table.Properties.LocalSecondaryIndexes, undefined);
  });

  test('prod keeps its data and has deletion protection; dev does not', () => {
    const [prodTable] = Object.values(ofType(prod().template, 'AWS::DynamoDB::Table'));
    assert.equal(prodTable.Properties.DeletionProtectionEnabled, true);
    const [devTable] = Object.values(ofType(dev().template, 'AWS::DynamoDB::Table'));
    assert.equal(devTable.Properties.DeletionProtectionEnabled, false);
    for (const type of ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret']) {
      for (const [id, r] of Object.entries(ofType(prod().template, type))) {
        assert.equal(r.DeletionPolicy, 'Retain', `prod ${id}`);
      }
      for (const [id, r] of Object.entries(ofType(dev().template, type))) {
        assert.equal(r.DeletionPolicy, 'Delete', `dev ${id}`);
      }
    }
  });

  test('every queue has its dead-letter queue and the settings of resources.json', () => {
    const queues = ofType(dev().template, 'AWS::SQS::Queue');
    for (const q of resources.queues) {
      const { queue, deadLetters } = dev().stack.queues[q.id];
      const main = queues[logicalId(dev().stack, queue)];
      const dlq = queues[logicalId(dev().stack, deadLetters)];
      assert.equal(main.Properties.QueueName, q.name.replace(/(\.fifo)?$/, '-dev$1'));
      assert.equal(dlq.Properties.QueueName, q.dead_letter_name.replace(/(\.fifo)?$/, '-dev$1'));
      assert.equal(main.Properties.FifoQueue, q.fifo ? true : undefined, q.id);
      assert.equal(dlq.Properties.FifoQueue, q.fifo ? true : undefined, q.id);
      assert.equal(main.Properties.VisibilityTimeout, q.visibility_timeout_seconds);
      assert.deepEqual(main.Properties.RedrivePolicy, {
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(dev().stack, deadLetters), 'Arn'] },
        maxReceiveCount: q.max_receive_count,
      });
      assert.equal(dlq.Properties.RedrivePolicy, undefined, 'a DLQ has no DLQ of its own');
      for (const r of [main, dlq]) {
        assert.equal(r.Properties.SqsManagedSseEnabled, true, `${q.id} is encrypted`);
      }
      // AWS's guidance for Lambda event sources: visibility >= 6 x the function's timeout.
      const consumer = dev().stack.functions[q.consumer];
      const fn = ofType(dev().template, 'AWS::Lambda::Function')[logicalId(dev().stack, consumer)];
      assert.equal(fn.Properties.Timeout, q.consumer_timeout_seconds, `${q.consumer} times out as resources.json says`);
      assert.ok(q.visibility_timeout_seconds >= 6 * fn.Properties.Timeout, q.id);
    }
    // Every queue, DLQs included, refuses plain HTTP.
    const policies = Object.values(ofType(dev().template, 'AWS::SQS::QueuePolicy'));
    assert.equal(policies.length, Object.keys(queues).length);
    for (const p of policies) {
      assert.ok(
        p.Properties.PolicyDocument.Statement.some(
          (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      );
    }
  });

  test('every event source reports batch item failures and has a maximum concurrency', () => {
    const mappings = Object.values(ofType(dev().template, 'AWS::Lambda::EventSourceMapping'));
    assert.equal(mappings.length, resources.queues.length);
    for (const q of resources.queues) {
      const spec = FUNCTIONS[q.consumer];
      assert.ok(spec.trigger.kind === 'queue');
      const queueArn = { 'Fn::GetAtt': [logicalId(dev().stack, dev().stack.queues[q.id].queue), 'Arn'] };
      const mapping = mappings.find((m) => JSON.stringify(m.Properties.EventSourceArn) === JSON.stringify(queueArn));
      assert.ok(mapping, `an event source for ${q.id}`);
      assert.deepEqual(mapping.Properties.FunctionName, { Ref: logicalId(dev().stack, dev().stack.functions[q.consumer]) });
      assert.deepEqual(mapping.Properties.FunctionResponseTypes, ['ReportBatchItemFailures']);
      assert.equal(mapping.Properties.ScalingConfig.MaximumConcurrency, spec.trigger.maxConcurrency);
      assert.equal(mapping.Properties.BatchSize, spec.trigger.batchSize);
    }
  });
});

describe('functions', () => {
  test('each runs its cargo lambda binary on provided.al2023, arm64 by default', () => {
    const fns = ofType(dev().template, 'AWS::Lambda::Function');
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const fn = fns[logicalId(dev().stack, dev().stack.functions[name])];
      assert.equal(fn.Properties.Runtime, 'provided.al2023');
      assert.equal(fn.Properties.Handler, 'bootstrap');
      assert.deepEqual(fn.Properties.Architectures, ['arm64']);
      assert.equal(fn.Properties.MemorySize, spec.memoryMb);
      assert.equal(fn.Properties.FunctionName, `chatdrop-dev-${name}`);
      assert.equal(fn.Properties.ReservedConcurrentExecutions, spec.reservedConcurrency);
      if (spec.timeoutSeconds !== undefined) {
        assert.equal(fn.Properties.Timeout, spec.timeoutSeconds);
      }
    }
  });

  test('the architecture is a context value, checked against the binaries', () => {
    const x86 = synth({ architecture: 'x86_64', lambdaDir: lambdaDir('x86_64') });
    for (const fn of Object.values(ofType(x86.template, 'AWS::Lambda::Function'))) {
      assert.deepEqual(fn.Properties.Architectures, ['x86_64']);
    }
    assert.throws(() => synth({ architecture: 'x86_64' }), /built for arm64, but the stack deploys x86_64/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'chatdrop-lambda-empty-'));
    assert.throws(() => synth({ lambdaDir: empty }), /bootstrap is missing: build the functions first/);
    assert.equal(elfArchitecture(path.join(arm64Dir, 'ingress', 'bootstrap')), 'arm64');
  });

  test('the added channels demand their public settings, which reach every function', () => {
    assert.throws(() => synth({ channels: ['telegram', 'wechat'] }), /CHATDROP_WECHAT_APP_ID/);
    assert.throws(
      () => synth({ channels: ['sms'], channelSettings: { CHATDROP_TWILIO_ACCOUNT_SID: 'AC1' } }),
      /CHATDROP_SMS_FROM/,
    );
    assert.throws(() => synth({ channelSettings: { AWS_REGION: 'x' } }), /not a CHATDROP_\* variable/);
    assert.throws(() => synth({ channels: ['fax'] }), /unknown channel fax: the registry has whatsapp/);
    const settings = {
      CHATDROP_WECHAT_APP_ID: 'wx1',
      CHATDROP_TWILIO_ACCOUNT_SID: 'AC1',
      CHATDROP_SMS_FROM: '+15550002222',
      CHATDROP_SEND_RATES: 'whatsapp=1000',
    };
    const { template } = synth({ channels: ['telegram', 'wechat', 'sms'], channelSettings: settings });
    for (const fn of Object.values(ofType(template, 'AWS::Lambda::Function'))) {
      const env = fn.Properties.Environment.Variables;
      for (const [name, value] of Object.entries(settings)) {
        assert.equal(env[name], value, name);
      }
      assert.ok(env.CHATDROP_OUTBOUND_DLQ_URL, 'notify dead-letters itself');
    }
  });

  test('every function gets the configuration the Rust code requires, and no secret', () => {
    // The variables `Config::from_vars` requires, read from its source.
    const configSource = fs.readFileSync(path.join(REPO_ROOT, 'shared', 'config', 'src', 'lib.rs'), 'utf8');
    const required = [...configSource.matchAll(/required\(vars, "([A-Z0-9_]+)"\)/g)].map((m) => m[1]);
    assert.ok(required.includes('CHATDROP_TABLE'));
    const expected = [
      ...new Set([
        ...required,
        ...resources.queues.map((q) => q.url_env),
        'CHATDROP_TABLE',
        'CHATDROP_PUBLIC_BASE_URL',
        'CHATDROP_CHANNELS',
        'CHATDROP_WHATSAPP_PHONE_NUMBER_ID',
        'CHATDROP_SECRET_ID',
        'RUST_LOG',
      ]),
    ];
    const secretId = { Ref: logicalId(dev().stack, dev().stack.secret) };
    for (const [id, fn] of Object.entries(ofType(dev().template, 'AWS::Lambda::Function'))) {
      const env = fn.Properties.Environment.Variables;
      for (const name of expected) {
        assert.ok(env[name] !== undefined, `${id} lacks ${name}`);
      }
      for (const name of secretNames) {
        assert.equal(env[name], undefined, `${id}: ${name} is a secret`);
      }
      assert.deepEqual(env.CHATDROP_SECRET_ID, secretId);
      assert.deepEqual(env.CHATDROP_TABLE, { Ref: logicalId(dev().stack, dev().stack.table) });
      assert.equal(env.CHATDROP_CHANNELS, 'whatsapp,telegram');
      for (const q of resources.queues) {
        assert.deepEqual(env[q.url_env], { Ref: logicalId(dev().stack, dev().stack.queues[q.id].queue) });
      }
    }
    const telegramOnly = synth({ channels: ['telegram'], whatsappPhoneNumberId: undefined });
    for (const fn of Object.values(ofType(telegramOnly.template, 'AWS::Lambda::Function'))) {
      assert.equal(fn.Properties.Environment.Variables.CHATDROP_WHATSAPP_PHONE_NUMBER_ID, undefined);
    }
    assert.throws(() => synth({ whatsappPhoneNumberId: undefined }), /whatsappPhoneNumberId/);
  });

  test('each function has its own log group with a retention', () => {
    const groups = ofType(dev().template, 'AWS::Logs::LogGroup');
    for (const g of Object.values(groups)) {
      assert.equal(g.Properties.RetentionInDays, 14);
    }
    for (const name of names) {
      const fn = ofType(dev().template, 'AWS::Lambda::Function')[logicalId(dev().stack, dev().stack.functions[name])];
      const groupId = fn.Properties.LoggingConfig.LogGroup.Ref;
      assert.equal(groups[groupId].Properties.LogGroupName, `/aws/lambda/chatdrop-dev-${name}`);
      assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON');
    }
  });
});

describe('secrets and IAM', () => {
  test('one secret, with no value in the template; its keys are the Rust secret names', () => {
    const [secret] = Object.values(ofType(dev().template, 'AWS::SecretsManager::Secret'));
    assert.equal(secret.Properties.SecretString, undefined);
    for (const name of ['CHATDROP_WHATSAPP_APP_SECRET', 'CHATDROP_TELEGRAM_BOT_TOKEN']) {
      assert.ok(secretNames.includes(name), `secret_names has ${name}`);
    }
    dev().template.hasOutput('SecretKeys', { Value: secretNames.join(',') });
    const text = JSON.stringify(dev().template.toJSON());
    for (const devValue of ['dev-whatsapp-app-secret', 'dev-verify-token', 'dev-telegram-secret']) {
      assert.ok(!text.includes(devValue), `${devValue} in the template`);
    }
  });

  test('no IAM statement has a wildcard action, and no role a managed policy', () => {
    const all = statements(dev().template);
    assert.ok(all.length > 0);
    for (const { policy, statement } of all) {
      for (const action of asList(statement.Action)) {
        assert.ok(typeof action === 'string' && !action.includes('*'), `${policy}: ${JSON.stringify(action)}`);
      }
      if (statement.Effect === 'Allow') {
        for (const resource of asList(statement.Resource)) {
          assert.notEqual(resource, '*', `${policy} allows ${JSON.stringify(statement.Action)} on every resource`);
        }
      }
    }
    for (const role of Object.values(ofType(dev().template, 'AWS::IAM::Role'))) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
    }
  });

  test('grants follow the map: table, queues sent to, secret', () => {
    const secretId = logicalId(dev().stack, dev().stack.secret);
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const s = functionStatements(dev().stack, dev().template, name);
      const actions = s.flatMap((st) => asList(st.Action));
      const writes = spec.table === 'readWrite' || (Array.isArray(spec.table) && spec.table.includes('PutItem'));
      assert.equal(actions.includes('dynamodb:PutItem'), writes, `${name} writes the table`);
      assert.equal(actions.includes('dynamodb:GetItem'), spec.table !== 'none', `${name} reads the table`);
      const sendsTo = s
        .filter((st) => asList(st.Action).includes('sqs:SendMessage'))
        .flatMap((st) => asList(st.Resource))
        .map((r: any) => r['Fn::GetAtt'][0])
        .sort();
      // A consumer that dead-letters itself (resources.json `self_dead_letters`) may also send
      // to its own dead-letter queue, and to no other.
      const ownDeadLetters = Object.values(dev().stack.queues)
        .filter(({ def }) => def.consumer === name && def.self_dead_letters)
        .map(({ deadLetters }) => logicalId(dev().stack, deadLetters));
      const expected = [
        ...spec.sendsTo.map((q) => logicalId(dev().stack, dev().stack.queues[q].queue)),
        ...ownDeadLetters,
      ].sort();
      assert.deepEqual(sendsTo, expected, `${name} sends to ${spec.sendsTo.join(', ')}`);
      const readsSecret = s.some(
        (st) => asList(st.Action).includes('secretsmanager:GetSecretValue') && JSON.stringify(st.Resource).includes(secretId),
      );
      assert.equal(readsSecret, spec.readsSecrets, `${name} reads the secret`);
      const publishes = actions.includes('sns:Publish');
      assert.equal(publishes, spec.alertsAgents === true, `${name} publishes to the agents' topic`);
    }
  });

  test('the agents\' topic exists and every function knows its ARN', () => {
    dev().template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicId = logicalId(dev().stack, dev().stack.agentTopic);
    for (const name of Object.keys(FUNCTIONS)) {
      const fn = Object.values(dev().template.findResources('AWS::Lambda::Function')).find(
        (r: any) => JSON.stringify(r.Properties.FunctionName).includes(`-${name}`),
      ) as any;
      assert.ok(fn, name);
      assert.deepEqual(fn.Properties.Environment.Variables.CHATDROP_AGENT_TOPIC_ARN, { Ref: topicId }, name);
    }
  });

  test('every function may read the secret: each installs CHATDROP_ID_KEY at cold start', () => {
    // Config::from_env + Secrets::load_with_id_key in every function (shared/config): one
    // without the grant would fail its first cold start in AWS, which no local test sees.
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      assert.equal(spec.readsSecrets, true, `${name} must read the secret for CHATDROP_ID_KEY`);
    }
  });
});

describe('entry points, alarms and outputs', () => {
  test('the HTTP API routes the webhooks to ingress, with access logs and a throttle', () => {
    for (const spec of Object.values(FUNCTIONS)) {
      if (spec.trigger.kind !== 'http') continue;
      for (const route of spec.trigger.routes) {
        for (const method of route.methods) {
          dev().template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${method} ${route.path}` });
        }
        if (!route.path.includes('{')) {
          // `/webhooks/stripe` → output `UrlWebhooksStripe`.
          const id = route.path.split('/').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
          dev().template.hasOutput(`Url${id}`, {});
        }
      }
    }
    dev().template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/{channel}' });
    const [stage] = Object.values(ofType(dev().template, 'AWS::ApiGatewayV2::Stage'));
    assert.equal(stage.Properties.StageName, '$default');
    assert.ok(stage.Properties.AccessLogSettings.DestinationArn);
    assert.ok(stage.Properties.DefaultRouteSettings.ThrottlingRateLimit > 0);
    for (const output of ['ApiUrl', 'WebhookUrlWhatsapp', 'WebhookUrlTelegram', 'SecretArn', 'TableName']) {
      dev().template.hasOutput(output, {});
    }
    for (const q of resources.queues) {
      const p = q.id[0].toUpperCase() + q.id.slice(1);
      dev().template.hasOutput(`${p}DeadLetterQueueArn`, {});
    }
  });

  test("alarms watch every dead-letter queue's depth and every function's errors and throttles", () => {
    const alarms = Object.values(ofType(dev().template, 'AWS::CloudWatch::Alarm'));
    const watching = (metric: string, dimension: string, value: unknown) =>
      alarms.some(
        (a) =>
          a.Properties.MetricName === metric &&
          a.Properties.Dimensions?.some((d: any) => d.Name === dimension && JSON.stringify(d.Value) === JSON.stringify(value)),
      );
    for (const q of resources.queues) {
      const dlq = logicalId(dev().stack, dev().stack.queues[q.id].deadLetters);
      assert.ok(
        watching('ApproximateNumberOfMessagesVisible', 'QueueName', { 'Fn::GetAtt': [dlq, 'QueueName'] }),
        `${q.id}'s DLQ depth`,
      );
    }
    for (const name of names) {
      const fn = { Ref: logicalId(dev().stack, dev().stack.functions[name]) };
      assert.ok(watching('Errors', 'FunctionName', fn), `${name} errors`);
      assert.ok(watching('Throttles', 'FunctionName', fn), `${name} throttles`);
    }
    for (const a of alarms) {
      assert.equal(a.Properties.AlarmActions, undefined, 'no topic given');
    }
    const withTopic = synth({ alarmTopicArn: 'arn:aws:sns:us-east-1:111111111111:ops' });
    for (const a of Object.values(ofType(withTopic.template, 'AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(a.Properties.AlarmActions, ['arn:aws:sns:us-east-1:111111111111:ops']);
    }
  });

  test('adding a function is one entry: a schedule, HTTP routes', () => {
    const specs: Record<string, FunctionSpec> = {
      ...FUNCTIONS,
      nightly: {
        description: 'test: a scheduled function',
        memoryMb: 256,
        timeoutSeconds: 60,
        trigger: { kind: 'schedule', schedule: 'cron(0 3 * * ? *)', retryAttempts: 2 },
        table: 'readWrite',
        sendsTo: ['outbound'],
        readsSecrets: false,
      },
      link: {
        description: 'test: an HTTP function',
        memoryMb: 256,
        timeoutSeconds: 5,
        reservedConcurrency: 5,
        trigger: { kind: 'http', routes: [{ path: '/l/{token}', methods: ['GET'], throttle: { rateLimit: 5, burstLimit: 10 } }] },
        table: 'read',
        sendsTo: [],
        readsSecrets: true,
      },
      hook: {
        description: 'test: a webhook beside the channel ones',
        memoryMb: 256,
        timeoutSeconds: 10,
        trigger: { kind: 'http', routes: [{ path: '/webhooks/partner', methods: ['POST'], throttle: { rateLimit: 7, burstLimit: 14 } }] },
        table: 'readWrite',
        sendsTo: ['outbound'],
        readsSecrets: true,
      },
    };
    const more = [...names, 'nightly', 'link', 'hook'];
    const { stack, template } = synth({ functions: specs, crates: more.sort(), lambdaDir: lambdaDir('arm64', more) });
    template.resourceCountIs('AWS::Lambda::Function', names.length + 3);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', routeCount(specs));
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [{ Arn: { 'Fn::GetAtt': [logicalId(stack, stack.functions.nightly), 'Arn'] } }],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.functions.nightly) },
      MaximumRetryAttempts: 2,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /l/{token}' });
    // The most specific route wins: a webhook beside /webhooks/{channel}, with its URL.
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhooks/partner' });
    template.hasOutput('UrlWebhooksPartner', {});
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'chatdrop-dev-link', ReservedConcurrentExecutions: 5 });
    const link = functionStatements(stack, template, 'link').flatMap((s) => asList(s.Action));
    assert.ok(link.includes('dynamodb:GetItem') && !link.includes('dynamodb:PutItem'));
    // Each new route gets its own throttle.
    const [stage] = Object.values(ofType(template, 'AWS::ApiGatewayV2::Stage'));
    assert.deepEqual(stage.Properties.RouteSettings['GET /l/{token}'], { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 });
    assert.deepEqual(stage.Properties.RouteSettings['POST /webhooks/partner'], { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 14 });
    // A queue consumer may not set its own timeout: resources.json has it.
    const clash = { ...FUNCTIONS, notify: { ...FUNCTIONS.notify, timeoutSeconds: 5 } };
    assert.throws(() => synth({ functions: clash }), /consumer_timeout_seconds in resources.json/);
  });
});

describe('hardening: public URLs, route throttles, access logs, alarm topic, table actions', () => {
  const smsSettings = { CHATDROP_TWILIO_ACCOUNT_SID: 'AC1', CHATDROP_SMS_FROM: '+15550002222' };
  const channels = ['whatsapp', 'telegram', 'messenger', 'line', 'sms'];

  test('every webhook and link output is the URL ingress verifies: the public base, custom or not', () => {
    for (const publicBaseUrl of ['https://shop.example/', 'https://shop.example/chatdrop', undefined]) {
      const { stack, template } = synth({ channels, channelSettings: smsSettings, publicBaseUrl });
      const ingress = ofType(template, 'AWS::Lambda::Function')[logicalId(stack, stack.functions.ingress)];
      // ingress: `format!("{}/webhooks/{name}", public_base_url)`, after Config trims the '/'.
      const base = evaluate(ingress.Properties.Environment.Variables.CHATDROP_PUBLIC_BASE_URL).replace(/\/+$/, '');
      if (publicBaseUrl) {
        assert.equal(base, publicBaseUrl.replace(/\/+$/, ''));
      } else {
        assert.match(base, /^https:\/\/<HttpApi[0-9A-F]+>\.execute-api\.<AWS::Region>\.<AWS::URLSuffix>$/);
      }
      const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
      for (const channel of channels) {
        const id = `WebhookUrl${channel[0].toUpperCase()}${channel.slice(1)}`;
        assert.equal(evaluate(outputs[id].Value), `${base}/webhooks/${channel}`, `${id} with publicBaseUrl ${publicBaseUrl}`);
      }
      for (const spec of Object.values(FUNCTIONS)) {
        if (spec.trigger.kind !== 'http') continue;
        for (const route of spec.trigger.routes.filter((r) => !r.path.includes('{'))) {
          const id = `Url${route.path.split('/').filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('')}`;
          assert.equal(evaluate(outputs[id].Value), `${base}${route.path}`, `${id} with publicBaseUrl ${publicBaseUrl}`);
        }
      }
      assert.equal(evaluate(outputs.PublicBaseUrl.Value), base);
      // The API's own URL stays available, for the domain's forwarding.
      assert.match(evaluate(outputs.ApiUrl.Value), /execute-api/);
    }
    assert.throws(() => synth({ publicBaseUrl: 'shop.example' }), /publicBaseUrl: `shop.example` is not an http\(s\) URL/);
  });

  test('every route has its own throttle; QR images and pay links cannot spend the webhooks\' budget', () => {
    const [stage] = Object.values(ofType(dev().template, 'AWS::ApiGatewayV2::Stage'));
    const settings = stage.Properties.RouteSettings as Record<string, any>;
    const expected = routeThrottles(FUNCTIONS);
    assert.deepEqual(Object.keys(settings).sort(), [...expected.keys()].sort(), 'one setting per route, none for a route that does not exist');
    for (const [key, t] of expected) {
      assert.deepEqual(settings[key], { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }, key);
    }
    // The stage default only bounds a route without settings; below every declared route's.
    const fallback = stage.Properties.DefaultRouteSettings;
    for (const [key, t] of expected) {
      assert.ok(fallback.ThrottlingRateLimit <= t.rateLimit && fallback.ThrottlingBurstLimit <= t.burstLimit, key);
    }
    // The costlier or less important routes get less than the platforms' webhooks.
    const webhooks = settings['POST /webhooks/{channel}'];
    for (const key of ['GET /qr/{file}', 'GET /p/{token}', 'GET /paid', 'GET /cancelled', 'GET /webhooks/{channel}']) {
      assert.ok(settings[key].ThrottlingRateLimit < webhooks.ThrottlingRateLimit, key);
      assert.ok(settings[key].ThrottlingBurstLimit < webhooks.ThrottlingBurstLimit, key);
    }
    // API Gateway refuses settings for a route it has not created yet: the stage waits.
    const stageResource = dev().template.toJSON().Resources[logicalId(dev().stack, dev().stack.apiStage)];
    const routes = Object.keys(ofType(dev().template, 'AWS::ApiGatewayV2::Route'));
    for (const route of routes) {
      assert.ok(asList(stageResource.DependsOn ?? []).includes(route), `the stage depends on ${route}`);
    }
    const paid: FunctionSpec = {
      ...FUNCTIONS['payment-webhook'],
      trigger: { kind: 'http', routes: [{ path: '/paid', methods: ['GET'], throttle: { rateLimit: 0, burstLimit: 0 } }] },
    };
    assert.throws(() => synth({ functions: { ...FUNCTIONS, 'payment-webhook': paid } }), /route GET \/paid: a throttle needs/);
  });

  test('README states each route\'s throttle and each function\'s reserved concurrency as functions.ts has them', () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const throttles = routeThrottles(FUNCTIONS);
    const rows = markdownTable(readme, 'route | function | rate');
    assert.deepEqual(
      rows.map((r) => r.slice(0, 4)).sort(),
      [...throttles].map(([key, t]) => [`\`${key}\``, `\`${t.fn}\``, String(t.rateLimit), String(t.burstLimit)]).sort(),
    );
    const concurrency = markdownTable(readme, 'function | reserved concurrency');
    assert.deepEqual(
      concurrency.map((r) => r.slice(0, 2)).sort(),
      Object.entries(FUNCTIONS).map(([name, spec]) => [`\`${name}\``, spec.reservedConcurrency === undefined ? 'none' : String(spec.reservedConcurrency)]).sort(),
    );
  });

  test('access logs name the route, never the raw path (pay tokens)', () => {
    const [stage] = Object.values(ofType(dev().template, 'AWS::ApiGatewayV2::Stage'));
    const format = stage.Properties.AccessLogSettings.Format as string;
    assert.equal(typeof format, 'string');
    assert.doesNotMatch(format, /\$context\.path\b/, '$context.path holds /p/<token> and /qr/<token>.png');
    assert.doesNotMatch(format, /\$context\.(resourcePath|requestOverride|pathParameters)/);
    assert.match(format, /\$context\.routeKey\b/);
    // Still one JSON object per request.
    assert.equal(JSON.parse(format).routeKey, '$context.routeKey');
  });

  test('prod refuses to synthesize without an alarm topic, and names the context key', () => {
    assert.throws(() => synth({ stage: 'prod' }), /stage prod needs an alarm topic: set context alarmTopicArn/);
    assert.throws(() => synth({ stage: 'prod', alarmTopicArn: 'ops' }), /alarmTopicArn: `ops` is not an SNS topic ARN/);
    for (const a of Object.values(ofType(prod().template, 'AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(a.Properties.AlarmActions, [TOPIC]);
      assert.deepEqual(a.Properties.OKActions, [TOPIC]);
    }
    assert.doesNotThrow(() => dev(), 'dev may go without a topic');
  });

  test('catalog and cart may call exactly the table actions their code uses, on the table only', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(dev().stack, dev().stack.table), 'Arn'] };
    // shared/conversation through shared/store: GetItem (marker, session), Query (the catalog
    // partition), TransactWriteItems of conditional Puts (PutItem), UpdateItem (mark_done,
    // delivery status).
    const used = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
    for (const name of ['catalog', 'cart']) {
      const onTable = functionStatements(dev().stack, dev().template, name).filter((st) =>
        asList(st.Action).some((a: string) => a.startsWith('dynamodb:')),
      );
      const actions = [...new Set(onTable.flatMap((st) => asList(st.Action)))].sort();
      assert.deepEqual(actions, used, name);
      for (const st of onTable) {
        assert.equal(st.Effect, 'Allow');
        for (const resource of asList(st.Resource)) {
          assert.deepEqual(resource, tableArn, `${name}: only the table`);
        }
      }
    }
  });
});

describe('cdk-nag', () => {
  test('AwsSolutions finds nothing unacknowledged, in dev and prod', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'chatdrop-cdk-out-')) });
      new ChatdropStack(app, `chatdrop-${stage}`, props({ stage, alarmTopicArn: stage === 'prod' ? TOPIC : undefined }));
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      assert.doesNotThrow(() => app.synth(), `cdk-nag, ${stage}`);
    }
  });
});

describe('sample events (infra/events)', () => {
  const dir = path.join(__dirname, '..', 'events');

  test('every function has a sample event for cargo lambda invoke', () => {
    // `<function>-<what>.json`, by the longest function name that fits (`payment-webhook-…`).
    const byLength = [...names].sort((a, b) => b.length - a.length);
    const owner = (file: string) => byLength.find((n) => file.startsWith(`${n}-`));
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    for (const file of files) {
      assert.ok(owner(file), `infra/events/${file} names no function`);
    }
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const mine = files.filter((f) => owner(f) === name);
      assert.ok(mine.length > 0, `infra/events has no ${name}-*.json`);
      for (const file of mine) {
        const event = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
        if (spec.trigger.kind === 'queue') {
          const queue = resources.queues.find((q) => spec.trigger.kind === 'queue' && q.id === spec.trigger.queue)!;
          assert.ok(event.Records.length > 0, file);
          for (const record of event.Records) {
            assert.ok(record.eventSourceARN.endsWith(`:${queue.name.replace(/(\.fifo)?$/, '-dev$1')}`), `${file}: from ${queue.name}`);
            assert.doesNotThrow(() => JSON.parse(record.body), file);
            if (queue.fifo) {
              assert.ok(record.attributes.MessageGroupId && record.attributes.MessageDeduplicationId, file);
            }
          }
        } else if (spec.trigger.kind === 'http') {
          assert.equal(event.version, '2.0', `${file}: an HTTP API payload 2.0 event`);
        }
      }
    }
  });

  test('local.env sets every variable the functions require, and every queue URL', () => {
    const vars = new Map(
      fs
        .readFileSync(path.join(dir, 'local.env'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
    );
    const configSource = fs.readFileSync(path.join(REPO_ROOT, 'shared', 'config', 'src', 'lib.rs'), 'utf8');
    for (const m of configSource.matchAll(/required\(vars, "([A-Z0-9_]+)"\)/g)) {
      assert.ok(vars.has(m[1]), `local.env lacks ${m[1]}`);
    }
    // local.env serves every channel, so it sets every channel's required settings.
    for (const channel of loadChannelRegistry().channels) {
      for (const setting of channel.settings.filter((s) => s.required)) {
        assert.ok(vars.has(setting.env), `local.env lacks ${setting.env} (${channel.name})`);
      }
    }
    for (const q of resources.queues) {
      assert.ok(vars.get(q.url_env)?.endsWith(`/${q.name}`), `local.env: ${q.url_env} names ${q.name}`);
    }
    for (const name of secretNames) {
      assert.ok(vars.has(name), `local.env lacks the development ${name}`);
    }
  });
});

describe('the console', () => {
  test('its routes sit behind a JWT authorizer on the agents pool; the webhooks do not', () => {
    const { template } = dev();
    const [authorizer] = Object.values(ofType(template, 'AWS::ApiGatewayV2::Authorizer'));
    assert.equal(authorizer.Properties.AuthorizerType, 'JWT');
    assert.deepEqual(authorizer.Properties.IdentitySource, ['$request.header.Authorization']);
    for (const route of Object.values(ofType(template, 'AWS::ApiGatewayV2::Route'))) {
      const consoleRoute = String(route.Properties.RouteKey).includes('/console/api/');
      assert.equal(route.Properties.AuthorizationType ?? 'NONE', consoleRoute ? 'JWT' : 'NONE', route.Properties.RouteKey);
    }
    const groups = Object.values(ofType(template, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    assert.deepEqual(groups.sort(), ['agent', 'manager']);
    const [pool] = Object.values(ofType(template, 'AWS::Cognito::UserPool'));
    assert.equal(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly, true, 'no self sign-up');
    const [client] = Object.values(ofType(template, 'AWS::Cognito::UserPoolClient'));
    assert.equal(client.Properties.GenerateSecret, false);
    assert.ok(client.Properties.ExplicitAuthFlows.includes('ALLOW_USER_PASSWORD_AUTH'));
    template.hasOutput('ConsoleUrl', {});
    template.hasOutput('ConsoleUserPoolId', {});
    // The static files are private to CloudFront, which also forwards the API.
    const [bucket] = Object.values(ofType(template, 'AWS::S3::Bucket'));
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const [cdn] = Object.values(ofType(template, 'AWS::CloudFront::Distribution'));
    const api = cdn.Properties.DistributionConfig.CacheBehaviors.find((b: any) => b.PathPattern === '/console/api/*');
    assert.ok(api, 'the API behind the same origin');
  });
});
