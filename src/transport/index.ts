export type { LiveHandlers, SyncTransport } from './types.ts';
export { memoryTransport } from './memory-transport.ts';
export type { MemoryTransportOptions, SyncServerHandlers } from './memory-transport.ts';
export { httpTransport } from './http-transport.ts';
export type { HttpTransportOptions, TokenSource } from './http-transport.ts';
export type { TransportTimers } from './timers.ts';
export { TRANSPORT_OPERATIONS, isCallOf, wrapTransport } from './wrap-transport.ts';
export type {
  TransportCall,
  TransportMessages,
  TransportOperation,
  TransportRequest,
  TransportResponse,
  TransportWrapper,
} from './wrap-transport.ts';
