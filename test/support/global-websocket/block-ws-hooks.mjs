// Module hooks that refuse to load the `ws` package: a client that needs it fails loudly.
export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'ws' || specifier.startsWith('ws/')) {
    throw new Error('the ws package must not be loaded where a global WebSocket exists');
  }
  return nextResolve(specifier, context);
}
