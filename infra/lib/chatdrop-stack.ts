// The whole of chatdrop on AWS: the functions of `functions/` (prebuilt by cargo lambda), the
// table and queues of `shared/config/resources.json`, one HTTP API for the webhooks, one secret,
// and alarms. See `bin/chatdrop.ts` for the context values that configure it.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, Tags, Token, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Console } from './console';
import { FUNCTIONS, FunctionSpec, RouteThrottle, functionListProblems } from './functions';
import {
  ChannelRegistry,
  QueueDef,
  Resources,
  functionCrates,
  loadChannelRegistry,
  loadResources,
  loadSecretNames,
} from './repo';

export type Stage = 'dev' | 'prod';
export type ArchName = 'arm64' | 'x86_64';

export interface ChatdropStackProps extends StackProps {
  /** `prod` turns on deletion protection and keeps data and logs when the stack goes. */
  stage: Stage;
  /** The functions' architecture; must match the binaries in `lambdaDir`. */
  architecture: ArchName;
  /** cargo lambda's output: `<lambdaDir>/<function>/bootstrap`. */
  lambdaDir: string;
  /** `CHATDROP_CHANNELS`. */
  channels: string[];
  /** `CHATDROP_WHATSAPP_PHONE_NUMBER_ID`; required when WhatsApp is served. */
  whatsappPhoneNumberId?: string;
  /**
   * `CHATDROP_PUBLIC_BASE_URL`; default: the HTTP API's URL. A domain set here must forward to
   * the HTTP API: the links go through it, and ingress checks the signatures that cover the URL
   * (Twilio's) against it, so the webhook outputs give URLs on it.
   */
  publicBaseUrl?: string;
  /** `CHATDROP_DEFAULT_LANG`; default: unset (the functions' default, `en`). */
  defaultLang?: string;
  /**
   * The channels' public (non-secret) settings, by environment variable name: each served
   * channel's required settings in `channels.generated.json` (`CHATDROP_WECHAT_APP_ID` with
   * WeChat, `CHATDROP_TWILIO_ACCOUNT_SID` and `CHATDROP_SMS_FROM` with SMS), the optional ones
   * (`CHATDROP_WHATSAPP_ORDER_TEMPLATE`(`_LANG`)), and `CHATDROP_SEND_RATES`.
   */
  channelSettings?: Record<string, string>;
  /** `RUST_LOG`. */
  rustLog: string;
  /** How long logs are kept. */
  logRetention: logs.RetentionDays;
  /**
   * An existing SNS topic the alarms notify. Required for `prod` (the stack refuses to
   * synthesize without it: alarms that tell no one are no alarms); `dev` may go without.
   */
  alarmTopicArn?: string;
  /**
   * `CHATDROP_RETAILER`: the retailer this deployment serves; a console user's
   * `custom:retailer` must equal it. Default `default`.
   */
  retailer?: string;
  /** Overrides for tests; default: the real map, crates and resources.json. */
  functions?: Record<string, FunctionSpec>;
  crates?: string[];
  resources?: Resources;
  secretNames?: string[];
  channelRegistry?: ChannelRegistry;
}

/**
 * The stage's default route throttle, for a route without settings of its own. Every route the
 * map declares has its own (`RouteThrottle` in functions.ts, one bucket per route, so a flood
 * of QR requests cannot spend the webhooks' budget); this is only the floor for a route added
 * by hand, kept low so that one is noticed rather than left open.
 */
const DEFAULT_ROUTE_THROTTLE: RouteThrottle = { rateLimit: 10, burstLimit: 20 };

/**
 * The access log's fields. No `$context.path`: `/p/{token}` and `/qr/{token}.png` carry the
 * bearer token of an unpaid order, and logs are kept 14 to 90 days. The route key names the
 * route with its parameters unexpanded (`GET /p/{token}`).
 */
export const ACCESS_LOG_FIELDS: Record<string, string> = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  method: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
};

/** `machine` field of an ELF header (little-endian), by architecture. */
const ELF_MACHINE: Record<ArchName, number> = { x86_64: 0x3e, arm64: 0xb7 };

