// Preflight for the Pulumi-driven providers: the Pulumi CLI the Automation API drives, Docker and kind for kind
// sandboxes, and cloud credentials for EKS/GKE/AKS. Each failed check names what is missing and the command that
// fixes it. Credentials are checked for presence only (which variables and files exist), never read.
import { join } from 'node:path';
import type { ProviderAvailability } from '../contract.ts';
import type { RunTool } from './host-tools.ts';
import { firstLine } from './host-tools.ts';

export type Problem = ProviderAvailability['problems'][number];

export interface HostFacts {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly fileExists: (path: string) => Promise<boolean>;
  readonly runTool: RunTool;
}

const toolTimeoutMs = 15_000;

/** kindnetd enforces NetworkPolicy since kind v0.24.0 (it embeds kube-network-policies). */
export const minimumKindVersion = [0, 24, 0] as const;
export const recommendedKindVersion = 'v0.32.0';

function parseVersion(text: string): readonly number[] | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])];
}

function isOlder(version: readonly number[], minimum: readonly number[]): boolean {
  for (let index = 0; index < minimum.length; index += 1) {
    const have = version[index] ?? 0;
    const want = minimum[index] ?? 0;
    if (have !== want) return have < want;
  }
  return false;
}

export async function checkPulumiCli(host: HostFacts): Promise<Problem | undefined> {
  const result = await host.runTool('pulumi', ['version'], { timeoutMs: toolTimeoutMs });
  const fix = 'install it: curl -fsSL https://get.pulumi.com | sh, then put ~/.pulumi/bin on PATH (https://www.pulumi.com/docs/iac/download-install/)';
  if (result.kind === 'missing') {
    return { check: 'pulumi-cli', message: "the Pulumi CLI is not installed ('pulumi' not found on PATH); rehearsal drives it through the Automation API to create clusters", fix };
  }
  if (result.kind === 'failed') return { check: 'pulumi-cli', message: `'pulumi version' failed: ${result.reason}`, fix };
  if (result.exitCode !== 0) return { check: 'pulumi-cli', message: `'pulumi version' exited ${result.exitCode}: ${firstLine(result.stderr)}`, fix };
  const version = parseVersion(result.stdout);
  if (version === undefined || isOlder(version, [3, 2, 0])) {
    return { check: 'pulumi-cli', message: `the Pulumi CLI is ${firstLine(result.stdout) || 'of unknown version'}; the Automation API needs v3.2.0 or newer`, fix: 'pulumi self-update (or reinstall from https://get.pulumi.com)' };
  }
  return undefined;
}

export async function checkDockerDaemon(host: HostFacts): Promise<Problem | undefined> {
  const result = await host.runTool('docker', ['version', '--format', '{{.Server.Version}}'], { timeoutMs: toolTimeoutMs });
  if (result.kind === 'missing') {
    return {
      check: 'docker',
      message: "Docker is not installed ('docker' not found on PATH); kind runs every cluster node as a container",
      fix: 'install Docker Engine (https://docs.docker.com/engine/install/) and start it: sudo systemctl enable --now docker',
    };
  }
  if (result.kind === 'failed') return { check: 'docker-daemon', message: `'docker version' failed: ${result.reason}`, fix: 'check that the Docker daemon is healthy: sudo systemctl status docker' };
  if (result.exitCode === 0) return undefined;
  const detail = firstLine(result.stderr) || firstLine(result.stdout);
  if (/permission denied/i.test(detail)) {
    return {
      check: 'docker-daemon',
      message: `this user may not talk to the Docker daemon: ${detail}`,
      fix: 'add the user to the docker group (sudo usermod -aG docker "$USER", then log in again) or run rehearsal as root',
    };
  }
  const socket = host.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
  return {
    check: 'docker-daemon',
    message: `no Docker daemon answers at ${socket} (docker said: ${detail})`,
    fix: 'start it (sudo systemctl start docker, or start Docker Desktop), or point DOCKER_HOST at a running daemon',
  };
}

export async function checkKind(host: HostFacts): Promise<Problem | undefined> {
  const fix = `install kind ${recommendedKindVersion}: curl -Lo ./kind https://kind.sigs.k8s.io/dl/${recommendedKindVersion}/kind-linux-amd64 && chmod +x ./kind && sudo mv ./kind /usr/local/bin/kind (or: go install sigs.k8s.io/kind@${recommendedKindVersion})`;
  const result = await host.runTool('kind', ['version'], { timeoutMs: toolTimeoutMs });
  if (result.kind === 'missing') return { check: 'kind', message: "kind is not installed ('kind' not found on PATH)", fix };
  if (result.kind === 'failed' || result.exitCode !== 0) {
    return { check: 'kind', message: `'kind version' failed: ${result.kind === 'failed' ? result.reason : firstLine(result.stderr)}`, fix };
  }
  const version = parseVersion(result.stdout);
  if (version !== undefined && isOlder(version, minimumKindVersion)) {
    return { check: 'kind-version', message: `kind ${firstLine(result.stdout)} is older than v0.24.0, whose kindnetd is the first to enforce NetworkPolicy`, fix };
  }
  return undefined;
}

async function hasAnyFile(host: HostFacts, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) if (await host.fileExists(path)) return true;
  return false;
}

function hasEnv(host: HostFacts, name: string): boolean {
  const value = host.env[name];
  return value !== undefined && value !== '';
}

/** Set to 1 where credentials come from somewhere a file check cannot see (EC2 instance roles, GCE metadata, MSI). */
export const skipCredentialCheckVariable = 'REHEARSAL_SKIP_CREDENTIAL_CHECK';

