import { userInfo } from 'node:os';

/**
 * The connection URL with the user that psql would take when none is named. libpq falls back on
 * the operating system's user; pg only on the PGUSER and USER variables, and without them (a
 * service, a container, `env -i`) fails with "no PostgreSQL user name specified in startup
 * packet". So when the URL names no user and neither variable is set, the OS user goes into the
 * URL. Anything else (a user in the URL, PGUSER or USER set, a form that is not a URL with a
 * host, no OS user to be found) leaves the URL as it is, for pg to read as before.
 *
 * @example
 * withDefaultUser('postgres://127.0.0.1/test', {}); // 'postgres://root@127.0.0.1/test' when run as root
 */
export function withDefaultUser(url: string, env: NodeJS.ProcessEnv = process.env, osUser: () => string = () => userInfo().username): string {
  if (env['PGUSER'] || env['USER']) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.username !== '' || parsed.hostname === '') return url;
  let name: string;
  try {
    name = osUser();
  } catch {
    // No passwd entry for this uid (some containers): nothing to default to.
    return url;
  }
  if (name === '') return url;
  parsed.username = name;
  return parsed.toString();
}
