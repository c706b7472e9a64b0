export * from './errors.ts';
export * from './types.ts';
export * from './validate.ts';
export { isJsonValue, MAX_JSON_DEPTH } from './json-value.ts';
