// Policies of a sandbox: list, apply or replace from YAML (issues as data; dryRun returns the diff), delete one;
// and lint of a policy set, alone or against a sandbox.
import { z } from 'zod';
import type { ApiServices } from '../api-services.ts';
import { applyPoliciesResponseSchema, dnsLabelSchema, lintRequestSchema, lintResponseSchema, policiesRequestSchema, policyViewSchema, sandboxIdSchema } from '../protocol/schemas.ts';
import { lintPolicyYaml } from '../../services/index.ts';
import { noBody, noParams, noQuery } from '../route-table.ts';
import type { RouteTable } from '../route-table.ts';

const idParams = z.strictObject({ id: sandboxIdSchema });

export function registerPolicyRoutes(table: RouteTable, services: ApiServices): void {
  const { sandboxes } = services;
  table.add({
    method: 'get',
    path: '/sandboxes/:id/policies',
    summary: 'The policies in force, each with its YAML',
    tag: 'policies',
    params: idParams,
    body: noBody,
    query: noQuery,
    response: z.array(policyViewSchema),
    status: 200,
    errors: [404],
    handle: ({ params }) => sandboxes.get(params.id).policies,
  });
  table.add({
    method: 'put',
    path: '/sandboxes/:id/policies',
    summary: 'Apply policies from YAML (replace the set, or merge by namespace/name). Problems come back as data with YAML paths; dryRun only computes the diff',
    tag: 'policies',
    params: idParams,
    query: noQuery,
    body: policiesRequestSchema,
    response: applyPoliciesResponseSchema,
    status: 200,
    errors: [404, 409, 410, 413, 422],
    handle: ({ params, body }) => sandboxes.applyPolicies(params.id, body),
  });
  table.add({
    method: 'delete',
    path: '/sandboxes/:id/policies/:namespace/:name',
    summary: 'Remove one policy (dryRun=true only computes the diff)',
    tag: 'policies',
    params: z.strictObject({ id: sandboxIdSchema, namespace: dnsLabelSchema, name: z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/) }),
    body: noBody,
    query: z.strictObject({ dryRun: z.enum(['true', 'false']).optional() }),
    response: applyPoliciesResponseSchema,
    status: 200,
    errors: [404, 409, 410],
    handle: ({ params, query }) => sandboxes.deletePolicy(params.id, { namespace: params.namespace, name: params.name }, { dryRun: query.dryRun === 'true' }),
  });
  table.add({
    method: 'post',
    path: '/lint',
    summary: "Lint a policy set: alone, or against a sandbox's pods and namespaces",
    tag: 'policies',
    params: noParams,
    query: noQuery,
    body: lintRequestSchema,
    response: lintResponseSchema,
    status: 200,
    errors: [404, 409, 410, 413],
    handle: ({ body }) => ({ issues: lintPolicyYaml(body.yaml, body.sandboxId === undefined ? undefined : sandboxes.requireLive(body.sandboxId).handle.cluster()) }),
  });
}
