export { parseDuration, type Duration } from './duration.js';
export { canonicalJson } from './canonical.js';
export { sha256, hashValue } from './hash.js';
export { deepFreeze } from './freeze.js';
