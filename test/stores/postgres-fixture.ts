/**
 * What the PostgreSQL store's suites share: the database URL, a fresh schema per test (so that
 * suites running in parallel never meet), and dropping those schemas afterwards.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { SERVICE_HOST, SERVICE_PORTS, requireService } from '../support/services.js';
import { quoteIdentifier } from '../../server-reference/stores/postgres/names.js';

/** The test database on this machine (trust auth, see shared/services.md). */
export const POSTGRES_URL = process.env['TAUON_POSTGRES_URL'] ?? `postgres://postgres@${SERVICE_HOST}:${SERVICE_PORTS.postgres}/test`;

/** True when PostgreSQL answers; skips with a message (or fails under TAUON_REQUIRE_SERVICES=1). */
export function postgresAvailable(): Promise<boolean> {
  return requireService('PostgreSQL', SERVICE_PORTS.postgres);
}

/** Hands out unique schema names and drops them all at the end. */
export class TestSchemas {
  private readonly names: string[] = [];

  /** A schema name no other test uses: `t_<random>`. */
  fresh(label = 't'): string {
    const name = `${label}_${randomBytes(6).toString('hex')}`;
    this.names.push(name);
    return name;
  }

  /** Drops every schema handed out (and what is in them). */
  async dropAll(): Promise<void> {
    if (this.names.length === 0) return;
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      for (const name of this.names.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE`);
    } finally {
      await client.end();
    }
  }
}

/** Runs `sql` on a connection of its own (for setup and inspection that the store does not offer). */
export async function runSql<T extends Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
