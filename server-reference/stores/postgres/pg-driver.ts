/**
 * What of the PostgreSQL store needs the driver `pg` at run time, in one module that
 * PostgresStore.open() imports: importing tauon/server loads no pg. Nothing else may import pg
 * or these parts but as types.
 * @module
 */
export { Pool, types } from 'pg';
export { CommitChannelListener } from './listener.js';
