/** The HTTP face of the sync server. */
export { createFetchHandler } from './fetch-handler.ts';
export type { CorsOptions, FetchHandler, FetchHandlerOptions, SyncServerCore } from './fetch-handler.ts';
export type { AnswerCompression } from './json-answer.ts';
export { tokenAuth, constantTimeEqual } from './token-auth.ts';
export { STATUS_OF_CODE, statusOf } from './error-response.ts';
