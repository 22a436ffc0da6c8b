// kubectl -f semantics on real temporary directories: files, sorted recursion, extensions, stdin, limits, bad paths.

import { mkdir, mkdtemp, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSources } from '../../../../server/scenario/load-sources.ts';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'rehearsal-load-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeTree(files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(root, path);
    await mkdir(join(full, '..'), { recursive: true });
    await writeFile(full, text);
  }
}

describe('loadSources', () => {
  it('reads directories recursively, sorted, only .yaml/.yml/.json', async () => {
    await writeTree({ 'b.yaml': 'b', 'a.yml': 'a', 'c.json': '{}', 'README.md': 'no', 'sub/z.yaml': 'z', 'sub/deeper/y.YAML': 'y', 'notes.txt': 'no' });
    const result = await loadSources([root]);
    expect(result.issues).toEqual([]);
    expect(result.sources.map((s) => s.file.slice(root.length + 1))).toEqual(['a.yml', 'b.yaml', 'c.json', 'sub/deeper/y.YAML', 'sub/z.yaml']);
    expect(result.sources[0]?.text).toBe('a');
  });

  it('reads an explicitly named file whatever its extension, in the order given', async () => {
    await writeTree({ 'policy.txt': 'p', 'a.yaml': 'a' });
    const result = await loadSources([join(root, 'policy.txt'), join(root, 'a.yaml')]);
    expect(result.sources.map((s) => s.text)).toEqual(['p', 'a']);
  });

  it('reads - from stdin, once', async () => {
    const result = await loadSources(['-', '-'], { stdin: Readable.from([Buffer.from('kind: Pod\n'), Buffer.from('metadata: {}\n')]) });
    expect(result.sources).toEqual([{ file: '<stdin>', text: 'kind: Pod\nmetadata: {}\n' }]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'stdin-twice' })]);
  });

  it('a missing path is an issue with a fix, and the other paths are still read', async () => {
    await writeTree({ 'a.yaml': 'a' });
    const result = await loadSources([join(root, 'nope.yaml'), join(root, 'a.yaml')]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'path-not-found', file: join(root, 'nope.yaml'), severity: 'error' })]);
    expect(result.issues[0]?.fix.length).toBeGreaterThan(0);
    expect(result.sources.map((s) => s.text)).toEqual(['a']);
  });

  it('refuses files over the per-file limit and stops at the total limit', async () => {
    await writeTree({ '1.yaml': 'x'.repeat(100), '2.yaml': 'x'.repeat(10), '3.yaml': 'x'.repeat(60), '4.yaml': 'x' });
    const result = await loadSources([root], { maxFileBytes: 80, maxTotalBytes: 50 });
    expect(result.issues.map((i) => [i.code, i.file.slice(root.length + 1)])).toEqual([
      ['source-too-large', '1.yaml'],
      ['sources-too-large', '3.yaml'],
    ]);
    expect(result.sources.map((s) => s.file.slice(root.length + 1))).toEqual(['2.yaml']);
  });

  it('stops at the total byte limit with one issue', async () => {
    await writeTree({ '1.yaml': 'x'.repeat(30), '2.yaml': 'x'.repeat(30), '3.yaml': 'x' });
    const result = await loadSources([root], { maxTotalBytes: 50 });
    expect(result.issues).toEqual([expect.objectContaining({ code: 'sources-too-large', file: join(root, '2.yaml') })]);
    expect(result.sources).toHaveLength(1);
  });

  it('stops at the file count limit', async () => {
    await writeTree({ '1.yaml': 'a', '2.yaml': 'b', '3.yaml': 'c' });
    const result = await loadSources([root], { maxFiles: 2 });
    expect(result.sources).toHaveLength(2);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'too-many-files', file: join(root, '3.yaml') })]);
  });

  it('stdin over the limit is refused', async () => {
    const result = await loadSources(['-'], { stdin: Readable.from([Buffer.alloc(100, 'x')]), maxFileBytes: 10 });
    expect(result.sources).toEqual([]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'source-too-large', file: '<stdin>' })]);
  });

  it('guards symbolic link loops and reports dangling links', async () => {
    await writeTree({ 'a/p.yaml': 'p' });
    await symlink(root, join(root, 'a', 'loop'));
    await symlink(join(root, 'missing'), join(root, 'a', 'dangling.yaml'));
    const result = await loadSources([root]);
    expect(result.sources.map((s) => s.text)).toEqual(['p']);
    expect(result.issues.map((i) => i.code).sort()).toEqual(['source-unreadable', 'symlink-loop']);
  });

  it('non-UTF-8 files are an issue', async () => {
    await writeFile(join(root, 'latin1.yaml'), Buffer.from([0x6b, 0x3a, 0x20, 0xe9, 0x0a]));
    const result = await loadSources([join(root, 'latin1.yaml')]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'source-not-utf8' })]);
  });

  it('strips a UTF-8 byte order mark', async () => {
    await writeFile(join(root, 'bom.yaml'), Buffer.from([0xef, 0xbb, 0xbf, 0x61]));
    expect((await loadSources([join(root, 'bom.yaml')])).sources[0]?.text).toBe('a');
  });

  it('URLs are not fetched', async () => {
    const result = await loadSources(['https://example.com/policy.yaml']);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'url-not-supported' })]);
  });

  it('an empty directory is a warning', async () => {
    await writeTree({ 'README.md': 'x' });
    expect((await loadSources([root])).issues).toEqual([expect.objectContaining({ code: 'no-manifests', severity: 'warning' })]);
  });

  // root reads any file whatever its mode, so the permission path can only be exercised as another user.
  it.skipIf(process.getuid?.() === 0)('an unreadable file is an issue (skipped as root: root reads mode 000 files)', async () => {
    await writeTree({ 'secret.yaml': 'x' });
    await chmod(join(root, 'secret.yaml'), 0o000);
    const result = await loadSources([join(root, 'secret.yaml')]);
    expect(result.issues).toEqual([expect.objectContaining({ code: 'source-unreadable' })]);
  });
});
