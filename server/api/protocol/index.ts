// The wire protocol between server and web UI: schemas, limits and their inferred types.
export * from './limits.ts';
export * from './schemas.ts';
export * from './duration.ts';
