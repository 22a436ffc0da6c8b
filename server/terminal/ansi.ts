// The ANSI escape sequences the terminal writes (xterm.js understands every one), and colour helpers. Pure.

export const ESC = '\x1b';
export const CSI = `${ESC}[`;

export const Ansi = {
  reset: `${CSI}0m`,
  clearToEndOfScreen: `${CSI}J`,
  clearLine: `${CSI}2K`,
  clearScreen: `${CSI}H${CSI}2J`,
  carriageReturn: '\r',
  newline: '\r\n',
  bell: '\x07',
} as const;

export function cursorUp(rows: number): string {
  return rows > 0 ? `${CSI}${rows}A` : '';
}

export function cursorForward(columns: number): string {
  return columns > 0 ? `${CSI}${columns}C` : '';
}

const sgr = (code: string) => (text: string): string => `${CSI}${code}m${text}${CSI}0m`;

export const colour = {
  bold: sgr('1'),
  dim: sgr('2'),
  red: sgr('31'),
  green: sgr('32'),
  yellow: sgr('33'),
  blue: sgr('34'),
  magenta: sgr('35'),
  cyan: sgr('36'),
  grey: sgr('90'),
  inverseRed: sgr('1;41;97'),
} as const;

// CSI ... final byte, OSC ... BEL/ST, and two-byte escapes.
const ansiPattern = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ansiPattern, '');
}

/** Columns the text takes on screen: code points, escapes excluded (wide characters count as one). */
export function measureColumns(text: string): number {
  let count = 0;
  for (const _ of stripAnsi(text)) count += 1;
  return count;
}

/** Terminal output needs CR LF: xterm.js moves down on LF without returning to column 0. */
export function toTerminalLines(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}
