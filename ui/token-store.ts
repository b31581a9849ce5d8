/*
 * The token the page sends, kept in sessionStorage: it lasts as long as the tab, and other
 * tabs and later visits do not see it.
 */

const TOKEN_KEY = 'tauon.token';

/** The token the user gave in this tab, or undefined. */
export function currentToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    // Storage refused (a locked-down browser): the page works without a token.
    return undefined;
  }
}

/** Keeps `token` for this tab; an empty or undefined one forgets it. */
export function storeToken(token: string | undefined): void {
  try {
    if (token === undefined || token === '') sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // As above: nothing kept.
  }
}
