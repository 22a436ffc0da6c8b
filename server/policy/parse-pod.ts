// Pod specs and pod templates: containers and their ports, validated as pkg/apis/core/validation does.
// Only what networking needs is read; the rest of a PodSpec is accepted as written (field names still checked).

import { addIssue, indexPath, joinPath, lineOf, quote, readBoolean, readInteger, readMap, readSeq, readString } from './parse-context.ts';
import type { ParseContext } from './parse-context.ts';
import { objectMetaShape } from './parse-meta.ts';
import { readProtocol } from './parse-network-policy.ts';
import { booleanShape, integerShape, listShape, namesShape, objectShape, stringShape } from './parse-shape.ts';
import type { Shape } from './parse-shape.ts';
import { validateDnsLabel, validatePortName, validatePortNumber } from './validate-names.ts';
import type { Container, ContainerPort } from './model.ts';
import type { YamlMap } from './yaml-source.ts';

const containerPortShape: Shape = objectShape({ name: stringShape, hostPort: integerShape, containerPort: integerShape, protocol: stringShape, hostIP: stringShape });

const containerShape: Shape = namesShape(
  [
    'image', 'command', 'args', 'workingDir', 'envFrom', 'env', 'resources', 'resizePolicy', 'restartPolicy', 'restartPolicyRules',
    'volumeMounts', 'volumeDevices', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'terminationMessagePath',
    'terminationMessagePolicy', 'imagePullPolicy', 'securityContext', 'stdin', 'stdinOnce', 'tty',
  ],
  { name: stringShape, ports: listShape(containerPortShape) },
);

export const podSpecShape: Shape = namesShape(
  [
    'volumes', 'ephemeralContainers', 'terminationGracePeriodSeconds', 'activeDeadlineSeconds', 'dnsPolicy', 'nodeSelector',
    'serviceAccountName', 'serviceAccount', 'automountServiceAccountToken', 'nodeName', 'hostPID', 'hostIPC', 'shareProcessNamespace',
    'securityContext', 'imagePullSecrets', 'hostname', 'subdomain', 'affinity', 'schedulerName', 'tolerations', 'hostAliases',
    'priorityClassName', 'priority', 'dnsConfig', 'readinessGates', 'runtimeClassName', 'enableServiceLinks', 'preemptionPolicy',
    'overhead', 'topologySpreadConstraints', 'setHostnameAsFQDN', 'os', 'hostUsers', 'schedulingGates', 'resourceClaims', 'resources',
    'hostnameOverride',
  ],
  { containers: listShape(containerShape), initContainers: listShape(containerShape), hostNetwork: booleanShape, restartPolicy: stringShape },
);

export const podTemplateShape: Shape = objectShape({ metadata: objectMetaShape, spec: podSpecShape });

export interface PodSpecRead {
  readonly containers: readonly Container[];
  readonly restartPolicy?: string;
}

/** Reads `spec` of a Pod or of a pod template. Problems are reported; the caller checks for errors. */
export function readPodSpec(ctx: ParseContext, input: { owner: YamlMap; specPath: string }): PodSpecRead {
  const spec = readMap(input.owner, 'spec');
  if (!spec) {
    addIssue(ctx, { code: 'required', line: lineOf(input.owner, 'spec'), path: input.specPath, message: 'a pod needs a spec with containers', fix: 'add spec: {containers: [{name: app, image: ..., ports: [...]}]}' });
    return { containers: [] };
  }
  const containersSeq = readSeq(spec, 'containers');
  const containersPath = joinPath(input.specPath, 'containers');
  if (!containersSeq || containersSeq.items.length === 0) {
    addIssue(ctx, { code: 'required', line: lineOf(spec, 'containers'), path: containersPath, message: 'spec.containers: Required value: a pod needs at least one container', fix: 'add a container with the ports the workload serves' });
  }
  if (readBoolean(spec, 'hostNetwork') === true) {
    addIssue(ctx, {
      code: 'host-network',
      severity: 'warning',
      line: lineOf(spec, 'hostNetwork'),
      path: joinPath(input.specPath, 'hostNetwork'),
      message: 'hostNetwork pods use the node address and NetworkPolicy does not isolate them; rehearsal models this pod with its own pod IP',
      fix: 'remove hostNetwork: true unless the pod really needs the node network',
    });
  }
  const containerNames = new Map<string, string>();
  const portNames = new Map<string, string>();
  const containers: Container[] = [];
  const readContainerList = (key: 'containers' | 'initContainers'): void => {
    readSeq(spec, key)?.items.forEach((item, index) => {
      if (item.kind !== 'map') return;
      const path = indexPath(joinPath(input.specPath, key), index);
      const container = readContainer(ctx, { node: item, path, containerNames, portNames });
      // initContainers finish before the pod serves traffic; their ports are not part of the network model. Sidecars
      // are the exception: "If an init container is created with its restartPolicy set to Always, it will start and
      // remain running during the entire life of the Pod" (sidecar containers, on by default since 1.29), so their
      // ports are served and their port names resolve.
      const isSidecar = key === 'initContainers' && readString(item, 'restartPolicy') === 'Always';
      if (container && (key === 'containers' || isSidecar)) containers.push(container);
    });
  };
  readContainerList('containers');
  readContainerList('initContainers');
  const restartPolicy = readString(spec, 'restartPolicy');
  return { containers, ...(restartPolicy === undefined ? {} : { restartPolicy }) };
}

