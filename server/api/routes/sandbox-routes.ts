// Sandboxes: create (202, progress follows as events), list, show, extend, destroy, relabel a pod, the ruleset.
import { z } from 'zod';
import type { ApiServices } from '../api-services.ts';
import {
  createSandboxRequestSchema,
  dnsLabelSchema,
  extendSandboxRequestSchema,
  labelPodRequestSchema,
  labelPodResponseSchema,
  rulesViewSchema,
  sandboxDetailSchema,
  sandboxIdSchema,
  sandboxViewSchema,
} from '../protocol/schemas.ts';
import { noBody, noParams, noQuery } from '../route-table.ts';
import type { RouteTable } from '../route-table.ts';

const idParams = z.strictObject({ id: sandboxIdSchema });
const podNameSchema = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a pod name is a DNS-1123 subdomain');

export function registerSandboxRoutes(table: RouteTable, services: ApiServices): void {
  const { sandboxes } = services;
  table.add({
    method: 'post',
    path: '/sandboxes',
    summary: 'Create a sandbox; answers 202 at once, provisioning progress follows on the events channel',
    tag: 'sandboxes',
    params: noParams,
    query: noQuery,
    body: createSandboxRequestSchema,
    response: sandboxViewSchema,
    status: 202,
    errors: [404, 409, 413, 422, 429, 503],
    handle: ({ body }) => sandboxes.create(body),
  });
  table.add({
    method: 'get',
    path: '/sandboxes',
    summary: 'Every sandbox this server knows, newest first, with status and expiry',
    tag: 'sandboxes',
    params: noParams,
    body: noBody,
    query: noQuery,
    response: z.array(sandboxViewSchema),
    status: 200,
    handle: () => sandboxes.list(),
  });
  table.add({
    method: 'get',
    path: '/sandboxes/:id',
    summary: 'One sandbox with its pods, policies, services and external endpoints',
    tag: 'sandboxes',
    params: idParams,
    body: noBody,
    query: noQuery,
    response: sandboxDetailSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => sandboxes.get(params.id),
  });
  table.add({
    method: 'post',
    path: '/sandboxes/:id/extend',
    summary: 'Move the expiry later (bounded by the maximum time left)',
    tag: 'sandboxes',
    params: idParams,
    query: noQuery,
    body: extendSandboxRequestSchema,
    response: sandboxViewSchema,
    status: 200,
    errors: [404, 409, 410, 422],
    handle: ({ params, body }) => sandboxes.extend(params.id, body.bySeconds),
  });
  table.add({
    method: 'delete',
    path: '/sandboxes/:id',
    summary: 'Destroy a sandbox now; answers when it is gone',
    tag: 'sandboxes',
    params: idParams,
    body: noBody,
    query: noQuery,
    response: sandboxViewSchema,
    status: 200,
    errors: [404],
    handle: ({ params }) => sandboxes.destroy(params.id),
  });
  table.add({
    method: 'patch',
    path: '/sandboxes/:id/pods/:namespace/:name',
    summary: 'Set or remove pod labels (null removes); says what it does to traffic',
    tag: 'sandboxes',
    params: z.strictObject({ id: sandboxIdSchema, namespace: dnsLabelSchema, name: podNameSchema }),
    query: noQuery,
    body: labelPodRequestSchema,
    response: labelPodResponseSchema,
    status: 200,
    errors: [404, 409, 410],
    handle: ({ params, body }) => sandboxes.labelPod(params.id, { namespace: params.namespace, name: params.name }, body.labels),
  });
  table.add({
    method: 'get',
    path: '/sandboxes/:id/rules',
    summary: "The dataplane's compiled ruleset, comments naming policy and rule",
    tag: 'sandboxes',
    params: idParams,
    body: noBody,
    query: noQuery,
    response: rulesViewSchema,
    status: 200,
    errors: [404, 409, 410],
    handle: async ({ params }) => ({ sandboxId: params.id, text: await sandboxes.rules(params.id) }),
  });
}
