// Runs of live probes, the three-view matrix, and one flow explained.
import { z } from 'zod';
import type { ApiServices } from '../api-services.ts';
import { explainQuerySchema, explainViewSchema, matrixQuerySchema, matrixViewSchema, runIdSchema, runListSchema, runViewSchema, sandboxIdSchema, startRunRequestSchema } from '../protocol/schemas.ts';
import { noBody, noQuery } from '../route-table.ts';
import type { RouteTable } from '../route-table.ts';
import { parseQueryPort } from './query-port.ts';

const idParams = z.strictObject({ id: sandboxIdSchema });
const runParams = z.strictObject({ runId: runIdSchema });

export function registerRunRoutes(table: RouteTable, services: ApiServices): void {
  const { runs, sandboxes } = services;
  table.add({
    method: 'post',
    path: '/sandboxes/:id/runs',
    summary: "Start a run (the scenario's expectations, the matrix, generated cases, or one probe); results stream as events",
    tag: 'runs',
    params: idParams,
    query: noQuery,
    body: startRunRequestSchema,
    response: runViewSchema,
    status: 202,
    errors: [404, 409, 410, 422],
    handle: ({ params, body }) => runs.start(params.id, body).view,
  });
  table.add({
    method: 'get',
    path: '/sandboxes/:id/runs',
    summary: 'Runs of a sandbox, newest first, without results',
    tag: 'runs',
    params: idParams,
    body: noBody,
    query: noQuery,
    response: runListSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => {
      sandboxes.view(params.id);
      return runs.list(params.id);
    },
  });
  table.add({
    method: 'get',
    path: '/runs/:runId',
    summary: 'A run and every result so far',
    tag: 'runs',
    params: runParams,
    body: noBody,
    query: noQuery,
    response: runViewSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => runs.get(params.runId),
  });
  table.add({
    method: 'post',
    path: '/runs/:runId/cancel',
    summary: 'Cancel a running run (no new probe starts; in-flight ones are aborted)',
    tag: 'runs',
    params: runParams,
    body: noBody,
    query: noQuery,
    response: runViewSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => runs.cancel(params.runId),
  });
  table.add({
    method: 'get',
    path: '/sandboxes/:id/matrix',
    summary: 'Who can reach whom, each cell with intent, prediction, observation and mismatch',
    tag: 'runs',
    params: idParams,
    body: noBody,
    query: matrixQuerySchema,
    response: matrixViewSchema,
    status: 200,
    errors: [404, 409, 410],
    handle: ({ params, query }) =>
      runs.matrix(params.id, {
        ...(query.port === undefined ? {} : { port: parseQueryPort(query.port, 'port') }),
        ...(query.protocol === undefined ? {} : { protocol: query.protocol }),
      }),
  });
  table.add({
    method: 'get',
    path: '/sandboxes/:id/explain',
    summary: 'Which policy and rule decide one flow, and why',
    tag: 'runs',
    params: idParams,
    body: noBody,
    query: explainQuerySchema,
    response: explainViewSchema,
    status: 200,
    errors: [404, 409, 410, 422],
    handle: ({ params, query }) => sandboxes.explain(params.id, { from: query.from, to: query.to, port: parseQueryPort(query.port, 'port'), protocol: query.protocol }),
  });
}
