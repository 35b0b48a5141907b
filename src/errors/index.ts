export { ErrorCodes, type ErrorCode } from './codes.js';
export { TroupeError, isTroupeError, toErrorValue, fromErrorValue, abortReasonValue, type ErrorValue } from './troupe-error.js';
