// The real Kubernetes seam over @kubernetes/client-node 2.x: server-side apply through KubernetesObjectApi,
// exec over the websocket channel protocol with its own deadline (the status frame is not always delivered,
// kubernetes-client/javascript#714), and API failures turned into KubeApiError with the HTTP status.
import { Writable } from 'node:stream';
import { ApiException, Exec, KubeConfig, KubernetesObjectApi, PatchStrategy, VersionApi } from '@kubernetes/client-node';
import type { KubernetesObject, V1Status } from '@kubernetes/client-node';
import type { ExecOutcome, ExecRequest, KubeClient, KubeObject, ListOptions, ObjectRef } from './kube-client.ts';
import { KubeApiError, formatObjectRef } from './kube-client.ts';

function isNotFound(error: unknown): boolean {
  return error instanceof ApiException && error.code === 404;
}

function toKubeApiError(action: string, error: unknown): KubeApiError {
  if (error instanceof ApiException) {
    const body: unknown = error.body;
    const detail = typeof body === 'string' ? body : JSON.stringify(body);
    return new KubeApiError(`${action}: HTTP ${error.code}: ${detail.slice(0, 500)}`, { status: error.code, cause: error });
  }
  return new KubeApiError(`${action}: ${describeCauses(error)}`, { cause: error });
}

/** undici reports "fetch failed" and hides the reason (ECONNREFUSED, certificate errors) in `cause`. */
function describeCauses(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current instanceof Error && parts.length < 4) {
    if (!parts.includes(current.message)) parts.push(current.message);
    current = current.cause;
  }
  return parts.length === 0 ? String(error) : parts.join(': ');
}

/** The exit code from an exec status frame: Success is 0; a NonZeroExitCode failure carries it in details.causes. */
export function readExitCode(status: V1Status): number | undefined {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((entry) => entry.reason === 'ExitCode');
  const code = cause?.message === undefined ? Number.NaN : Number.parseInt(cause.message, 10);
  return Number.isInteger(code) ? code : undefined;
}

function collect(onChunk?: (chunk: string) => void): { readonly stream: Writable; readonly text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const piece = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      text += piece;
      onChunk?.(piece);
      callback();
    },
  });
  return { stream, text: () => text };
}

function toClientObject(ref: ObjectRef): KubernetesObject & { metadata: { name: string; namespace?: string } } {
  return {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: ref.namespace === undefined ? { name: ref.name } : { name: ref.name, namespace: ref.namespace },
  };
}

export function createClientNodeKubeClient(kubeconfigYaml: string): KubeClient {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml);
  const objects = KubernetesObjectApi.makeApiClient(config);
  const versions = config.makeApiClient(VersionApi);
  const exec = new Exec(config);

  return {
    async apply(object: KubeObject, options) {
      try {
        return await objects.patch({ ...object, metadata: { ...object.metadata } }, undefined, undefined, options.fieldManager, true, PatchStrategy.ServerSideApply);
      } catch (error) {
        throw toKubeApiError(`server-side apply of ${formatObjectRef({ ...object, ...object.metadata })}`, error);
      }
    },
    async delete(ref) {
      try {
        await objects.delete(toClientObject(ref), undefined, undefined, 0, undefined, 'Background');
      } catch (error) {
        if (isNotFound(error)) return;
        throw toKubeApiError(`delete ${formatObjectRef(ref)}`, error);
      }
    },
    async read(ref) {
      try {
        return await objects.read(toClientObject(ref));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw toKubeApiError(`read ${formatObjectRef(ref)}`, error);
      }
    },
    async list(apiVersion: string, kind: string, options: ListOptions = {}) {
      try {
        const result = await objects.list(apiVersion, kind, options.namespace, undefined, undefined, undefined, undefined, options.labelSelector);
        return result.items;
      } catch (error) {
        throw toKubeApiError(`list ${kind}${options.namespace === undefined ? '' : ` in ${options.namespace}`}`, error);
      }
    },
    async readVersion() {
      try {
        const info = await versions.getCode();
        return info.gitVersion;
      } catch (error) {
        throw toKubeApiError('GET /version', error);
      }
    },
    exec(request: ExecRequest): Promise<ExecOutcome> {
      return new Promise((resolve) => {
        const stdout = collect(request.onStdout);
        const stderr = collect();
        let isSettled = false;
        let socket: { close(): void } | undefined;
        const settle = (outcome: ExecOutcome): void => {
          if (isSettled) return;
          isSettled = true;
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onAbort);
          socket?.close();
          resolve(outcome);
        };
        const timer = setTimeout(() => settle({ kind: 'failed', reason: `exec did not finish within ${request.timeoutMs} ms` }), request.timeoutMs);
        const onAbort = (): void => settle({ kind: 'failed', reason: 'aborted' });
        request.signal?.addEventListener('abort', onAbort, { once: true });
        exec
          .exec(request.namespace, request.pod, request.container, [...request.command], stdout.stream, stderr.stream, null, false, (status) => {
            const exitCode = readExitCode(status);
            if (exitCode === undefined) settle({ kind: 'failed', reason: `exec status ${status.status ?? '?'}: ${status.message ?? status.reason ?? 'no exit code'}` });
            else settle({ kind: 'completed', exitCode, stdout: stdout.text(), stderr: stderr.text() });
          })
          .then((ws) => {
            socket = ws;
            if (isSettled) ws.close();
            // A socket that closes without a status frame is an infrastructure failure, not a probe result.
            ws.on('close', () => settle({ kind: 'failed', reason: 'exec websocket closed without an exit status' }));
            ws.on('error', (error: Error) => settle({ kind: 'failed', reason: `exec websocket error: ${error.message}` }));
          })
          .catch((error: unknown) => settle({ kind: 'failed', reason: `exec into ${request.namespace}/${request.pod} failed: ${error instanceof Error ? error.message : String(error)}` }));
      });
    },
  };
}
