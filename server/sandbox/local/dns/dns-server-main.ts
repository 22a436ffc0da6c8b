// Entry point of the sandbox's DNS process: `node dns-server-main.ts --records <file.json> --listen <ip> [--port 53]`,
// run by the local provider inside the kube-dns pod's netns. Prints READY once bound; SIGHUP reloads; SIGTERM exits.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DnsServer } from './dns-server.ts';
import { parseDnsRecords } from './dns-records.ts';
import type { DnsRecords } from './dns-records.ts';

function fail(message: string): never {
  process.stderr.write(`dns: ${message}\n`);
  process.exit(2);
}

async function loadRecords(path: string): Promise<DnsRecords> {
  const text = await readFile(path, 'utf8');
  const parsed = parseDnsRecords(text);
  if (!parsed.ok) throw new Error(`${path} is not a valid records file: ${parsed.problem}`);
  return parsed.records;
}

async function main(): Promise<void> {
  let values: { records?: string | undefined; listen?: string | undefined; port?: string | undefined };
  try {
    ({ values } = parseArgs({
      options: { records: { type: 'string' }, listen: { type: 'string' }, port: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\nusage: dns-server-main.ts --records <file.json> --listen <ip> [--port 53]`);
  }
  const recordsPath = values.records ?? fail('--records <file.json> is required');
  const listenIp = values.listen ?? fail('--listen <ip> is required');
  const portText = values.port ?? '53';
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) fail(`--port must be 0..65535, got ${portText}`);

  let records: DnsRecords;
  try {
    records = await loadRecords(recordsPath);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  let server: DnsServer;
  try {
    server = await DnsServer.start({
      listenIp,
      port: Number(portText),
      records,
      onError: (error) => process.stderr.write(`dns: ${error.message}\n`),
    });
  } catch (error) {
    fail(`cannot listen on ${listenIp}:${portText}: ${error instanceof Error ? error.message : String(error)}`);
  }

  // Reloads queue behind each other so an older file never overwrites a newer one.
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      try {
        server.setRecords(await loadRecords(recordsPath));
        process.stdout.write('RELOADED\n');
      } catch (error) {
        // The old records stay in service: a broken file must not take the sandbox's DNS down.
        process.stderr.write(`dns: reload failed, keeping the previous records: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    });
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`READY ${listenIp}:${server.port}\n`);
}

await main();
