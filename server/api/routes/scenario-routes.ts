// The canned scenarios: list and show.
import { z } from 'zod';
import type { ApiServices } from '../api-services.ts';
import { dnsLabelSchema, scenarioSummarySchema, scenarioViewSchema } from '../protocol/schemas.ts';
import { noBody, noParams, noQuery } from '../route-table.ts';
import type { RouteTable } from '../route-table.ts';

export function registerScenarioRoutes(table: RouteTable, services: ApiServices): void {
  table.add({
    method: 'get',
    path: '/scenarios',
    summary: 'The canned scenarios with their titles',
    tag: 'scenarios',
    params: noParams,
    body: noBody,
    query: noQuery,
    response: z.array(scenarioSummarySchema),
    status: 200,
    handle: () => services.scenarios.list(),
  });
  table.add({
    method: 'get',
    path: '/scenarios/:name',
    summary: 'One scenario: what it teaches, its YAML, and counts',
    tag: 'scenarios',
    params: z.strictObject({ name: dnsLabelSchema }),
    body: noBody,
    query: noQuery,
    response: scenarioViewSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => services.scenarios.show(params.name),
  });
}
