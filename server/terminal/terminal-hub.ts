// One terminal per sandbox, shared by every browser tab attached to it (as tmux shares a session): output goes
// to all clients and into a bounded transcript, which a (re)connecting client gets first. The session lives
// with the sandbox; clients come and go. Backpressure per client is the socket layer's job.
import type { TerminalServerFrame } from '../api/protocol/schemas.ts';
import { Ansi } from './ansi.ts';
import type { TerminalBackend } from './terminal-backend.ts';
import { TerminalSession } from './terminal-session.ts';
import type { DescribedError } from './terminal-session.ts';

export interface TerminalClient {
  send(frame: TerminalServerFrame): void;
  close(reason: string): void;
}

export interface TerminalAttachment {
  input(data: string): void;
  resize(cols: number, rows: number): void;
  /** The client left (socket closed); the session keeps running. */
  dispose(): void;
}

export interface TerminalHistoryStore {
  load(sandboxId: string): string | undefined;
  save(sandboxId: string, text: string): void;
  /** The sandbox is gone: its terminal will never be attached again. */
  remove(sandboxId: string): void;
}

export interface TerminalHubOptions {
  /** The backend of a live sandbox; throws a typed error when it is not live. */
  readonly createBackend: (sandboxId: string) => TerminalBackend;
  /** Transcript kept per sandbox, in bytes of UTF-8. */
  readonly historyBytes: number;
  readonly historyStore?: TerminalHistoryStore;
  readonly onInternalError: (error: unknown, sandboxId: string) => void;
  /** Known failures in client-safe words (the server's error map); undefined for bugs. */
  readonly describeError: (error: unknown) => DescribedError | undefined;
  /** Transcript writes are batched this long. Default 1000 ms. */
  readonly saveDelayMs?: number;
}

export interface TerminalHub {
  /** Attaches a client: it gets the transcript, then live output. Throws when the sandbox is not live. */
  attach(sandboxId: string, client: TerminalClient): TerminalAttachment;
  /** A line above the prompt of the sandbox's terminal, if one is open (TTL warnings). */
  notice(sandboxId: string, text: string): void;
  /** The sandbox is gone: its terminal says why, its clients are closed, its transcript deleted. */
  end(sandboxId: string, reason: string): void;
  clientCount(sandboxId: string): number;
  readonly sessionCount: number;
  dispose(): void;
}

/** The transcript: whole chunks dropped from the front past the bound, so no escape sequence is ever cut. */
class Transcript {
  readonly #maxBytes: number;
  #chunks: { text: string; bytes: number }[] = [];
  #bytes = 0;

  constructor(maxBytes: number, initial: string | undefined) {
    this.#maxBytes = maxBytes;
    if (initial !== undefined && initial !== '') this.append(initial);
  }

  append(text: string): void {
    const bytes = Buffer.byteLength(text);
    this.#chunks.push({ text, bytes });
    this.#bytes += bytes;
    let drop = 0;
    while (this.#bytes > this.#maxBytes && drop < this.#chunks.length) {
      this.#bytes -= this.#chunks[drop]?.bytes ?? 0;
      drop += 1;
    }
    if (drop > 0) this.#chunks = this.#chunks.slice(drop);
  }

  get bytes(): number {
    return this.#bytes;
  }

  toString(): string {
    return this.#chunks.map((chunk) => chunk.text).join('');
  }
}

interface SessionEntry {
  readonly session: TerminalSession;
  readonly transcript: Transcript;
  readonly clients: Set<TerminalClient>;
  saveTimer: NodeJS.Timeout | undefined;
}

export function createTerminalHub(options: TerminalHubOptions): TerminalHub {
  const sessions = new Map<string, SessionEntry>();
  const saveDelayMs = options.saveDelayMs ?? 1000;

  const save = (sandboxId: string, entry: SessionEntry): void => {
    clearTimeout(entry.saveTimer);
    entry.saveTimer = undefined;
    try {
      options.historyStore?.save(sandboxId, entry.transcript.toString());
    } catch (error) {
      options.onInternalError(error, sandboxId);
    }
  };

  const open = (sandboxId: string): SessionEntry => {
    const existing = sessions.get(sandboxId);
    if (existing !== undefined) return existing;
    const backend = options.createBackend(sandboxId);
    const previous = options.historyStore?.load(sandboxId);
    const transcript = new Transcript(options.historyBytes, previous === undefined ? undefined : `${previous}${Ansi.reset}${Ansi.newline}`);
    const clients = new Set<TerminalClient>();
    const entry: SessionEntry = {
      transcript,
      clients,
      saveTimer: undefined,
      session: new TerminalSession({
        backend,
        write: (data) => {
          transcript.append(data);
          for (const client of [...clients]) client.send({ type: 'output', data });
          if (options.historyStore !== undefined && entry.saveTimer === undefined) {
            entry.saveTimer = setTimeout(() => save(sandboxId, entry), saveDelayMs);
            entry.saveTimer.unref();
          }
        },
        onInternalError: (error) => options.onInternalError(error, sandboxId),
        describeError: options.describeError,
      }),
    };
    sessions.set(sandboxId, entry);
    entry.session.start();
    return entry;
  };

  return {
    get sessionCount() {
      return sessions.size;
    },
    attach(sandboxId, client) {
      const entry = open(sandboxId);
      client.send({ type: 'history', data: `${Ansi.reset}${entry.transcript.toString()}` });
      entry.clients.add(client);
      return {
        input: (data) => entry.session.input(data),
        resize: (cols) => entry.session.resize(cols),
        dispose: () => {
          entry.clients.delete(client);
        },
      };
    },
    notice(sandboxId, text) {
      sessions.get(sandboxId)?.session.notice(text);
    },
    end(sandboxId, reason) {
      const entry = sessions.get(sandboxId);
      if (entry === undefined) return;
      entry.session.end(reason);
      entry.session.dispose();
      sessions.delete(sandboxId);
      clearTimeout(entry.saveTimer);
      try {
        options.historyStore?.remove(sandboxId);
      } catch (error) {
        options.onInternalError(error, sandboxId);
      }
      for (const client of [...entry.clients]) {
        client.send({ type: 'closed', reason });
        client.close(reason);
      }
      entry.clients.clear();
    },
    clientCount: (sandboxId) => sessions.get(sandboxId)?.clients.size ?? 0,
    dispose() {
      for (const [sandboxId, entry] of sessions) {
        entry.session.dispose();
        save(sandboxId, entry);
        for (const client of [...entry.clients]) client.close('the server is shutting down');
        entry.clients.clear();
      }
      sessions.clear();
    },
  };
}
