// The containernetworking reference plugins (bridge, host-local, portmap, loopback) put on every node by a
// host-network DaemonSet, for CNIs that delegate to them on kind node images, which ship only host-local,
// loopback, ptp and portmap (kind images/base/Dockerfile). It must run before any pod network exists, hence
// hostNetwork and tolerating every taint.
import type * as k8s from '@pulumi/kubernetes';

export const referencePluginsVersion = 'v1.7.1';
export const referencePluginsNamespace = 'kube-system';
export const referencePluginsName = 'rehearsal-cni-plugins';
const installerImage = 'docker.io/library/alpine:3.22';
const pauseImage = 'registry.k8s.io/pause:3.10';

/**
 * The installer's script is constant; the version and architecture arrive as environment variables, so nothing
 * configurable is ever spliced into shell text.
 */
const installScript = [
  'set -eu',
  'case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) echo "unsupported arch $(uname -m)" >&2; exit 1 ;; esac',
  'url="https://github.com/containernetworking/plugins/releases/download/${CNI_PLUGINS_VERSION}/cni-plugins-linux-${arch}-${CNI_PLUGINS_VERSION}.tgz"',
  'wget -qO /tmp/plugins.tgz "$url"',
  'tar -xzf /tmp/plugins.tgz -C /host/opt/cni/bin ./bridge ./host-local ./portmap ./loopback',
].join('\n');

export function makeReferencePluginsDaemonSet(labels: Readonly<Record<string, string>>): k8s.apps.v1.DaemonSetArgs {
  const selector = { 'app.kubernetes.io/name': referencePluginsName };
  return {
    metadata: { name: referencePluginsName, namespace: referencePluginsNamespace, labels: { ...labels, ...selector } },
    spec: {
      selector: { matchLabels: selector },
      template: {
        metadata: { labels: { ...labels, ...selector } },
        spec: {
          hostNetwork: true,
          tolerations: [{ operator: 'Exists' }],
          initContainers: [
            {
              name: 'install',
              image: installerImage,
              command: ['/bin/sh', '-c', installScript],
              env: [{ name: 'CNI_PLUGINS_VERSION', value: referencePluginsVersion }],
              volumeMounts: [{ name: 'cni-bin', mountPath: '/host/opt/cni/bin' }],
            },
          ],
          containers: [{ name: 'pause', image: pauseImage }],
          volumes: [{ name: 'cni-bin', hostPath: { path: '/opt/cni/bin', type: 'DirectoryOrCreate' } }],
        },
      },
    },
  };
}
