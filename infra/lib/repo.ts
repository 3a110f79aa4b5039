// What the stack reads from the Rust workspace at synth time, so infra and code cannot drift:
//
// - `shared/config/resources.json`: the one definition of the table and queues (the local stack
//   creates the same resources from it, and the store and queue crates use its names and keys);
// - `infra/lib/channels.generated.json`: the channel registry (each channel's secrets and
//   settings), written by `cargo xtask channels --write` from the Rust registry; a Rust test
//   fails when the file is stale, so it is never parsed out of Rust source;
// - `functions/*/Cargo.toml`: the function crates (one Lambda each).

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The workspace root: `infra/` sits in it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface TableDef {
  name: string;
  partition_key: string;
  sort_key: string;
  ttl_attribute: string;
}

export interface QueueDef {
  id: string;
  name: string;
  dead_letter_name: string;
  fifo: boolean;
  /** The function that consumes this queue (a crate under `functions/`). */
  consumer: string;
  consumer_timeout_seconds: number;
  visibility_timeout_seconds: number;
  max_receive_count: number;
  /** The environment variable that carries this queue's URL to every function. */
  url_env: string;
  /**
   * The consumer dead-letters messages itself (counting only the failures that should count)
   * and gets its dead-letter queue's URL as `<url_env without _QUEUE_URL>_DLQ_URL`.
   */
  self_dead_letters: boolean;
}

export interface Resources {
  table: TableDef;
  queues: QueueDef[];
}

const TABLE_KEYS: (keyof TableDef)[] = ['name', 'partition_key', 'sort_key', 'ttl_attribute'];
const QUEUE_KEYS: (keyof QueueDef)[] = [
  'id',
  'name',
  'dead_letter_name',
  'fifo',
  'consumer',
  'consumer_timeout_seconds',
  'visibility_timeout_seconds',
  'max_receive_count',
  'self_dead_letters',
  'url_env',
];

/**
 * Checks that `value` has exactly `keys` (keys starting with `_` are comments). A key this app
 * does not know (say an index added to the table) fails the synth, so the code cannot gain a
 * resource property that the deployed stack silently lacks.
 */
function exactKeys(what: string, value: Record<string, unknown>, keys: string[]): void {
  const known = new Set(keys);
  for (const key of Object.keys(value)) {
    if (!key.startsWith('_') && !known.has(key)) {
      throw new Error(`resources.json: ${what} has \`${key}\`, which infra/lib does not declare yet`);
    }
  }
  for (const key of keys) {
    if (value[key] === undefined) {
      throw new Error(`resources.json: ${what} lacks \`${key}\``);
    }
  }
}

export function loadResources(root: string = REPO_ROOT): Resources {
  const file = path.join(root, 'shared', 'config', 'resources.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  exactKeys('the top level', raw, ['table', 'queues']);
  const table = raw.table as TableDef;
  exactKeys('table', table as unknown as Record<string, unknown>, TABLE_KEYS);
  const queues = raw.queues as QueueDef[];
  if (!Array.isArray(queues) || queues.length === 0) {
    throw new Error('resources.json: `queues` must be a non-empty list');
  }
  for (const q of queues) {
    exactKeys(`queue ${q.id ?? '?'}`, q as unknown as Record<string, unknown>, QUEUE_KEYS);
    if (q.fifo !== q.name.endsWith('.fifo') || q.fifo !== q.dead_letter_name.endsWith('.fifo')) {
      throw new Error(`resources.json: queue ${q.id}: a FIFO queue's names end in .fifo, others' do not`);
    }
  }
  return { table, queues };
}

/** One channel's entry in the registry (`shared/domain/src/channel_spec.rs`). */
export interface ChannelDef {
  name: string;
  display_name: string;
  secrets: { name: string; side: 'inbound' | 'outbound' | 'both' }[];
  settings: { env: string; required: boolean; default: string | null; url: boolean }[];
  customer_id_is_phone: boolean;
}

export interface ChannelRegistry {
  channels: ChannelDef[];
  /** Secrets that belong to no channel (Stripe, the identifier key). */
  general_secrets: string[];
}

/** The channel registry, as `cargo xtask channels --write` generated it. */
export function loadChannelRegistry(root: string = REPO_ROOT): ChannelRegistry {
  const file = path.join(root, 'infra', 'lib', 'channels.generated.json');
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as ChannelRegistry;
  if (!Array.isArray(raw.channels) || raw.channels.length === 0 || !Array.isArray(raw.general_secrets)) {
    throw new Error(`${file}: not a channel registry (run \`cargo xtask channels --write\`)`);
  }
  return raw;
}

/** Every key the deployment's secret may hold: each channel's secrets, then the general ones. */
export function loadSecretNames(root: string = REPO_ROOT): string[] {
  const registry = loadChannelRegistry(root);
  return [...registry.channels.flatMap((c) => c.secrets.map((s) => s.name)), ...registry.general_secrets];
}

/**
 * The function crates: every directory under `functions/` with a Cargo.toml, by package name
 * (cargo lambda puts each binary in `<lambda dir>/<package name>/bootstrap`).
 */
export function functionCrates(root: string = REPO_ROOT): string[] {
  const dir = path.join(root, 'functions');
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'Cargo.toml')))
    .map((d) => {
      const manifest = fs.readFileSync(path.join(dir, d.name, 'Cargo.toml'), 'utf8');
      const pkg = /^\[package\][^[]*?^name\s*=\s*"([^"]+)"/m.exec(manifest);
      if (!pkg) {
        throw new Error(`functions/${d.name}/Cargo.toml: no [package] name`);
      }
      return pkg[1];
    })
    .sort();
}
