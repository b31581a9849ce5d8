/**
 * The version of the Tauon wire protocol this code speaks. It is separate from the package
 * version: the package can change without changing the protocol. Negotiated in `hello`/`welcome`.
 */
export const PROTOCOL_VERSION = 1;

/** Every protocol version this code can speak, newest first. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];
