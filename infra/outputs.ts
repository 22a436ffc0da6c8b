// The output contract every sandbox program exports, and the one parser the server uses to read it back.
// Three facts: a kubeconfig (always a secret), the cluster name, and the API endpoint.
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';

export const outputNames = { kubeconfig: 'kubeconfig', clusterName: 'clusterName', endpoint: 'endpoint' } as const;

/** What every provider component exposes; `index.ts` exports exactly these as stack outputs. */
export interface SandboxClusterOutputs {
  /** Kubeconfig YAML with admin access to the sandbox. Secret: encrypted in state, masked in logs. */
  readonly kubeconfig: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  /** `https://host:port` of the API server. */
  readonly endpoint: pulumi.Output<string>;
}

/** The stack outputs object, with the kubeconfig forced secret however a component produced it. */
export function exportSandboxOutputs(cluster: SandboxClusterOutputs): Record<string, pulumi.Output<string>> {
  return {
    [outputNames.kubeconfig]: pulumi.secret(cluster.kubeconfig),
    [outputNames.clusterName]: cluster.clusterName,
    [outputNames.endpoint]: cluster.endpoint,
  };
}

const outputValueSchema = z.object({ value: z.unknown(), secret: z.boolean().optional() });

const stackOutputsSchema = z.object({
  kubeconfig: outputValueSchema.extend({ value: z.string().min(1) }),
  clusterName: outputValueSchema.extend({ value: z.string().min(1) }),
  endpoint: outputValueSchema.extend({ value: z.string().regex(/^https:\/\//, 'must be an https:// URL') }),
});

export interface SandboxStackOutputs {
  readonly kubeconfig: string;
  readonly clusterName: string;
  readonly endpoint: string;
}

/**
 * Reads `stack.outputs()` (an `OutputMap` of `{value, secret}`). Throws with every missing or malformed output
 * named, and refuses a kubeconfig that was not stored as a secret.
 */
export function parseSandboxOutputs(outputs: unknown): SandboxStackOutputs {
  const result = stackOutputsSchema.safeParse(outputs);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`the sandbox stack's outputs do not match the output contract (infra/outputs.ts): ${problems.join('; ')}`);
  }
  if (result.data.kubeconfig.secret !== true) {
    throw new Error('the sandbox stack exported its kubeconfig in clear text; infra/outputs.ts must mark it secret');
  }
  return { kubeconfig: result.data.kubeconfig.value, clusterName: result.data.clusterName.value, endpoint: result.data.endpoint.value };
}
