// What the HTTP and websocket layer is given by the composition root: services, never providers.
import type { z } from 'zod';
import type { serverInfoSchema } from './protocol/schemas.ts';
import type { EventBus, ProviderRegistry, RunService, SandboxService, ScenarioCatalog } from '../services/index.ts';
import type { StoredEvent } from '../store/index.ts';
import type { TerminalHub } from '../terminal/index.ts';

export type ServerInfo = z.infer<typeof serverInfoSchema>;

export interface ApiServices {
  readonly sandboxes: SandboxService;
  readonly runs: RunService;
  readonly scenarios: ScenarioCatalog;
  readonly providers: ProviderRegistry;
  readonly bus: EventBus;
  readonly terminals: TerminalHub;
  /** Stored events after a sequence number (a reconnecting UI catching up). */
  listEvents(options: { readonly since?: number; readonly sandboxId?: string; readonly limit: number }): StoredEvent[];
  readonly info: ServerInfo;
  readonly startedAtMs: number;
}
