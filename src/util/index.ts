export { parseDuration, type Duration } from './duration.js';
export { canonicalJson } from './canonical.js';
export { sha256, hashValue } from './hash.js';
export { deepFreeze } from './freeze.js';
export { importModule } from './import-module.js';
export { parseJsonStream, type JsonSource, type JsonStreamOptions } from './json-stream.js';
export { onAbort } from './abort-fanout.js';
export { Cancellation, cancellableOf, type Cancellable } from './cancellation.js';
