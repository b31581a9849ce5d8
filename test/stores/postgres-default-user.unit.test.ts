import { describe, expect, it } from 'vitest';
import { withDefaultUser } from '../../server-reference/stores/postgres/default-user.js';

const osUser = () => 'alice';

describe('the PostgreSQL user when the URL names none', () => {
  it('is the operating system user where neither PGUSER nor USER is set, as psql does', () => {
    expect(withDefaultUser('postgres://127.0.0.1/test', {}, osUser)).toBe('postgres://alice@127.0.0.1/test');
    expect(withDefaultUser('postgresql://db.example:5433/app?sslmode=require', { HOME: '/root' }, osUser)).toBe(
      'postgresql://alice@db.example:5433/app?sslmode=require',
    );
    expect(withDefaultUser('postgres://:secret@127.0.0.1/test', {}, osUser)).toBe('postgres://alice:secret@127.0.0.1/test');
  });

  it('is left to pg (PGUSER, then USER) when either is set', () => {
    expect(withDefaultUser('postgres://127.0.0.1/test', { PGUSER: 'bob' }, osUser)).toBe('postgres://127.0.0.1/test');
    expect(withDefaultUser('postgres://127.0.0.1/test', { USER: 'carol' }, osUser)).toBe('postgres://127.0.0.1/test');
  });

  it('changes nothing when the URL names a user, has no host, or there is no OS user', () => {
    expect(withDefaultUser('postgres://postgres@127.0.0.1/test', {}, osUser)).toBe('postgres://postgres@127.0.0.1/test');
    expect(withDefaultUser('socket:/var/run/postgresql?db=test', {}, osUser)).toBe('socket:/var/run/postgresql?db=test');
    const noPasswdEntry = () => {
      throw new Error('ENOENT: no such file or directory, uv_os_get_passwd');
    };
    expect(withDefaultUser('postgres://127.0.0.1/test', {}, noPasswdEntry)).toBe('postgres://127.0.0.1/test');
  });
});
