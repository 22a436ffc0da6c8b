// Names, labels and tags derived from a sandbox id: one place decides how a sandbox is marked in every
// cloud and cluster, so a sweeper can find what a sandbox left behind from its labels alone.

/** `sb-` + 8 lowercase hex characters, as the provider contract defines a sandbox id. */
export const sandboxIdPattern = /^sb-[0-9a-f]{8}$/;

/** The Pulumi project every sandbox stack belongs to (also the stack-config namespace: `rehearsal:cni`). */
export const projectName = 'rehearsal';

/** Label and tag keys. Kubernetes label keys allow one `/` prefix; clouds get the same words with `-`. */
export const labelKeys = {
  sandboxId: 'rehearsal.dev/sandbox-id',
  expiresAt: 'rehearsal.dev/expires-at',
  owner: 'rehearsal.dev/owner',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

export const cloudTagKeys = {
  sandboxId: 'rehearsal-sandbox-id',
  expiresAt: 'rehearsal-expires-at',
  owner: 'rehearsal-owner',
  managedBy: 'managed-by',
} as const;

export const managedByValue = 'rehearsal';

export function isSandboxId(text: string): boolean {
  return sandboxIdPattern.test(text);
}

/** The cluster name in every provider: short enough for kind's container names and GKE's 40-character limit. */
export function formatClusterName(sandboxId: string): string {
  return `rehearsal-${sandboxId}`;
}

/**
 * An instant as a label value. Kubernetes label values allow only `[A-Za-z0-9_.-]` and GCP labels only lowercase,
 * so `2026-11-21T10:00:00.000Z` becomes `20261121t100000z` (UTC, whole seconds).
 */
export function formatExpiryLabel(expiresAt: Date): string {
  const iso = expiresAt.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}t${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}z`;
}

/** The inverse of formatExpiryLabel; undefined when the text is not one. */
export function parseExpiryLabel(text: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})t(\d{2})(\d{2})(\d{2})z$/.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match;
  const date = new Date(`${year}-${month}-${day}T${hour}:${minute}:${second}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** Lowercase DNS-1123 label text for an owner name that may be an email or a display name. */
export function formatOwnerLabel(owner: string): string {
  const cleaned = owner
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
    .slice(0, 63)
    .replace(/[^a-z0-9]+$/g, '');
  return cleaned === '' ? 'unknown' : cleaned;
}

export interface SandboxMarks {
  readonly sandboxId: string;
  readonly expiresAt: Date;
  readonly owner: string;
}

/** Labels for Kubernetes objects and GCP resources (lowercase values, no `:`). */
export function makeKubernetesLabels(marks: SandboxMarks): Record<string, string> {
  return {
    [labelKeys.sandboxId]: marks.sandboxId,
    [labelKeys.expiresAt]: formatExpiryLabel(marks.expiresAt),
    [labelKeys.owner]: formatOwnerLabel(marks.owner),
    [labelKeys.managedBy]: managedByValue,
  };
}

/** GCP resource labels: keys `[a-z0-9_-]`, values lowercase; the same facts as the Kubernetes labels. */
export function makeGcpLabels(marks: SandboxMarks): Record<string, string> {
  return {
    [cloudTagKeys.sandboxId]: marks.sandboxId,
    [cloudTagKeys.expiresAt]: formatExpiryLabel(marks.expiresAt),
    [cloudTagKeys.owner]: formatOwnerLabel(marks.owner),
    [cloudTagKeys.managedBy]: managedByValue,
  };
}

/** AWS and Azure tags allow `:` in values, so the expiry stays a readable ISO 8601 instant. */
export function makeCloudTags(marks: SandboxMarks): Record<string, string> {
  return {
    [cloudTagKeys.sandboxId]: marks.sandboxId,
    [cloudTagKeys.expiresAt]: marks.expiresAt.toISOString(),
    [cloudTagKeys.owner]: marks.owner.slice(0, 256),
    [cloudTagKeys.managedBy]: managedByValue,
  };
}
