// Reads manifest text the way `kubectl apply -f` finds it: files, directories (recursively, .yaml/.yml/.json, sorted),
// and `-` for standard input. Every unreadable path becomes an Issue with a fix; limits keep hostile input bounded.

import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Issue, ManifestSource } from '../policy/index.ts';

export interface LoadSourcesOptions {
  /** Read for the path `-`; default process.stdin. */
  readonly stdin?: NodeJS.ReadableStream;
  readonly maxFileBytes?: number;
  readonly maxTotalBytes?: number;
  readonly maxFiles?: number;
}

export interface LoadSourcesResult {
  readonly sources: ManifestSource[];
  readonly issues: Issue[];
}

export const loadSourceLimits = { maxFileBytes: 5 * 1024 * 1024, maxTotalBytes: 50 * 1024 * 1024, maxFiles: 2000 } as const;

const manifestExtensions = ['.yaml', '.yml', '.json'];
const stdinName = '<stdin>';

interface LoadState {
  readonly sources: ManifestSource[];
  readonly issues: Issue[];
  readonly limits: { maxFileBytes: number; maxTotalBytes: number; maxFiles: number };
  readonly visitedDirectories: Set<string>;
  totalBytes: number;
  fileCount: number;
  isStopped: boolean;
  hasReadStdin: boolean;
}

function report(state: LoadState, input: { code: string; file: string; message: string; fix: string; severity?: Issue['severity'] }): void {
  state.issues.push({ code: input.code, severity: input.severity ?? 'error', file: input.file, line: 0, path: '', message: input.message, fix: input.fix });
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeText(state: LoadState, file: string, bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    report(state, { code: 'source-not-utf8', file, message: `${file} is not UTF-8 text`, fix: 'save the file as UTF-8 (YAML and JSON manifests are UTF-8)' });
    return undefined;
  }
}

/** Counts a file against the limits; false (with an issue) when it must not be read. */
function admitFile(state: LoadState, file: string, sizeBytes: number): boolean {
  if (state.fileCount >= state.limits.maxFiles) {
    report(state, { code: 'too-many-files', file, message: `more than ${state.limits.maxFiles} files; ${file} and the rest were not read`, fix: 'point at the directory that holds only the manifests you mean' });
    state.isStopped = true;
    return false;
  }
  if (sizeBytes > state.limits.maxFileBytes) {
    report(state, { code: 'source-too-large', file, message: `${file} is ${sizeBytes} bytes, over the ${state.limits.maxFileBytes}-byte limit per file; it was not read`, fix: 'split the file, or leave generated bulk (CRDs, charts) out' });
    return false;
  }
  if (state.totalBytes + sizeBytes > state.limits.maxTotalBytes) {
    report(state, { code: 'sources-too-large', file, message: `reading ${file} would pass the ${state.limits.maxTotalBytes}-byte total limit; it and the rest were not read`, fix: 'pass fewer or smaller files' });
    state.isStopped = true;
    return false;
  }
  state.fileCount++;
  state.totalBytes += sizeBytes;
  return true;
}

async function readOneFile(state: LoadState, file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!admitFile(state, file, info.size)) return;
    const bytes = await readFile(file);
    // The size may have changed since stat; hold the limit on what was actually read.
    if (bytes.byteLength > state.limits.maxFileBytes) {
      report(state, { code: 'source-too-large', file, message: `${file} grew past the per-file limit while being read`, fix: 'pass a file that is not being written to' });
      return;
    }
    const text = decodeText(state, file, bytes);
    if (text !== undefined) state.sources.push({ file, text });
  } catch (error) {
    const code = errorCode(error);
    report(state, {
      code: 'source-unreadable',
      file,
      message: `cannot read ${file}: ${describeError(error)}`,
      fix: code === 'EACCES' || code === 'EPERM' ? 'make the file readable for the user running rehearsal' : 'check that the path is a readable file',
    });
  }
}

