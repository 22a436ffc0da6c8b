// The engine's public surface. Other folders import the engine only from here.
export type * from './model.ts';
export * from './cidr.ts';
export * from './selector.ts';
