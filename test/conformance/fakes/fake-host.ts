// Host facts for preflight tests: which tools answer how, which files exist, which variables are set.
import type { RunTool, ToolResult } from '../../../server/sandbox/pulumi/host-tools.ts';
import type { HostFacts } from '../../../server/sandbox/pulumi/preflight.ts';

export function makeFakeHost(options: {
  readonly tools?: Readonly<Record<string, ToolResult>>;
  readonly files?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
} = {}): HostFacts & { readonly ran: string[] } {
  const ran: string[] = [];
  const defaults: Readonly<Record<string, ToolResult>> = {
    pulumi: { kind: 'exited', exitCode: 0, stdout: 'v3.248.0\n', stderr: '' },
    docker: { kind: 'exited', exitCode: 0, stdout: '28.2.2\n', stderr: '' },
    kind: { kind: 'exited', exitCode: 0, stdout: 'kind v0.32.0 go1.24.3 linux/amd64\n', stderr: '' },
    aws: { kind: 'exited', exitCode: 0, stdout: 'aws-cli/2.27.0\n', stderr: '' },
    'gke-gcloud-auth-plugin': { kind: 'exited', exitCode: 0, stdout: 'Kubernetes v1.33.0\n', stderr: '' },
  };
  const runTool: RunTool = async (file, args) => {
    ran.push([file, ...args].join(' '));
    return options.tools?.[file] ?? defaults[file] ?? { kind: 'missing' };
  };
  const files = new Set(options.files ?? []);
  return { env: options.env ?? {}, homeDir: '/home/tester', fileExists: async (path) => files.has(path), runTool, ran };
}