/** The architecture of the ELF binary at `file`, or undefined if it is no ELF file. */
export function elfArchitecture(file: string): ArchName | 'other' | undefined {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.readSync(fd, header, 0, header.length, 0) < header.length) {
      return undefined;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) {
    return undefined;
  }
  const machine = header.readUInt16LE(18);
  const arch = (Object.keys(ELF_MACHINE) as ArchName[]).find((a) => ELF_MACHINE[a] === machine);
  return arch ?? 'other';
}

/** `chatdrop-catalog.fifo` on stage `dev` → `chatdrop-catalog-dev.fifo`. */
function stageName(name: string, stage: Stage): string {
  const fifo = name.endsWith('.fifo');
  const base = fifo ? name.slice(0, -'.fifo'.length) : name;
  return `${base}-${stage}${fifo ? '.fifo' : ''}`;
}

function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

export class ChatdropStack extends Stack {
  readonly table: dynamodb.Table;
  readonly queues: Record<string, { queue: sqs.Queue; deadLetters: sqs.Queue; def: QueueDef }> = {};
  readonly functions: Record<string, lambda.Function> = {};
  readonly secret: secretsmanager.Secret;
  /** Agents subscribe here (mail, chat, paging): customers waiting for a person, escalations. */
  readonly agentTopic: sns.Topic;
  readonly api: apigw.HttpApi;
  readonly apiStage: apigw.HttpStage;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** The public base URL without its trailing `/`: the API's URL or `publicBaseUrl`. */
  readonly publicBaseUrl: string;
  private readonly specs: Record<string, FunctionSpec>;
  /** Each route's throttle, by route key (`POST /webhooks/{channel}`). */
  private readonly routeThrottles: Record<string, RouteThrottle> = {};
  private readonly routes: apigw.HttpRoute[] = [];
  /** The console's user pool, authorizer and static site. */
  readonly console: Console;

  constructor(scope: Construct, id: string, props: ChatdropStackProps) {
    super(scope, id, props);
    const stage = props.stage;
    const prod = stage === 'prod';
    const keep = prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const resources = props.resources ?? loadResources();
    const specs = props.functions ?? FUNCTIONS;
    this.specs = specs;
    const secretNames = props.secretNames ?? loadSecretNames();
    const problems = functionListProblems(props.crates ?? functionCrates(), specs);
    for (const q of resources.queues) {
      const consumer = specs[q.consumer];
      if (!consumer || consumer.trigger.kind !== 'queue' || consumer.trigger.queue !== q.id) {
        problems.push(
          `resources.json: queue ${q.id} is consumed by \`${q.consumer}\`, but infra/lib/functions.ts has no ${q.consumer} entry with trigger { kind: 'queue', queue: '${q.id}' }`,
        );
      }
    }
    if (prod && !props.alarmTopicArn) {
      problems.push(
        'stage prod needs an alarm topic: set context alarmTopicArn (-c alarmTopicArn=arn:aws:sns:<region>:<account>:<topic>); without it the alarms notify no one',
      );
    }
    const literal = (v: string | undefined): v is string => v !== undefined && !Token.isUnresolved(v);
    if (literal(props.alarmTopicArn) && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+(\.fifo)?$/.test(props.alarmTopicArn)) {
      problems.push(`alarmTopicArn: \`${props.alarmTopicArn}\` is not an SNS topic ARN`);
    }
    if (literal(props.publicBaseUrl) && !/^https?:\/\/[^/?#]+/.test(props.publicBaseUrl)) {
      // The functions refuse it at start (Config::from_vars); better at synth.
      problems.push(`publicBaseUrl: \`${props.publicBaseUrl}\` is not an http(s) URL`);
    }
    if (problems.length > 0) {
      throw new Error(problems.join('\n'));
    }
    Tags.of(this).add('app', 'chatdrop');
    Tags.of(this).add('stage', stage);

    // The table: keys, TTL and names from resources.json.
    const t = resources.table;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: stageName(t.name, stage),
      partitionKey: { name: t.partition_key, type: dynamodb.AttributeType.STRING },
      sortKey: { name: t.sort_key, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: t.ttl_attribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: prod,
      removalPolicy: keep,
    });

    // The queues, each with its dead-letter queue.
    for (const q of resources.queues) {
      const deadLetters = new sqs.Queue(this, `${pascal(q.id)}DeadLetters`, {
        queueName: stageName(q.dead_letter_name, stage),
        fifo: q.fifo || undefined,
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: keep,
      });
      const queue = new sqs.Queue(this, `${pascal(q.id)}Queue`, {
        queueName: stageName(q.name, stage),
        fifo: q.fifo || undefined,
        // The producers set a deduplication id (the platform's event id, the bundle id).
        contentBasedDeduplication: q.fifo ? false : undefined,
        // High-throughput FIFO: ordering and deduplication per message group (a conversation),
        // so a drop's crowd is not held to one queue-wide limit. An event always maps to the
        // same group, so per-group deduplication drops every redelivery a queue-wide one would.
        deduplicationScope: q.fifo ? sqs.DeduplicationScope.MESSAGE_GROUP : undefined,
        fifoThroughputLimit: q.fifo ? sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID : undefined,
        visibilityTimeout: Duration.seconds(q.visibility_timeout_seconds),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: q.max_receive_count },
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        removalPolicy: keep,
      });
      this.queues[q.id] = { queue, deadLetters, def: q };
    }

