// Every function's deploy settings, in one map. A function is a crate under `functions/`; the
// stack refuses to synthesize (and `npm test` fails) when a crate has no entry here or an entry
// names no crate. Adding a function is one entry: its trigger says how it is reached (HTTP routes
// on the one HTTP API, a queue from resources.json, or an EventBridge schedule), and its grants
// say what it may touch.
//
// Choices, written down:
// - Memory buys CPU on Lambda, and a Rust binary needs little of either: 256 MB for the functions
//   that wait on the network, 512 MB for the two that load and search the catalog per message.
// - Queue consumers take their timeout from resources.json (`consumer_timeout_seconds`), beside
//   the queue's visibility timeout it must stay under (AWS: visibility >= 6 x timeout). Only
//   HTTP and scheduled functions set `timeoutSeconds` here.
// - Concurrency: no function reserves any (`reservedConcurrency` unset on every entry). A
//   reservation carves the account's pool: new accounts have 10, a deploy that leaves fewer
//   than 10 unreserved fails, and ingress must take a flash crowd. Each function is bounded
//   elsewhere instead: a queue consumer by its event source mapping's `maxConcurrency`
//   (2..1000), which holds messages in the queue rather than throttling the function; an HTTP
//   function by its routes' throttles (about rate x duration instances); sweep by its schedule
//   (one run a minute, under a minute long). Set `reservedConcurrency` on an entry when an
//   account can spare it (README, Deploy, "Throttles and concurrency").
// - Every HTTP route has its own throttle, so a flood on one (say QR images) spends its own
//   budget and never the webhooks': API Gateway's route-level settings, one token bucket per
//   route. The limits are far above what the platforms and a drop's buyers send, and low where
//   a request costs more (a QR image is rendered per request) or comes rarely (subscription
//   checks).

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS' | 'ANY';

/** API Gateway's token bucket for one route: steady requests per second, and the burst. */
export interface RouteThrottle {
  rateLimit: number;
  burstLimit: number;
}

export interface HttpRoute {
  /** An HTTP API route path, e.g. `/webhooks/{channel}`; the most specific route wins. */
  path: string;
  methods: HttpMethodName[];
  /** This route's own throttle (each of `methods` gets one bucket of this size). */
  throttle: RouteThrottle;
  /**
   * `console`: API Gateway's JWT authorizer checks the console's Cognito ID token first
   * (`lib/console.ts`); unset, the function authenticates the caller itself (a webhook's
   * signature).
   */
  auth?: 'console';
}

/**
 * The DynamoDB actions a function may call on the table (`table.grant`). A transaction's
 * `Put` needs `PutItem`, its `Update` `UpdateItem`: IAM has no TransactWriteItems action.
 */
export type TableAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem';

export type Trigger =
  /** Routes on the stack's one HTTP API. */
  | { kind: 'http'; routes: HttpRoute[] }
  /** The queue of resources.json with this `id` (whose `consumer` must be this function). */
  | { kind: 'queue'; queue: string; maxConcurrency: number; batchSize: number }
  /**
   * An EventBridge rule: `rate(1 minute)`, `cron(0 3 * * ? *)`. `retryAttempts` is Lambda's
   * retry of a failed run (0..2); a frequent job sets 0, since its next run does the same work
   * and a retry would overlap it.
   */
  | { kind: 'schedule'; schedule: string; retryAttempts: number };

export interface FunctionSpec {
  description: string;
  memoryMb: number;
  /** Required for `http` and `schedule` triggers; a queue consumer's comes from resources.json. */
  timeoutSeconds?: number;
  /** Unset: no reservation (see above). */
  reservedConcurrency?: number;
  trigger: Trigger;
  /**
   * Access to the table: `readWrite` (`grantReadWriteData`), `read` (`grantReadData`), none,
   * or exactly the actions listed (what the function's code calls, no more).
   */
  table: 'none' | 'read' | 'readWrite' | TableAction[];
  /** Queue ids (resources.json) this function sends to (`grantSendMessages`). */
  sendsTo: string[];
  /** Whether it reads the secret at cold start (`grantRead`); every function gets its ARN. */
  readsSecrets: boolean;
  /** Whether it publishes to the agents' topic (`grantPublish`); every function gets its ARN. */
  alertsAgents?: boolean;
}

/**
 * The table actions of catalog and cart, exactly what `shared/conversation` calls through
 * `shared/store`: GetItem (the marker and the session, `store/src/session.rs`), Query (the
 * `CATALOG` partition, `store/src/catalog.rs`), TransactWriteItems of two conditional Puts (the
 * marker and the session: PutItem), UpdateItem (`mark_done`, and a delivery report's status on
 * the thread, `store/src/thread.rs`), and the WeChat access token a profile lookup shares with
 * notify (GetItem, a conditional UpdateItem lease, PutItem: `TokenCache` in `thread.rs`). No Scan, DeleteItem or batch call: these roles cannot
 * list the whole table (orders, phone numbers) or delete from it.
 */