function readContainer(
  ctx: ParseContext,
  input: { node: YamlMap; path: string; containerNames: Map<string, string>; portNames: Map<string, string> },
): Container | undefined {
  const { node, path } = input;
  const name = readString(node, 'name');
  const namePath = joinPath(path, 'name');
  let isValid = true;
  if (name === undefined || name === '') {
    addIssue(ctx, { code: 'required', line: node.line, path: namePath, message: 'a container needs a name', fix: 'add name: <container name>' });
    isValid = false;
  } else {
    const problems = validateDnsLabel(name);
    if (problems.length > 0) {
      isValid = false;
      addIssue(ctx, { code: 'invalid-name', line: lineOf(node, 'name'), path: namePath, message: `container name ${quote(name)}: ${problems.join('; ')}`, fix: 'use lower-case letters, digits and -' });
    }
    const earlier = input.containerNames.get(name);
    if (earlier !== undefined) {
      isValid = false;
      addIssue(ctx, { code: 'duplicate-name', line: lineOf(node, 'name'), path: namePath, message: `Duplicate value: container name ${quote(name)} is also used at ${earlier}`, fix: 'give every container of the pod its own name' });
    } else input.containerNames.set(name, path);
  }
  const ports: ContainerPort[] = [];
  readSeq(node, 'ports')?.items.forEach((item, index) => {
    if (item.kind !== 'map') return;
    const portPath = indexPath(joinPath(path, 'ports'), index);
    const containerPort = readInteger(item, 'containerPort');
    let isPortValid = true;
    if (containerPort === undefined) {
      isPortValid = false;
      addIssue(ctx, { code: 'required', line: item.line, path: joinPath(portPath, 'containerPort'), message: 'containerPort: Required value', fix: 'add containerPort: <number>' });
    } else {
      for (const problem of validatePortNumber(containerPort)) {
        isPortValid = false;
        addIssue(ctx, { code: 'invalid-port', line: lineOf(item, 'containerPort'), path: joinPath(portPath, 'containerPort'), message: `containerPort ${containerPort}: ${problem}`, fix: 'use a port between 1 and 65535' });
      }
    }
    const protocol = readProtocol(ctx, { owner: item, path: portPath, isEmptyDefaulted: true });
    if (!protocol) isPortValid = false;
    const portName = readString(item, 'name');
    if (portName !== undefined) {
      for (const problem of validatePortName(portName)) {
        isPortValid = false;
        addIssue(ctx, { code: 'invalid-port-name', line: lineOf(item, 'name'), path: joinPath(portPath, 'name'), message: `port name ${quote(portName)}: ${problem}`, fix: 'use up to 15 characters: a-z, 0-9 and single hyphens, with at least one letter' });
      }
      const earlier = input.portNames.get(portName);
      if (earlier !== undefined) {
        isPortValid = false;
        addIssue(ctx, { code: 'duplicate-name', line: lineOf(item, 'name'), path: joinPath(portPath, 'name'), message: `Duplicate value: port name ${quote(portName)} is also used at ${earlier}`, fix: 'port names must be unique within a pod' });
      } else input.portNames.set(portName, portPath);
    }
    if (!isPortValid || containerPort === undefined || !protocol) {
      isValid = false;
      return;
    }
    ports.push({ ...(portName === undefined ? {} : { name: portName }), containerPort, protocol });
  });
  return isValid && name !== undefined ? { name, ports } : undefined;
}
