import { createHash } from 'node:crypto';
import type { ClientBase } from 'pg';
import { TauonError } from '../../../protocol/errors.js';
import { quoteIdentifier } from './names.js';

/*
 * The tables of the PostgreSQL store, created on first use and versioned: `schema_version`
 * records each migration applied, and opening a store applies the ones it lacks, in order, in
 * one transaction, under an advisory lock so that servers opening the same schema at once do
 * not race. A later change of layout is a new entry at the end of MIGRATIONS.
 */

/** One step of the schema's history. */
export interface Migration {
  /** 1 for the first; each next one is the previous + 1. */
  readonly version: number;
  /** What it changes, recorded in `schema_version`. */
  readonly description: string;
  /** The SQL statements of the step, given the schema's quoted name. */
  readonly statements: (schema: string) => readonly string[];
}

/**
 * Every migration of the store's schema, oldest first.
 *
 * - `events`: one row per event; `body` is the whole stored event as msgpack (the same bytes the
 *   wire's msgpack codec makes of it), so that data of any shape, binary included, comes back
 *   exactly as appended. The other columns are what the indexes need.
 * - `streams`: one row per stream, its head, last tx, last position and last recorded time.
 * - `surface`: the position of the newest event of each key of each stream.
 *
 * - `meta` (2): the store's own facts, one row per key; `store` holds its identity
 *   (EventStore.id), written by the first open after the table exists (`keepStoreId`).
 *
 * - `consumer_groups` (3): one row per consumer group, its document (JSON text) and revision
 *   (from the sequence `group_revision`); `parked_events`: the groups' parked events, by group
 *   and position (see PostgresGroupStore).
 *
 * - `projections` (4): one row per server-side projection, its record (JSON text) and the
 *   record's revision; `projection_values`: one row per key of a projection, its value (JSON
 *   text), found by the SHA-256 of the key and ordered by an index on the key's first 400 code
 *   points, as a whole key may be too long for a btree entry (see PostgresProjectionStore).
 *
 * Names are stored as `nameToColumn` writes them, in the "C" collation (UTF-8 byte order).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'events, streams and surface tables',
    statements: (schema) => [
      `CREATE TABLE ${schema}.events (
        pos bigint PRIMARY KEY,
        stream text COLLATE "C" NOT NULL,
        seq bigint NOT NULL,
        tx bigint NOT NULL,
        id text COLLATE "C" NOT NULL UNIQUE,
        recorded bigint NOT NULL,
        body bytea NOT NULL,
        UNIQUE (stream, seq)
      )`,
      // findByTime: recorded is non-decreasing along pos, so (recorded, pos) order is pos order.
      `CREATE INDEX events_recorded ON ${schema}.events (recorded, pos)`,
      `CREATE TABLE ${schema}.streams (
        stream text COLLATE "C" PRIMARY KEY,
        head bigint NOT NULL,
        tx bigint NOT NULL,
        last_pos bigint NOT NULL,
        last_recorded bigint NOT NULL
      )`,
      `CREATE TABLE ${schema}.surface (
        stream text COLLATE "C" NOT NULL,
        key text COLLATE "C" NOT NULL,
        pos bigint NOT NULL,
        PRIMARY KEY (stream, key)
      )`,
    ],
  },
  {
    version: 2,
    description: 'meta table (the store identity)',
    statements: (schema) => [`CREATE TABLE ${schema}.meta (key text PRIMARY KEY, value text NOT NULL)`],
  },
  {
    version: 3,
    description: 'consumer groups and their parked events',
    statements: (schema) => [
      `CREATE SEQUENCE ${schema}.group_revision`,
      `CREATE TABLE ${schema}.consumer_groups (
        name text COLLATE "C" PRIMARY KEY,
        rev bigint NOT NULL,
        state text NOT NULL
      )`,
      `CREATE TABLE ${schema}.parked_events (
        group_name text COLLATE "C" NOT NULL,
        pos bigint NOT NULL,
        part integer NOT NULL,
        body text NOT NULL,
        PRIMARY KEY (group_name, pos)
      )`,
      `CREATE INDEX parked_events_part ON ${schema}.parked_events (group_name, part, pos)`,
    ],
  },
  {
    version: 4,
    description: 'server-side projections: records and values',
    statements: (schema) => [
      `CREATE TABLE ${schema}.projections (
        name text COLLATE "C" PRIMARY KEY,
        revision bigint NOT NULL,
        record text NOT NULL
      )`,
      `CREATE TABLE ${schema}.projection_values (
        name text COLLATE "C" NOT NULL,
        key_hash bytea NOT NULL,
        key text COLLATE "C" NOT NULL,
        value text NOT NULL,
        PRIMARY KEY (name, key_hash)
      )`,
      `CREATE INDEX projection_values_order ON ${schema}.projection_values (name, left(key, 400))`,
    ],
  },
];

/**
 * The store's identity in `meta`: the one kept there, or `candidate`, kept now, when there is
 * none (a new schema, or one migrated from version 1). Servers opening the schema at once agree:
 * the first insert wins and every one reads it back.
 */