export const CONVERSATION_TABLE: TableAction[] = ['GetItem', 'Query', 'PutItem', 'UpdateItem'];

export const FUNCTIONS: Record<string, FunctionSpec> = {
  ingress: {
    description: 'Channel webhooks: verify, parse, enqueue to the catalog or cart queue',
    // Platforms want their 200 fast; the only call is SendMessageBatch.
    memoryMb: 256,
    timeoutSeconds: 10,
    trigger: {
      kind: 'http',
      routes: [
        // Every platform's messages and delivery reports: a drop's whole crowd comes this way,
        // and ingress only verifies and enqueues.
        { path: '/webhooks/{channel}', methods: ['POST'], throttle: { rateLimit: 500, burstLimit: 1000 } },
        // Subscription checks (Meta's hub challenge, WeChat's echostr): a few per setup.
        { path: '/webhooks/{channel}', methods: ['GET'], throttle: { rateLimit: 10, burstLimit: 20 } },
      ],
    },
    table: 'none',
    // Routed by payload prefix: `k:` cart, `p:` payment, everything else catalog.
    sendsTo: ['catalog', 'cart', 'payment'],
    readsSecrets: true,
  },
  catalog: {
    description: 'Browsing: menu, categories, product detail, search; typed text',
    memoryMb: 512,
    trigger: { kind: 'queue', queue: 'catalog', maxConcurrency: 20, batchSize: 10 },
    table: CONVERSATION_TABLE,
    // Replies, and hand-offs of cart and checkout actions.
    sendsTo: ['cart', 'payment', 'outbound'],
    // CHATDROP_ID_KEY: the keyed pseudonyms in its logs, group ids and limit keys.
    readsSecrets: true,
  },
  cart: {
    description: 'Customization walk and cart actions',
    memoryMb: 512,
    trigger: { kind: 'queue', queue: 'cart', maxConcurrency: 20, batchSize: 10 },
    table: CONVERSATION_TABLE,
    // Replies, and hand-offs of browsing and checkout actions.
    sendsTo: ['catalog', 'payment', 'outbound'],
    // CHATDROP_ID_KEY, as catalog.
    readsSecrets: true,
  },
  notify: {
    description: 'Sends reply bundles through the channel adapters, in order per conversation',
    memoryMb: 256,
    // Each concurrent batch sends to WhatsApp and Telegram, whose rate limits are per sender:
    // a small cap keeps chatdrop under them during a drop.
    trigger: { kind: 'queue', queue: 'outbound', maxConcurrency: 10, batchSize: 10 },
    table: 'readWrite',
    // A send refused because the customer blocked us (Telegram 403, Viber 6, Twilio 21610)
    // queues the chat's opt-out to catalog, which records it like the platform's own signal.
    sendsTo: ['catalog'],
    readsSecrets: true,
    // A bundle telling a customer a person will answer alerts the agents.
    alertsAgents: true,
  },
  payment: {
    description: 'Checkout and orders: reserve, Stripe Checkout Session, pay link and QR, cancel, reorder',
    // Renders the QR code it sends; waits on Stripe.
    memoryMb: 512,
    // Each checkout is a Stripe call: a low cap keeps a drop's rush under Stripe's rate limit.
    trigger: { kind: 'queue', queue: 'payment', maxConcurrency: 10, batchSize: 10 },
    table: 'readWrite',
    sendsTo: ['outbound'],
    // CHATDROP_STRIPE_SECRET_KEY.
    readsSecrets: true,
  },
  'payment-webhook': {
    description: 'Stripe webhook, pay-link redirect, QR images, return pages',
    // Renders QR images on request (nothing is stored).
    memoryMb: 512,
    // Stripe waits up to 20 s for an answer before it retries.
    timeoutSeconds: 15,
    trigger: {
      kind: 'http',
      routes: [
        // Beside ingress's /webhooks/{channel}: the most specific route wins.
        // Stripe's events: a few per checkout, and checkouts are capped by payment's concurrency.
        { path: '/webhooks/stripe', methods: ['POST'], throttle: { rateLimit: 100, burstLimit: 200 } },
        // A buyer's tap on the pay link: one per checkout, and a reload or two.
        { path: '/p/{token}', methods: ['GET'], throttle: { rateLimit: 100, burstLimit: 200 } },
        // `<token>.png`: a path parameter is a whole segment. Rendered per request, fetched by
        // the platform when the QR is sent: lower, so a flood here costs least.
        { path: '/qr/{file}', methods: ['GET'], throttle: { rateLimit: 50, burstLimit: 100 } },
        // Stripe's return pages: static text.
        { path: '/paid', methods: ['GET'], throttle: { rateLimit: 50, burstLimit: 100 } },
        { path: '/cancelled', methods: ['GET'], throttle: { rateLimit: 50, burstLimit: 100 } },
      ],
    },
    table: 'readWrite',
    // Tells the customer their payment went through.
    sendsTo: ['outbound'],
    // CHATDROP_STRIPE_SECRET_KEY, CHATDROP_STRIPE_WEBHOOK_SECRET.
    readsSecrets: true,
    // A paid order that needs attention hands its conversation to a person.
    alertsAgents: true,
  },
  kakao: {
    description: 'KakaoTalk skill: authenticate, run the turn in-process, answer in the response',
    // Runs the whole turn (catalog, cart, checkout with its Stripe call) inside Kakao's 5 s.
    memoryMb: 512,
    // Kakao gives up after 5 s; a turn still running then is cut here rather than left to
    // run on after nobody is waiting (its writes are one transaction either way).
    timeoutSeconds: 6,
    trigger: {
      kind: 'http',
      routes: [
        // Beside ingress's /webhooks/{channel}: the most specific route wins. One call per
        // customer turn, like a platform's webhooks, but each does the turn's work.
        { path: '/webhooks/kakao', methods: ['POST'], throttle: { rateLimit: 200, burstLimit: 400 } },
        // The Kakao Talk Channel add/block callback: one per customer adding or blocking the
        // channel, a few reads and conditional puts each, answered within Kakao's 3 s.
        { path: '/webhooks/kakao/channel', methods: ['POST'], throttle: { rateLimit: 20, burstLimit: 40 } },
      ],
    },
    // Sessions, markers, catalog (as catalog and cart) and the reservation (as payment).
    table: 'readWrite',
    // Nothing is queued: the answer is the HTTP response.
    sendsTo: [],
    // CHATDROP_KAKAO_SKILL_SECRET, CHATDROP_KAKAO_ADMIN_KEY, CHATDROP_STRIPE_SECRET_KEY,
    // CHATDROP_ID_KEY. (The SENS keys for AlimTalk are notify's: Side::Outbound.)
    readsSecrets: true,
    // A turn that hands the chat to a person alerts the agents itself (no notify in between).
    alertsAgents: true,
  },
  console: {
    description: "The retailer's console API: live drop view, orders, ship, refund, agent inbox (Cognito sign-in)",
    memoryMb: 256,
    // A dashboard read scans for the window's sales (shared/store/src/console.rs); an export
    // reads every order.
    timeoutSeconds: 20,
    trigger: {
      kind: 'http',
      routes: [
        // People, not platforms: a few dashboards refreshing every 2 s and the orders page.
        // The function also holds each user to 10 requests a second (RATE#console#<user>).
        { path: '/console/api/{proxy+}', methods: ['GET'], throttle: { rateLimit: 20, burstLimit: 40 }, auth: 'console' },
        { path: '/console/api/{proxy+}', methods: ['POST'], throttle: { rateLimit: 10, burstLimit: 20 }, auth: 'console' },
      ],
    },
    // What shared/console calls: stock and audit (Query), the window's sales (Scan) and their
    // orders (BatchGetItem), an order and its notices (GetItem), ship/refund and the per-user
    // rate window (UpdateItem), notices and audit records (PutItem); the inbox's claim, assign
    // and hand-back are transactions of Updates and a Delete (shared/store/src/inbox.rs).
    table: ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem'],
    // Tells the customer their order shipped or was refunded, and carries an agent's reply
    // (outbound); asks the payment function for a pay link for the customer's cart.
    sendsTo: ['outbound', 'payment'],
    // CHATDROP_STRIPE_SECRET_KEY (refunds), CHATDROP_ID_KEY (pseudonyms in the orders).
    readsSecrets: true,
  },
  sweep: {
    description: 'Ends lapsed reservations: expires the Stripe page, returns the stock, tells the customer',
    memoryMb: 256,
    // Up to 200 reservations a run, one Stripe call each; under the minute, so runs do not overlap.
    timeoutSeconds: 50,
    trigger: { kind: 'schedule', schedule: 'rate(1 minute)', retryAttempts: 0 },
    table: 'readWrite',
    sendsTo: ['outbound'],
    // CHATDROP_STRIPE_SECRET_KEY.
    readsSecrets: true,
    // Escalates handoffs nobody took in time.
    alertsAgents: true,
  },
};

/**
 * Differences between the crates and the map: crates with no entry, entries with no crate.
 * Both empty means they agree.
 */
export function functionListProblems(crates: string[], functions: Record<string, FunctionSpec>): string[] {
  const names = Object.keys(functions);
  return [
    ...crates.filter((c) => !names.includes(c)).map((c) => `functions/ has crate \`${c}\` with no entry in infra/lib/functions.ts`),
    ...names.filter((n) => !crates.includes(n)).map((n) => `infra/lib/functions.ts has \`${n}\`, which is no crate under functions/`),
  ];
}
