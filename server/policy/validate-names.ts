// Name, label and port-name syntax exactly as k8s.io/apimachinery/pkg/util/validation checks it.
// Each check returns every problem as a sentence (empty list = valid), like the Go functions do.

const dns1123LabelPattern = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123Label = new RegExp(`^${dns1123LabelPattern}$`);
const dns1123Subdomain = new RegExp(`^${dns1123LabelPattern}(\\.${dns1123LabelPattern})*$`);
const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const qualifiedNamePart = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const portNameCharset = /^[-a-z0-9]+$/;
const portNameOneLetter = /[a-z]/;

export const nameLimits = { dnsSubdomain: 253, dnsLabel: 63, qualifiedName: 63, labelValue: 63, portName: 15 } as const;

function describeLength(value: string, max: number): string | undefined {
  return value.length > max ? `must be no more than ${max} characters (it has ${value.length})` : undefined;
}

/** IsDNS1123Subdomain: names of Pods, NetworkPolicies and workloads. */
export function validateDnsSubdomain(value: string): string[] {
  const problems: string[] = [];
  const tooLong = describeLength(value, nameLimits.dnsSubdomain);
  if (tooLong) problems.push(tooLong);
  if (!dns1123Subdomain.test(value)) {
    problems.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
    );
  }
  return problems;
}

/** IsDNS1123Label: names of Namespaces, containers, Service port names, ExternalEndpoints. */
export function validateDnsLabel(value: string): string[] {
  const problems: string[] = [];
  const tooLong = describeLength(value, nameLimits.dnsLabel);
  if (tooLong) problems.push(tooLong);
  if (!dns1123Label.test(value)) {
    problems.push(
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')",
    );
  }
  return problems;
}

/** IsDNS1035Label: names of Services ("must start with a letter" so they can be DNS names and env vars). */
export function validateDns1035Label(value: string): string[] {
  const problems: string[] = [];
  const tooLong = describeLength(value, nameLimits.dnsLabel);
  if (tooLong) problems.push(tooLong);
  if (!dns1035Label.test(value)) {
    problems.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name' or 'abc-123')",
    );
  }
  return problems;
}

/** IsQualifiedName: label and annotation keys, `[prefix/]name` with a DNS subdomain prefix. */
export function validateQualifiedName(value: string): string[] {
  const problems: string[] = [];
  const parts = value.split('/');
  let name = value;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) problems.push('prefix part must be non-empty');
    else for (const problem of validateDnsSubdomain(prefix)) problems.push(`prefix part ${problem}`);
  } else if (parts.length > 2) {
    problems.push("a qualified name must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return problems;
  }
  if (name.length === 0) problems.push('name part must be non-empty');
  else {
    if (name.length > nameLimits.qualifiedName) problems.push(`name part must be no more than ${nameLimits.qualifiedName} characters (it has ${name.length})`);
    if (!qualifiedNamePart.test(name)) {
      problems.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName', 'my.name' or '123-abc')");
    }
  }
  return problems;
}

/** IsValidLabelValue: empty, or up to 63 characters, alphanumeric at both ends, `-_.` inside. */
export function validateLabelValue(value: string): string[] {
  const problems: string[] = [];
  const tooLong = describeLength(value, nameLimits.labelValue);
  if (tooLong) problems.push(tooLong);
  if (!labelValue.test(value)) {
    problems.push("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', 'my_value' or '12345')");
  }
  return problems;
}

/** IsValidPortName (IANA_SVC_NAME): container port names and named ports in NetworkPolicy and Service targetPort. */
export function validatePortName(value: string): string[] {
  const problems: string[] = [];
  if (value.length > nameLimits.portName) problems.push(`must be no more than ${nameLimits.portName} characters (it has ${value.length})`);
  if (!portNameCharset.test(value)) problems.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!portNameOneLetter.test(value)) problems.push('must contain at least one letter (a-z)');
  if (value.includes('--')) problems.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) problems.push('must not begin or end with a hyphen');
  return problems;
}

/** IsValidPortNum: 1..65535 inclusive. */
export function validatePortNumber(value: number): string[] {
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** A hostname for ExternalEndpoint.spec.hostnames: a DNS subdomain, lower case, no trailing dot. */
export function validateHostname(value: string): string[] {
  return validateDnsSubdomain(value);
}
