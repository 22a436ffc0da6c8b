// The terminal's public surface: the hub the websocket layer attaches clients to, and the backend contract.
export * from './terminal-hub.ts';
export type * from './terminal-backend.ts';
export { TerminalSession } from './terminal-session.ts';
export type { DescribedError } from './terminal-session.ts';