    // One secret: a JSON object whose keys are the names in `secret_names`. Its value is set
    // out of band (README, Deploy); the template holds no secret, and a new name never rewrites
    // the value that is there.
    this.secret = new secretsmanager.Secret(this, 'Secrets', {
      secretName: `chatdrop-${stage}/secrets`,
      description: 'chatdrop: a JSON object of CHATDROP_* secrets (see the stack output SecretKeys); set with put-secret-value',
      removalPolicy: keep,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The values are tokens issued by Meta, Telegram and Stripe, rotated in their consoles and then put here; no rotation Lambda can mint them.',
    });

    // The HTTP API: every function with an `http` trigger gets its routes here.
    this.api = new apigw.HttpApi(this, 'HttpApi', {
      apiName: `chatdrop-${stage}`,
      description: 'chatdrop webhooks and links',
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', {
      retention: props.logRetention,
      removalPolicy: keep,
    });
    this.apiStage = new apigw.HttpStage(this, 'HttpApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_ROUTE_THROTTLE,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });
    // The stage URL ends with '/'; Config trims it, and so does this (one rule for the links,
    // the URL ingress verifies signatures against, and the outputs).
    this.publicBaseUrl = (props.publicBaseUrl ?? this.apiStage.url).replace(/\/+$/, '');
    this.console = new Console(this, 'Console', { stage, keep, api: this.api });

    const architecture = props.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
    if (props.channels.includes('whatsapp') && !props.whatsappPhoneNumberId) {
      throw new Error('whatsappPhoneNumberId (context) is required when the channels include whatsapp');
    }
    const settings = props.channelSettings ?? {};
    // What each served channel requires comes from the Rust registry (channels.generated.json),
    // so a channel added there is checked here without a change to this file.
    const registry = props.channelRegistry ?? loadChannelRegistry();
    const known = registry.channels.map((c) => c.name);
    for (const channel of props.channels) {
      if (!known.includes(channel)) {
        throw new Error(`unknown channel ${channel}: the registry has ${known.join(', ')}`);
      }
    }
    const given: Record<string, string | undefined> = {
      ...settings,
      CHATDROP_WHATSAPP_PHONE_NUMBER_ID: props.whatsappPhoneNumberId,
    };
    for (const channel of registry.channels.filter((c) => props.channels.includes(c.name))) {
      for (const setting of channel.settings.filter((s) => s.required)) {
        if (!given[setting.env]) {
          throw new Error(
            `${setting.env} (context channelSettings) is required when the channels include ${channel.name}`,
          );
        }
      }
    }
    for (const name of Object.keys(settings)) {
      if (!/^CHATDROP_[A-Z0-9_]+$/.test(name)) {
        throw new Error(`channelSettings: ${name} is not a CHATDROP_* variable`);
      }
    }
    // A conversation handed to a person is published here at once, and again if nobody takes it
    // in time (chatdrop_domain::handoff); subscribe mail, a chat hook or a pager to it.
    this.agentTopic = new sns.Topic(this, 'AgentTopic', {
      topicName: `chatdrop-agents-${stage}`,
      displayName: 'chatdrop: customers waiting for a person',
      // Publishers and subscribers over TLS only, as the queues.
      enforceSSL: true,
    });
    Validations.of(this.agentTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'An alert names a channel, a keyed pseudonym and a reason, never a customer id or text; a KMS key would add a key policy for every mail or chat subscriber for nothing to hide.',
    });
    const environment: Record<string, string> = {
      ...settings,
      CHATDROP_AGENT_TOPIC_ARN: this.agentTopic.topicArn,
      CHATDROP_TABLE: this.table.tableName,
      CHATDROP_PUBLIC_BASE_URL: this.publicBaseUrl,
      CHATDROP_CHANNELS: props.channels.join(','),
      CHATDROP_SECRET_ID: this.secret.secretArn,
      RUST_LOG: props.rustLog,
      ...this.console.environment(props.retailer ?? 'default'),
    };
    for (const { queue, deadLetters, def } of Object.values(this.queues)) {
      environment[def.url_env] = queue.queueUrl;
      if (def.self_dead_letters) {
        // The consumer counts its own retries and dead-letters itself (see resources.json).
        environment[def.url_env.replace(/_QUEUE_URL$/, '_DLQ_URL')] = deadLetters.queueUrl;
      }
    }
    if (props.whatsappPhoneNumberId && props.channels.includes('whatsapp')) {
      environment.CHATDROP_WHATSAPP_PHONE_NUMBER_ID = props.whatsappPhoneNumberId;
    }
    if (props.defaultLang) {
      environment.CHATDROP_DEFAULT_LANG = props.defaultLang;
    }
    for (const name of Object.keys(environment)) {
      if (secretNames.includes(name)) {
        throw new Error(`${name} is a secret: it goes in the secret, never in the environment`);
      }
    }

