// Server-wide routes: health, what this server allows, providers on this host, stored events.
import { z } from 'zod';
import type { ApiServices } from '../api-services.ts';
import { eventListSchema, eventsQuerySchema, healthSchema, providerViewSchema, serverInfoSchema } from '../protocol/schemas.ts';
import { noBody, noParams, noQuery } from '../route-table.ts';
import type { RouteTable } from '../route-table.ts';

export function registerMetaRoutes(table: RouteTable, services: ApiServices): void {
  table.add({
    method: 'get',
    path: '/health',
    summary: 'Liveness: the server answers',
    tag: 'server',
    params: noParams,
    body: noBody,
    query: noQuery,
    response: healthSchema,
    status: 200,
    handle: () => ({ status: 'ok' as const, version: services.info.version, uptimeSeconds: Math.round((Date.now() - services.startedAtMs) / 1000) }),
  });
  table.add({
    method: 'get',
    path: '/info',
    summary: "This server's limits (TTL, sandboxes, pods, probes) and whether a token is required",
    tag: 'server',
    params: noParams,
    body: noBody,
    query: noQuery,
    response: serverInfoSchema,
    status: 200,
    handle: () => services.info,
  });
  table.add({
    method: 'get',
    path: '/providers',
    summary: 'Every provider, whether this host can run it, its CNIs, and what is missing when it cannot',
    tag: 'server',
    params: noParams,
    body: noBody,
    query: noQuery,
    response: z.array(providerViewSchema),
    status: 200,
    handle: async () =>
      (await services.providers.checkAll()).map((availability) => ({
        provider: availability.provider,
        isAvailable: availability.isAvailable,
        cnis: [...availability.cnis],
        problems: availability.problems.map((problem) => ({ ...problem })),
      })),
  });
  table.add({
    method: 'get',
    path: '/events',
    summary: 'Stored events after a sequence number (lifecycle, progress, TTL warnings, runs, policy changes)',
    tag: 'server',
    params: noParams,
    body: noBody,
    query: eventsQuerySchema,
    response: eventListSchema,
    status: 200,
    handle: ({ query }) => ({
      events: services.listEvents({
        ...(query.since === undefined ? {} : { since: Number(query.since) }),
        ...(query.sandboxId === undefined ? {} : { sandboxId: query.sandboxId }),
        limit: Math.min(1000, Math.max(1, Number(query.limit ?? 200))),
      }),
    }),
  });
}
