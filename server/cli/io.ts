// What a command may touch of the outside world: two output streams, stdin, env, cwd and colour.
// Commands write through this, never to `process` directly, so tests can run them in-process.
import type { Palette } from './output/colour.ts';
import { createPalette, shouldUseColour } from './output/colour.ts';

export interface OutputStream {
  write(text: string): void;
  readonly isTty: boolean;
  /** Terminal width in columns when known. */
  readonly columns?: number;
  readonly colour: Palette;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export interface ProcessIoOptions {
  readonly isColourDisabledByFlag: boolean;
}

export function createProcessIo(options: ProcessIoOptions): CliIo {
  const makeStream = (stream: NodeJS.WriteStream): OutputStream => {
    const isTty = stream.isTTY === true;
    return {
      write: (text) => {
        stream.write(text);
      },
      isTty,
      ...(isTty && typeof stream.columns === 'number' ? { columns: stream.columns } : {}),
      colour: createPalette(shouldUseColour({ isTty, env: process.env, isDisabledByFlag: options.isColourDisabledByFlag })),
    };
  };
  return {
    stdout: makeStream(process.stdout),
    stderr: makeStream(process.stderr),
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}
