// The store's typed failure: what went wrong with the database file, and what to do about it.

export const StoreErrorCodes = {
  /** The database file cannot be opened or created (permissions, disk). */
  openFailed: 'STORE_OPEN_FAILED',
  /** The file was written by a newer rehearsal, whose schema this version does not know. */
  tooNew: 'STORE_TOO_NEW',
  /** A migration failed; the transaction was rolled back and the file is as it was. */
  migrationFailed: 'STORE_MIGRATION_FAILED',
  /** A row does not hold what this version wrote (edited by hand, or a bug). */
  corrupt: 'STORE_CORRUPT',
  closed: 'STORE_CLOSED',
  /** Another live server uses the same data dir. */
  locked: 'STORE_LOCKED',
} as const;
export type StoreErrorCode = (typeof StoreErrorCodes)[keyof typeof StoreErrorCodes];

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}
