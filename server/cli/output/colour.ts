// Terminal colour: on only for a TTY, off with NO_COLOR (https://no-color.org) or --no-color.

export interface Palette {
  readonly isEnabled: boolean;
  readonly bold: (text: string) => string;
  readonly dim: (text: string) => string;
  readonly red: (text: string) => string;
  readonly green: (text: string) => string;
  readonly yellow: (text: string) => string;
  readonly cyan: (text: string) => string;
}

function wrapWith(open: number, close: number): (text: string) => string {
  return (text) => `\u001b[${open}m${text}\u001b[${close}m`;
}

const identity = (text: string): string => text;

export function createPalette(isEnabled: boolean): Palette {
  if (!isEnabled) {
    return { isEnabled, bold: identity, dim: identity, red: identity, green: identity, yellow: identity, cyan: identity };
  }
  return {
    isEnabled,
    bold: wrapWith(1, 22),
    dim: wrapWith(2, 22),
    red: wrapWith(31, 39),
    green: wrapWith(32, 39),
    yellow: wrapWith(33, 39),
    cyan: wrapWith(36, 39),
  };
}

export interface ColourDecision {
  readonly isTty: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--no-color` was given. */
  readonly isDisabledByFlag: boolean;
}

/** NO_COLOR wins over everything; FORCE_COLOR turns colour on without a TTY (CI logs that render ANSI). */
export function shouldUseColour(decision: ColourDecision): boolean {
  if (decision.isDisabledByFlag) return false;
  const noColor = decision.env.NO_COLOR;
  if (noColor !== undefined && noColor !== '') return false;
  const force = decision.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0' && force !== 'false') return true;
  return decision.isTty && decision.env.TERM !== 'dumb';
}

const ansiPattern = /\u001b\[[0-9;]*m/g;

/** Width of text as the terminal shows it (ANSI colour codes take no room). */
export function measureVisibleWidth(text: string): number {
  return text.replace(ansiPattern, '').length;
}