export async function keepStoreId(client: ClientBase, schema: string, candidate: string): Promise<string> {
  const quoted = quoteIdentifier(schema);
  await client.query(`INSERT INTO ${quoted}.meta (key, value) VALUES ('store', $1) ON CONFLICT (key) DO NOTHING`, [candidate]);
  const result = await client.query<{ value: string }>(`SELECT value FROM ${quoted}.meta WHERE key = 'store'`);
  const kept = result.rows[0]?.value;
  if (kept === undefined) throw new TauonError('internal', `postgres store: schema ${schema} keeps no store identity`);
  return kept;
}

/** The first key of the advisory lock that serializes appends to a schema. */
export const APPEND_LOCK_CLASS = 0x54415531; // 'TAU1'
/** The first key of the advisory lock taken while a schema is migrated. */
export const MIGRATE_LOCK_CLASS = 0x54415532; // 'TAU2'

/** The longest identifier PostgreSQL keeps (NAMEDATALEN - 1 bytes). */
const MAX_IDENTIFIER_BYTES = 63;

/** The second key of a schema's advisory locks: a 32-bit FNV-1a hash of its name. */
export function schemaLockKey(schema: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(schema, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  // pg_advisory_xact_lock(int, int) takes signed 32-bit keys.
  return hash | 0;
}

/**
 * The LISTEN/NOTIFY channel of a schema's commits. Channels are database-wide, so the schema's
 * name is part of it; a name too long for an identifier is replaced by its hash.
 */
export function commitChannel(schema: string): string {
  const readable = `tauon:${schema}`;
  if (Buffer.byteLength(readable, 'utf8') <= MAX_IDENTIFIER_BYTES) return readable;
  return `tauon:${createHash('sha256').update(schema).digest('hex').slice(0, 40)}`;
}

/** Fails unless `schema` can name a PostgreSQL schema. */
export function checkSchemaName(schema: string): void {
  const bytes = Buffer.byteLength(schema, 'utf8');
  if (bytes === 0 || bytes > MAX_IDENTIFIER_BYTES || schema.includes('\u0000')) {
    throw new TauonError('internal', `postgres store: the schema name must have 1 to ${MAX_IDENTIFIER_BYTES} bytes and no NUL`, {
      details: { schema },
    });
  }
}

/** What {@link migrate} did. */
export interface MigrationResult {
  /** The schema's version before (0 when it did not exist). */
  readonly from: number;
  /** Its version now. */
  readonly to: number;
}

/**
 * Brings `schema` up to the newest of `migrations`, creating it when it does not exist. Runs in
 * one transaction on `client` (which must not be in one); fails, changing nothing, when the
 * schema is newer than every migration given (a newer server migrated it).
 */
export async function migrate(
  client: ClientBase,
  schema: string,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationResult> {
  checkSchemaName(schema);
  checkMigrations(migrations);
  const quoted = quoteIdentifier(schema);
  const latest = migrations.length;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [MIGRATE_LOCK_CLASS, schemaLockKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${quoted}.schema_version (
        version integer PRIMARY KEY,
        description text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`,
    );
    const result = await client.query<{ version: number }>(`SELECT coalesce(max(version), 0)::integer AS version FROM ${quoted}.schema_version`);
    const from = result.rows[0]?.version ?? 0;
    if (from > latest) {
      throw new TauonError(
        'internal',
        `postgres store: schema ${schema} is at version ${from}, newer than this server knows (${latest}); upgrade the server`,
        { details: { schema, version: from, known: latest } },
      );
    }
    for (const migration of migrations.slice(from)) {
      for (const statement of migration.statements(quoted)) await client.query(statement);
      await client.query(`INSERT INTO ${quoted}.schema_version (version, description) VALUES ($1, $2)`, [
        migration.version,
        migration.description,
      ]);
    }
    await client.query('COMMIT');
    return { from, to: Math.max(from, latest) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

function checkMigrations(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new TauonError('internal', `postgres store: migration ${index + 1} has version ${migration.version}; versions run 1, 2, 3...`);
    }
  });
}