    for (const [name, spec] of Object.entries(specs)) {
      const fn = this.addFunction(name, spec, {
        stage,
        keep,
        architecture: props.architecture,
        lambdaArchitecture: architecture,
        lambdaDir: props.lambdaDir,
        environment,
        logRetention: props.logRetention,
        resources,
      });
      this.functions[name] = fn;
    }
    this.applyRouteThrottles();

    this.addAlarms(stage, props.alarmTopicArn);
    this.addOutputs(props.channels, secretNames);
  }

  private addFunction(
    name: string,
    spec: FunctionSpec,
    ctx: {
      stage: Stage;
      keep: RemovalPolicy;
      architecture: ArchName;
      lambdaArchitecture: lambda.Architecture;
      lambdaDir: string;
      environment: Record<string, string>;
      logRetention: logs.RetentionDays;
      resources: Resources;
    },
  ): lambda.Function {
    const id = pascal(name);
    const dir = path.resolve(ctx.lambdaDir, name);
    const bootstrap = path.join(dir, 'bootstrap');
    if (!fs.existsSync(bootstrap)) {
      throw new Error(
        `${bootstrap} is missing: build the functions first (cargo lambda build --release --arm64, or see the context value lambdaDir)`,
      );
    }
    const built = elfArchitecture(bootstrap);
    if (built !== ctx.architecture) {
      throw new Error(
        `${bootstrap} is built for ${built ?? 'no ELF architecture'}, but the stack deploys ${ctx.architecture} (context value arch)`,
      );
    }

    let timeout = spec.timeoutSeconds;
    let consumed: QueueDef | undefined;
    if (spec.trigger.kind === 'queue') {
      const queueId = spec.trigger.queue;
      consumed = ctx.resources.queues.find((q) => q.id === queueId);
      if (!consumed) {
        throw new Error(`function ${name}: no queue \`${queueId}\` in resources.json`);
      }
      if (consumed.consumer !== name) {
        throw new Error(`function ${name}: resources.json says queue ${consumed.id} is consumed by ${consumed.consumer}`);
      }
      if (timeout !== undefined) {
        throw new Error(`function ${name}: a queue consumer's timeout is consumer_timeout_seconds in resources.json`);
      }
      timeout = consumed.consumer_timeout_seconds;
    }
    if (timeout === undefined) {
      throw new Error(`function ${name}: timeoutSeconds is required for a ${spec.trigger.kind} trigger`);
    }

    const functionName = `chatdrop-${ctx.stage}-${name}`;
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: ctx.logRetention,
      removalPolicy: ctx.keep,
    });
    // An own role instead of the managed AWSLambdaBasicExecutionRole: it may write to its own
    // log group only; every other permission is a grant below.
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `chatdrop ${ctx.stage} ${name}`,
    });
    logGroup.grantWrite(role);

    const fn = new lambda.Function(this, `${id}Function`, {
      functionName,
      description: spec.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: ctx.lambdaArchitecture,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(dir),
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(timeout),
      reservedConcurrentExecutions: spec.reservedConcurrency,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: ctx.environment,
    });
    // cfn-lint W3005 (redundant DependsOn): lambda.Function makes its resource depend on the
    // whole role construct, so the role's policy exists before the function runs; that includes
    // the role resource itself, which the function already references. Harmless, and CDK's.
    (fn.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });

    if (Array.isArray(spec.table)) {
      // Only what the code calls; an empty list would be a typo for 'none'.
      if (spec.table.length === 0) {
        throw new Error(`function ${name}: table lists no action; say 'none'`);
      }
      this.table.grant(fn, ...[...new Set(spec.table)].sort().map((a) => `dynamodb:${a}`));
    } else if (spec.table === 'readWrite') {
      this.table.grantReadWriteData(fn);
    } else if (spec.table === 'read') {
      this.table.grantReadData(fn);
    }
    for (const queueId of spec.sendsTo) {
      const target = this.queues[queueId];
      if (!target) {
        throw new Error(`function ${name}: sendsTo names \`${queueId}\`, which is no queue in resources.json`);
      }
      target.queue.grantSendMessages(fn);
    }
    if (spec.readsSecrets) {
      this.secret.grantRead(fn);
    }
    if (spec.alertsAgents) {
      this.agentTopic.grantPublish(fn);
    }
    if (consumed?.self_dead_letters) {
      this.queues[consumed.id].deadLetters.grantSendMessages(fn);
    }

    switch (spec.trigger.kind) {
      case 'http': {
        const integration = new HttpLambdaIntegration(`${id}Integration`, fn);
        for (const route of spec.trigger.routes) {
          const routes = this.api.addRoutes({
            path: route.path,
            methods: route.methods.map((m) => apigw.HttpMethod[m]),
            integration,
            authorizer: route.auth === 'console' ? this.console.authorizer : undefined,
          });
          for (const method of route.methods) {
            this.routeThrottles[`${method} ${route.path}`] = route.throttle;
          }
          this.routes.push(...routes);
          for (const r of routes.filter(() => route.auth === undefined)) {
            Validations.of(r).acknowledge({
              id: 'AwsSolutions-APIG4',
              reason: `${route.path} is called by a platform that cannot send AWS or JWT credentials; ${name} authenticates every request itself (signature on the raw body or the platform's secret token) before reading it.`,
            });
          }
        }
        break;
      }
      case 'queue': {
        const { queue } = this.queues[spec.trigger.queue];
        fn.addEventSource(
          new SqsEventSource(queue, {
            batchSize: spec.trigger.batchSize,
            reportBatchItemFailures: true,
            maxConcurrency: spec.trigger.maxConcurrency,
          }),
        );
        break;
      }
      case 'schedule': {
        new events.Rule(this, `${id}Schedule`, {
          description: `chatdrop ${ctx.stage}: runs ${name}`,
          schedule: events.Schedule.expression(spec.trigger.schedule),
          targets: [new targets.LambdaFunction(fn)],
        });
        fn.configureAsyncInvoke({ retryAttempts: spec.trigger.retryAttempts });
        break;
      }
    }
    return fn;
  }

  /**
   * Gives every route its own throttle (the stage's `RouteSettings`, by route key). The stage
   * waits for the routes: API Gateway refuses settings for a route key it does not know yet.
   */
  private applyRouteThrottles(): void {
    const settings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const [key, t] of Object.entries(this.routeThrottles)) {
      if (!(t.rateLimit > 0 && t.burstLimit >= 1 && Number.isInteger(t.burstLimit))) {
        throw new Error(`route ${key}: a throttle needs a rate above 0 and a whole burst of at least 1`);
      }
      settings[key] = { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit };
    }
    (this.apiStage.node.defaultChild as apigw.CfnStage).routeSettings = settings;
    for (const route of this.routes) {
      this.apiStage.node.addDependency(route);
    }
  }

  private addAlarms(stage: Stage, topicArn: string | undefined): void {
    const alarm = (id: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, id, {
        alarmName: `chatdrop-${stage}-${id}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.alarms.push(a);
    };
    const fiveMinutes = Duration.minutes(5);
    for (const [id, { queue, deadLetters }] of Object.entries(this.queues)) {
      alarm(
        `${id}-dead-letters`,
        deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        1,
        `Messages in ${id}'s dead-letter queue: inspect them, fix the cause, then redrive (README, Deploy).`,
      );
      alarm(
        `${id}-backlog-age`,
        queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
        300,
        `The oldest message in ${id} waited 5 minutes or more: its consumer fails, is throttled or is capped too low.`,
      );
    }
    for (const [name, fn] of Object.entries(this.functions)) {
      alarm(`${name}-errors`, fn.metricErrors({ period: fiveMinutes, statistic: 'Sum' }), 1, `${name} failed an invocation (crash, timeout or error at start).`);
      alarm(`${name}-throttles`, fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }), 1, `${name} was throttled.`);
    }
    alarm(
      'http-5xx',
      this.apiStage.metricServerError({ period: fiveMinutes, statistic: 'Sum' }),
      1,
      'The HTTP API answered 5xx: a webhook could not be queued (the platform redelivers) or a function failed.',
    );
    if (topicArn) {
      const action = new SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', topicArn));
      for (const a of this.alarms) {
        a.addAlarmAction(action);
        a.addOkAction(action);
      }
    }
  }

  private addOutputs(channels: string[], secretNames: string[]): void {
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('ApiUrl', this.apiStage.url, 'The HTTP API itself (a publicBaseUrl domain must forward to it)');
    out('PublicBaseUrl', this.publicBaseUrl, 'CHATDROP_PUBLIC_BASE_URL: the base of every link, and of every URL below');
    // On the public base, not the API's own URL: ingress checks a signature that covers the URL
    // (Twilio's) against `CHATDROP_PUBLIC_BASE_URL/webhooks/<channel>`, so that is the URL a
    // platform must call; with a custom domain the execute-api URL would answer 401.
    const url = (routePath: string) => Fn.join('', [this.publicBaseUrl, routePath]);
    for (const channel of channels) {
      out(`WebhookUrl${pascal(channel)}`, url(`/webhooks/${channel}`), `Point ${channel}'s webhook here`);
    }
    // Every fixed HTTP route (no path parameter) gets its URL too: `/webhooks/stripe` →
    // `UrlWebhooksStripe`.
    const fixed = new Set<string>();
    for (const spec of Object.values(this.specs)) {
      if (spec.trigger.kind !== 'http') continue;
      for (const route of spec.trigger.routes) {
        if (!route.path.includes('{') && !fixed.has(route.path)) {
          fixed.add(route.path);
          out(`Url${pascal(route.path)}`, url(route.path), `${route.methods.join('/')} ${route.path}`);
        }
      }
    }
    out('AgentTopicArn', this.agentTopic.topicArn, 'Subscribe the agents here (aws sns subscribe --protocol email …): handoffs and escalations');
    out('SecretArn', this.secret.secretArn, 'The secret (CHATDROP_SECRET_ID): set its JSON value with put-secret-value');
    out('SecretKeys', secretNames.join(','), 'The keys the secret JSON object must have');
    out('TableName', this.table.tableName, `The table (load a catalog with CHATDROP_TABLE=<this> chatdrop catalog load)`);
    for (const [id, { queue, deadLetters }] of Object.entries(this.queues)) {
      const p = pascal(id);
      out(`${p}QueueUrl`, queue.queueUrl, `The ${id} queue`);
      out(`${p}DeadLetterQueueUrl`, deadLetters.queueUrl, `${id}'s dead-letter queue`);
      out(`${p}DeadLetterQueueArn`, deadLetters.queueArn, `${id}'s dead-letter queue (aws sqs start-message-move-task --source-arn <this>)`);
    }
    for (const [name, fn] of Object.entries(this.functions)) {
      out(`${pascal(name)}FunctionName`, fn.functionName, `aws logs tail /aws/lambda/<this> --follow`);
    }
  }
}
