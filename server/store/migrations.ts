// The database schema as an ordered list of migrations; PRAGMA user_version records how many have run.
// Append only: a released migration is never edited, a change is a new entry.

export interface Migration {
  /** 1-based; equals the user_version after it has run. */
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'sandboxes, runs, results, events, terminal history',
    sql: `
      CREATE TABLE sandboxes (
        id TEXT PRIMARY KEY,
        record TEXT NOT NULL,
        status TEXT NOT NULL,
        sources TEXT NOT NULL,
        progress TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX sandboxes_status ON sandboxes(status);
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        sandbox_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        policy_digest TEXT NOT NULL,
        view TEXT NOT NULL,
        started_at TEXT NOT NULL
      );
      CREATE INDEX runs_sandbox ON runs(sandbox_id, started_at);
      CREATE TABLE results (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        result TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        sandbox_id TEXT,
        type TEXT NOT NULL,
        frame TEXT NOT NULL,
        at TEXT NOT NULL
      );
      CREATE INDEX events_sandbox ON events(sandbox_id, seq);
      CREATE TABLE terminal_history (
        sandbox_id TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
