// The store's public surface.
export * from './store.ts';
export * from './store-error.ts';
export * from './data-dir-lock.ts';
export { migrations } from './migrations.ts';
export type { Migration } from './migrations.ts';