async function readDirectory(state: LoadState, directory: string): Promise<void> {
  let real: string;
  try {
    real = await realpath(directory);
  } catch (error) {
    report(state, { code: 'source-unreadable', file: directory, message: `cannot resolve ${directory}: ${describeError(error)}`, fix: 'check the directory and its symbolic links' });
    return;
  }
  if (state.visitedDirectories.has(real)) {
    // A symbolic link back into a directory already read: reading it again would loop forever.
    report(state, { code: 'symlink-loop', severity: 'warning', file: directory, message: `${directory} leads back to ${real}, which was already read; skipped`, fix: 'remove the symbolic link loop, or ignore this warning' });
    return;
  }
  state.visitedDirectories.add(real);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    report(state, { code: 'source-unreadable', file: directory, message: `cannot list ${directory}: ${describeError(error)}`, fix: 'make the directory readable for the user running rehearsal' });
    return;
  }
  names.sort();
  for (const name of names) {
    if (state.isStopped) return;
    const path = join(directory, name);
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      const isDangling = errorCode(error) === 'ENOENT' && (await lstat(path).then((info) => info.isSymbolicLink(), () => false));
      report(state, {
        code: 'source-unreadable',
        severity: 'warning',
        file: path,
        message: isDangling ? `${path} is a symbolic link to nothing; skipped` : `cannot read ${path}: ${describeError(error)}; skipped`,
        fix: isDangling ? 'remove the dangling link' : 'make it readable or remove it',
      });
      continue;
    }
    if (isDirectory) await readDirectory(state, path);
    else if (manifestExtensions.some((ext) => name.toLowerCase().endsWith(ext))) await readOneFile(state, path);
  }
}

async function readStdin(state: LoadState, stream: NodeJS.ReadableStream): Promise<void> {
  if (state.hasReadStdin) {
    report(state, { code: 'stdin-twice', file: stdinName, message: '- (standard input) was given more than once', fix: 'pass - once' });
    return;
  }
  state.hasReadStdin = true;
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      size += bytes.byteLength;
      if (size > state.limits.maxFileBytes) {
        report(state, { code: 'source-too-large', file: stdinName, message: `standard input is over the ${state.limits.maxFileBytes}-byte limit; it was not read`, fix: 'pipe less, or write the manifests to files' });
        return;
      }
      chunks.push(bytes);
    }
  } catch (error) {
    report(state, { code: 'source-unreadable', file: stdinName, message: `cannot read standard input: ${describeError(error)}`, fix: 'pipe the manifests into rehearsal, e.g. kubectl get netpol -A -o yaml | rehearse lint -f -' });
    return;
  }
  if (!admitFile(state, stdinName, size)) return;
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  const text = decodeText(state, stdinName, all);
  if (text !== undefined) state.sources.push({ file: stdinName, text });
}

export async function loadSources(paths: readonly string[], options: LoadSourcesOptions = {}): Promise<LoadSourcesResult> {
  const state: LoadState = {
    sources: [],
    issues: [],
    limits: {
      maxFileBytes: options.maxFileBytes ?? loadSourceLimits.maxFileBytes,
      maxTotalBytes: options.maxTotalBytes ?? loadSourceLimits.maxTotalBytes,
      maxFiles: options.maxFiles ?? loadSourceLimits.maxFiles,
    },
    visitedDirectories: new Set(),
    totalBytes: 0,
    fileCount: 0,
    isStopped: false,
    hasReadStdin: false,
  };
  for (const path of paths) {
    if (state.isStopped) break;
    if (path === '-') {
      await readStdin(state, options.stdin ?? process.stdin);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
      report(state, { code: 'url-not-supported', file: path, message: `${path} is a URL; rehearsal reads only local files`, fix: `download it first (curl -fsSLo manifest.yaml '${path}') and pass the file` });
      continue;
    }
    let isDirectory: boolean;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch (error) {
      const code = errorCode(error);
      report(state, {
        code: code === 'ENOENT' ? 'path-not-found' : 'source-unreadable',
        file: path,
        message: code === 'ENOENT' ? `${path} does not exist (looked in ${resolve(path)})` : `cannot read ${path}: ${describeError(error)}`,
        fix: code === 'ENOENT' ? 'check the spelling, or run from the directory the path is relative to' : 'make the path readable for the user running rehearsal',
      });
      continue;
    }
    if (isDirectory) {
      const countBefore = state.sources.length;
      await readDirectory(state, path);
      if (state.sources.length === countBefore && !state.isStopped) {
        report(state, { code: 'no-manifests', severity: 'warning', file: path, message: `${path} holds no .yaml, .yml or .json files`, fix: 'point at the directory with the manifests' });
      }
    } else {
      await readOneFile(state, path);
    }
  }
  return { sources: state.sources, issues: state.issues };
}
