// The passphrase that encrypts secrets (the kubeconfig) in the file state backend. Taken from
// PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE when set; otherwise rehearsal makes one on first use
// and keeps it at <REHEARSAL_HOME>/pulumi/passphrase (mode 0600), so stacks stay readable across restarts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SandboxError, SandboxErrorCodes } from '../contract.ts';

export function formatPassphrasePath(home: string): string {
  return join(home, 'pulumi', 'passphrase');
}

export async function resolvePassphrase(options: { readonly home: string; readonly env: Readonly<Record<string, string | undefined>> }): Promise<string> {
  const fromEnv = options.env['PULUMI_CONFIG_PASSPHRASE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const fromFile = options.env['PULUMI_CONFIG_PASSPHRASE_FILE'];
  const file = fromFile !== undefined && fromFile !== '' ? fromFile : formatPassphrasePath(options.home);
  try {
    const text = (await readFile(file, 'utf8')).trim();
    if (text !== '') return text;
  } catch (error) {
    const isMissing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
    if (!isMissing || fromFile !== undefined) {
      throw new SandboxError(SandboxErrorCodes.hostUnsupported, `cannot read the Pulumi passphrase file ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  const generated = randomBytes(32).toString('base64url');
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // `wx`: never overwrite a passphrase another process just wrote; reread theirs instead.
  try {
    await writeFile(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    return generated;
  } catch {
    return (await readFile(file, 'utf8')).trim();
  }
}
