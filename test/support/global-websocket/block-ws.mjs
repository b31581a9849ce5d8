// Registers block-ws-hooks.mjs (passed to node with --import).
import { register } from 'node:module';

register('./block-ws-hooks.mjs', import.meta.url);
