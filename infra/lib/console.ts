// The retailer's console in AWS: who may sign in (a Cognito user pool with the role groups),
// the JWT authorizer API Gateway puts in front of `/console/api/*`, and the static web console
// (`console/` in the repository) served from a private S3 bucket through CloudFront, which also
// forwards `/console/api/*` to the HTTP API so the page and its API share one origin.
//
// The console function verifies every token again itself (shared/console/src/auth.rs): the same
// code runs on the local stack, where moto issues the tokens and no authorizer exists.
//
// The files are not part of the template (a BucketDeployment would add a Lambda with a managed
// policy and wildcard S3 actions, which this stack does not allow): after a deploy, README
// "Deploy → The console" uploads `console/` and writes its `config.json` from the outputs.

import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The groups that are the console's roles (`cognito:groups` in the ID token). */
export const CONSOLE_ROLES = ['agent', 'manager'];

export interface ConsoleProps {
  stage: 'dev' | 'prod';
  keep: RemovalPolicy;
  api: apigw.HttpApi;
}

export class Console extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly authorizer: HttpJwtAuthorizer;
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const region = Stack.of(this).region;

    this.userPool = new cognito.UserPool(this, 'Agents', {
      userPoolName: `chatdrop-${props.stage}-agents`,
      // Agents are created by an operator (`chatdrop agent create`), never by themselves.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      customAttributes: { retailer: new cognito.StringAttribute({ mutable: true }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.keep,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason: 'MFA is offered (TOTP) and a retailer can require it in the pool; requiring it here would lock out agents before they enrol.',
    });
    for (const rule of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      Validations.of(this.userPool).acknowledge({
        id: rule,
        reason: "Cognito's threat protection needs the paid Plus feature plan; the console bounds every user's request rate itself and audits every action.",
      });
    }
    for (const role of CONSOLE_ROLES) {
      new cognito.CfnUserPoolGroup(this, `Group${role[0].toUpperCase()}${role.slice(1)}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        description: role === 'manager' ? 'Console: everything, refunds included' : 'Console: dashboard, orders, shipping',
      });
    }
    // A browser cannot keep a secret; USER_PASSWORD_AUTH is the flow the page uses.
    this.client = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'console',
      generateSecret: false,
      authFlows: { userPassword: true },
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(1),
      preventUserExistenceErrors: true,
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true })
        .withCustomAttributes('retailer'),
      writeAttributes: new cognito.ClientAttributes(),
    });
    // The ID token (it carries the groups and the retailer): its `aud` is the client.
    this.authorizer = new HttpJwtAuthorizer('ConsoleJwt', `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`, {
      jwtAudience: [this.client.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'Static files only, read through CloudFront; the API access log records every console request.',
    });
    const apiDomain = Fn.select(2, Fn.split('/', props.api.apiEndpoint));
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // Scripts from this origin only: customer text is inserted as text, and an inline
          // script could not run even if some code forgot.
          contentSecurityPolicy: `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' https://cognito-idp.${region}.amazonaws.com; frame-ancestors 'none'; base-uri 'none'`,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      comment: `chatdrop ${props.stage} console`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: {
        // The API on the same origin: no CORS, the token never leaves it.
        '/console/api/*': {
          origin: new origins.HttpOrigin(apiDomain),
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
    });
    for (const [rule, reason] of [
      ['AwsSolutions-CFR1', 'Agents may work from anywhere; sign-in is what restricts the console.'],
      ['AwsSolutions-CFR2', 'No WAF: every API request is authenticated and rate-bounded per user, and the static files are public code.'],
      ['AwsSolutions-CFR3', 'The API access log records every console request; the static files carry nothing to audit.'],
      ['AwsSolutions-CFR4', "The distribution's default *.cloudfront.net certificate: CloudFront sets its TLS policy; a custom domain gets TLSv1.2_2021 above."],
    ]) {
      Validations.of(this.distribution).acknowledge({ id: rule, reason });
    }

    const out = (id: string, value: string, description: string) => new CfnOutput(Stack.of(this), id, { value, description });
    out('ConsoleUrl', `https://${this.distribution.distributionDomainName}/`, 'The web console');
    out('ConsoleBucket', this.bucket.bucketName, 'Upload console/ here (README, Deploy → The console)');
    out('ConsoleDistributionId', this.distribution.distributionId, 'Invalidate after an upload');
    out('ConsoleUserPoolId', this.userPool.userPoolId, 'CHATDROP_COGNITO_USER_POOL_ID: chatdrop agent create --pool <this>');
    out('ConsoleClientId', this.client.userPoolClientId, "The console's app client (config.json clientId)");
  }

  /** The console function's settings, for every function's environment. */
  environment(retailer: string): Record<string, string> {
    return {
      CHATDROP_RETAILER: retailer,
      CHATDROP_COGNITO_USER_POOL_ID: this.userPool.userPoolId,
      CHATDROP_COGNITO_CLIENT_ID: this.client.userPoolClientId,
    };
  }
}
