// The terminal's colours come from the page's CSS custom properties, so the light and dark themes of the
// page and the terminal cannot drift apart.
import type { ITheme } from '@xterm/xterm';

function readVariable(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const value = style.getPropertyValue(name).trim();
  return value === '' ? fallback : value;
}

export function readTerminalTheme(element: Element = document.documentElement): ITheme {
  const style = getComputedStyle(element);
  return {
    background: readVariable(style, '--term-bg', '#0f1419'),
    foreground: readVariable(style, '--term-fg', '#d8dee9'),
    cursor: readVariable(style, '--term-cursor', '#8fbcbb'),
    selectionBackground: readVariable(style, '--term-selection', '#3b4252'),
    // Probe results are green (allowed) and red (denied): keep both clearly readable on either background.
    green: readVariable(style, '--term-green', '#7fd67f'),
    brightGreen: readVariable(style, '--term-green', '#7fd67f'),
    red: readVariable(style, '--term-red', '#ff7b72'),
    brightRed: readVariable(style, '--term-red', '#ff7b72'),
    yellow: readVariable(style, '--term-yellow', '#e3c86b'),
    brightYellow: readVariable(style, '--term-yellow', '#e3c86b'),
    blue: readVariable(style, '--term-blue', '#79b8ff'),
    brightBlue: readVariable(style, '--term-blue', '#79b8ff'),
    cyan: readVariable(style, '--term-cyan', '#76e3ea'),
    brightCyan: readVariable(style, '--term-cyan', '#76e3ea'),
    magenta: readVariable(style, '--term-magenta', '#d2a8ff'),
    brightMagenta: readVariable(style, '--term-magenta', '#d2a8ff'),
    brightBlack: readVariable(style, '--term-dim', '#8b949e'),
  };
}
