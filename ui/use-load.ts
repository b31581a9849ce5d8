import { useEffect, useState } from 'preact/hooks';

/** Where a load is: under way, done with its value, or failed with its error. */
export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'done'; readonly value: T }
  | { readonly state: 'failed'; readonly error: Error };

/**
 * Runs `load` when the component mounts and whenever `key` changes, and tells where it is. An
 * answer that arrives after the key changed (or the screen closed) is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    setLoaded({ state: 'loading' });
    load().then(
      (value) => current && setLoaded({ state: 'done', value }),
      (error: unknown) => current && setLoaded({ state: 'failed', error: error instanceof Error ? error : new Error(String(error)) }),
    );
    return () => {
      current = false;
    };
    // The key stands for everything the load depends on.
  }, [key]);
  return loaded;
}
