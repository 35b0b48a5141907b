export { ErrorCodes, type ErrorCode } from './codes.js';
export { TroupeError, isTroupeError, toErrorValue, fromErrorValue, type ErrorValue } from './troupe-error.js';
