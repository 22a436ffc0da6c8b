// Debian's Chromium driven by playwright-core, with every console error and uncaught page error recorded, so a
// test can assert the page stayed clean while a person used it.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { browserPath } from '../../helpers/env.ts';

export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
] as const;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: browserPath, args: [...chromiumArgs] });
}

export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors and uncaught exceptions, in order, with where they came from. */
  readonly errors: string[];
}

export async function openWatchedPage(browser: Browser, options: { readonly width: number; readonly height: number }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: options.width, height: options.height }, colorScheme: 'light', reducedMotion: 'reduce' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console.error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return { context, page, errors };
}
