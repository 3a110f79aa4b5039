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
// - Concurrency is capped on the event source mapping (`maxConcurrency`: 2..1000), which holds
//   messages in the queue instead of throttling the function. No function reserves concurrency:
//   a reservation carves the account's pool (new accounts have 10, and a deploy that leaves
//   fewer than 10 unreserved fails) and ingress must take a flash crowd; set
//   `reservedConcurrency` on an entry when an account can spare it.

export type HttpMethodName = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS' | 'ANY';

export interface HttpRoute {
  /** An HTTP API route path, e.g. `/webhooks/{channel}`; the most specific route wins. */
  path: string;
  methods: HttpMethodName[];
}

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
  /** Access to the table: `readWrite` (`grantReadWriteData`), `read` (`grantReadData`) or none. */
  table: 'none' | 'read' | 'readWrite';
  /** Queue ids (resources.json) this function sends to (`grantSendMessages`). */
  sendsTo: string[];
  /** Whether it reads the secret at cold start (`grantRead`); every function gets its ARN. */
  readsSecrets: boolean;
}

export const FUNCTIONS: Record<string, FunctionSpec> = {
  ingress: {
    description: 'Channel webhooks: verify, parse, enqueue to the catalog or cart queue',
    // Platforms want their 200 fast; the only call is SendMessageBatch.
    memoryMb: 256,
    timeoutSeconds: 10,
    trigger: { kind: 'http', routes: [{ path: '/webhooks/{channel}', methods: ['GET', 'POST'] }] },
    table: 'none',
    // Routed by payload prefix: `k:` cart, `p:` payment, everything else catalog.
    sendsTo: ['catalog', 'cart', 'payment'],
    readsSecrets: true,
  },
  catalog: {
    description: 'Browsing: menu, categories, product detail, search; typed text',
    memoryMb: 512,
    trigger: { kind: 'queue', queue: 'catalog', maxConcurrency: 20, batchSize: 10 },
    table: 'readWrite',
    // Replies, and hand-offs of cart and checkout actions.
    sendsTo: ['cart', 'payment', 'outbound'],
    readsSecrets: false,
  },
  cart: {
    description: 'Customization walk and cart actions',
    memoryMb: 512,
    trigger: { kind: 'queue', queue: 'cart', maxConcurrency: 20, batchSize: 10 },
    table: 'readWrite',
    // Replies, and hand-offs of browsing and checkout actions.
    sendsTo: ['catalog', 'payment', 'outbound'],
    readsSecrets: false,
  },
  notify: {
    description: 'Sends reply bundles through the channel adapters, in order per conversation',
    memoryMb: 256,
    // Each concurrent batch sends to WhatsApp and Telegram, whose rate limits are per sender:
    // a small cap keeps chatdrop under them during a drop.
    trigger: { kind: 'queue', queue: 'outbound', maxConcurrency: 10, batchSize: 10 },
    table: 'readWrite',
    sendsTo: [],
    readsSecrets: true,
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
        { path: '/webhooks/stripe', methods: ['POST'] },
        { path: '/p/{token}', methods: ['GET'] },
        // `<token>.png`: a path parameter is a whole segment.
        { path: '/qr/{file}', methods: ['GET'] },
        { path: '/paid', methods: ['GET'] },
        { path: '/cancelled', methods: ['GET'] },
      ],
    },
    table: 'readWrite',
    // Tells the customer their payment went through.
    sendsTo: ['outbound'],
    // CHATDROP_STRIPE_SECRET_KEY, CHATDROP_STRIPE_WEBHOOK_SECRET.
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