async function checkCliTool(host: HostFacts, options: { file: string; args: readonly string[]; check: string; why: string; fix: string }): Promise<Problem | undefined> {
  const result = await host.runTool(options.file, options.args, { timeoutMs: toolTimeoutMs });
  if (result.kind === 'missing') return { check: options.check, message: `'${options.file}' is not installed; ${options.why}`, fix: options.fix };
  return undefined;
}

export async function checkAwsCredentials(host: HostFacts): Promise<readonly Problem[]> {
  const problems: Problem[] = [];
  if (!hasEnv(host, skipCredentialCheckVariable)) {
    const hasKeys = hasEnv(host, 'AWS_ACCESS_KEY_ID') && hasEnv(host, 'AWS_SECRET_ACCESS_KEY');
    const hasOther = ['AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'].some((name) => hasEnv(host, name));
    const files = [host.env['AWS_SHARED_CREDENTIALS_FILE'] ?? join(host.homeDir, '.aws', 'credentials'), host.env['AWS_CONFIG_FILE'] ?? join(host.homeDir, '.aws', 'config')];
    if (!hasKeys && !hasOther && !(await hasAnyFile(host, files))) {
      problems.push({
        check: 'aws-credentials',
        message: `no AWS credentials found (looked for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE, ${files.join(', ')})`,
        fix: `run 'aws configure' (or 'aws sso login --profile NAME' and export AWS_PROFILE=NAME); on an EC2 instance role set ${skipCredentialCheckVariable}=1`,
      });
    }
  }
  const cli = await checkCliTool(host, {
    file: 'aws',
    args: ['--version'],
    check: 'aws-cli',
    why: "the sandbox kubeconfig gets its tokens from 'aws eks get-token'",
    fix: 'install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html',
  });
  if (cli !== undefined) problems.push(cli);
  return problems;
}

export async function checkGcpCredentials(host: HostFacts, options: { readonly project?: string }): Promise<readonly Problem[]> {
  const problems: Problem[] = [];
  if (!hasEnv(host, skipCredentialCheckVariable)) {
    const configDir = host.env['CLOUDSDK_CONFIG'] ?? join(host.homeDir, '.config', 'gcloud');
    const adc = join(configDir, 'application_default_credentials.json');
    const explicitFile = host.env['GOOGLE_APPLICATION_CREDENTIALS'];
    const hasCredentials =
      hasEnv(host, 'GOOGLE_CREDENTIALS') ||
      hasEnv(host, 'CLOUDSDK_AUTH_ACCESS_TOKEN') ||
      (await hasAnyFile(host, explicitFile === undefined || explicitFile === '' ? [adc] : [explicitFile]));
    if (!hasCredentials) {
      problems.push({
        check: 'gcp-credentials',
        message: `no Google Cloud credentials found (looked for GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CREDENTIALS, ${adc})`,
        fix: `run 'gcloud auth application-default login', or export GOOGLE_APPLICATION_CREDENTIALS=/path/to/key.json; on GCE set ${skipCredentialCheckVariable}=1`,
      });
    }
  }
  const hasProject = options.project !== undefined || ['GOOGLE_CLOUD_PROJECT', 'GOOGLE_PROJECT', 'CLOUDSDK_CORE_PROJECT'].some((name) => hasEnv(host, name));
  if (!hasProject) {
    problems.push({
      check: 'gcp-project',
      message: 'no Google Cloud project chosen for the GKE cluster',
      fix: 'export GOOGLE_CLOUD_PROJECT=my-project (or pass the gcpProject stack setting)',
    });
  }
  const plugin = await checkCliTool(host, {
    file: 'gke-gcloud-auth-plugin',
    args: ['--version'],
    check: 'gke-auth-plugin',
    why: 'the sandbox kubeconfig gets its tokens from gke-gcloud-auth-plugin',
    fix: 'gcloud components install gke-gcloud-auth-plugin (or apt-get install google-cloud-cli-gke-gcloud-auth-plugin)',
  });
  if (plugin !== undefined) problems.push(plugin);
  return problems;
}

export async function checkAzureCredentials(host: HostFacts): Promise<readonly Problem[]> {
  if (hasEnv(host, skipCredentialCheckVariable)) return [];
  const hasServicePrincipal =
    hasEnv(host, 'ARM_CLIENT_ID') &&
    hasEnv(host, 'ARM_TENANT_ID') &&
    ['ARM_CLIENT_SECRET', 'ARM_CLIENT_CERTIFICATE_PATH', 'ARM_OIDC_TOKEN', 'ARM_USE_OIDC'].some((name) => hasEnv(host, name));
  const profile = join(host.env['AZURE_CONFIG_DIR'] ?? join(host.homeDir, '.azure'), 'azureProfile.json');
  if (hasServicePrincipal || host.env['ARM_USE_MSI'] === 'true' || (await host.fileExists(profile))) return [];
  return [
    {
      check: 'azure-credentials',
      message: `no Azure credentials found (looked for ARM_CLIENT_ID/ARM_TENANT_ID with a secret, certificate or OIDC token, ARM_USE_MSI, ${profile})`,
      fix: "run 'az login' (and 'az account set --subscription ID'), or export ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID",
    },
  ];
}

/** Renders problems for a terminal: one block per problem, the fix on its own line. */
export function formatProblems(provider: string, problems: readonly Problem[]): string {
  const lines = [`${provider}: cannot create sandboxes on this host (${problems.length} problem${problems.length === 1 ? '' : 's'}):`];
  for (const problem of problems) lines.push(`  ✗ ${problem.check}: ${problem.message}`, `    fix: ${problem.fix}`);
  return lines.join('\n');
}
