// The web UI end to end, as a person uses it: Debian's Chromium against a real `rehearse serve` on the local
// provider (real network namespaces and nftables, so root). Launch three-tier, see it ready, read the matrix,
// apply a policy from the editor, watch a denied probe stream into the terminal with the deciding policy, read a
// cell's explanation, reload and find everything again, compare CNIs, and see a short-TTL sandbox expire and go.
// Assertions are on what a user sees (text, roles, accessible names), never on pixels; screenshots of the main
// screens go to docs/screenshots/ for the README and docs/ui.md.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunBrowser, canRunPrivileged } from '../helpers/env.ts';
import { launchChromium, openWatchedPage, type WatchedPage } from './helpers/browser.ts';
import { repoRoot, startServe, type ServeProcess } from './helpers/serve-process.ts';

const screenshotDir = join(repoRoot, 'docs', 'screenshots');
const viewport = { width: 1440, height: 900 };
const uiTimeoutMs = 30_000;

/** The `api` policy of three-tier with its ingress port moved from 8080 to 9090: web can no longer reach api. */
const apiPolicyOn9090 = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: storefront
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: api
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: web
      ports:
        - protocol: TCP
          port: 9090
  egress:
    - to:
        - podSelector:
            matchLabels:
              app.kubernetes.io/name: postgresql
              app.kubernetes.io/instance: db
      ports:
        - protocol: TCP
          port: 5432
`;

/** The same policy with a typo on line 7 (`podSelecter`): the editor must mark that line. */
const apiPolicyWithTypo = apiPolicyOn9090.replace('  podSelector:\n', '  podSelecter:\n');

const canRun = canRunBrowser() && canRunPrivileged();

describe.runIf(canRun)('web UI against a real rehearse serve (local provider)', () => {
  let serve: ServeProcess;
  let browser: Browser;
  let watched: WatchedPage;
  let page: Page;
  let firstSandboxId = '';

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: join(screenshotDir, `${name}.png`) });
  }

  async function launch(options: { readonly scenario: string; readonly cni?: string; readonly ttl: string }): Promise<string> {
    await page.getByRole('link', { name: 'New sandbox' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Launch a sandbox' }).isVisible(), { timeout: uiTimeoutMs }).toBe(true);
    await page.getByLabel('Scenario').selectOption(options.scenario);
    if (options.cni !== undefined) await page.getByLabel('CNI').selectOption(options.cni);
    await page.getByLabel('Time to live').fill(options.ttl);
    await page.getByRole('button', { name: 'Launch sandbox' }).click();
    await page.waitForURL(/#\/sandboxes\/sb-[0-9a-f]{8}$/, { timeout: uiTimeoutMs });
    const id = /sb-[0-9a-f]{8}/.exec(page.url())?.[0];
    if (id === undefined) throw new Error(`no sandbox id in ${page.url()}`);
    return id;
  }

  async function waitUntilReady(sandboxId: string): Promise<void> {
    const header = page.locator('.workspace-header');
    await header.getByText('ready', { exact: true }).waitFor({ timeout: 90_000 });
    await expect.poll(() => page.getByRole('heading', { level: 1 }).innerText()).toBe(sandboxId);
  }

  async function typeIntoTerminal(text: string): Promise<void> {
    await page.locator('.terminal-host').click();
    await page.keyboard.type(text);
  }

  function terminalText(): Promise<string> {
    return page.locator('.terminal-host .xterm-rows').innerText();
  }

  async function replaceEditorText(text: string): Promise<void> {
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+a');
    await page.keyboard.insertText(text);
  }

  beforeAll(async () => {
    await mkdir(screenshotDir, { recursive: true });
    serve = await startServe();
    browser = await launchChromium();
    watched = await openWatchedPage(browser, viewport);
    page = watched.page;
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('offers the launch form: providers (unavailable ones disabled, with the reason), CNIs, TTL and scenarios', async () => {
    await page.goto(`${serve.origin}/`);
    await page.getByRole('heading', { name: 'Launch a sandbox' }).waitFor({ timeout: uiTimeoutMs });
    await page.getByText('No live sandboxes. Launch one to start.').waitFor({ timeout: uiTimeoutMs });
    const provider = page.getByLabel('Provider');
    // The server checks the host for every provider; the form says so until the answer is in.
    await expect.poll(() => provider.inputValue(), { timeout: uiTimeoutMs }).toBe('local');
    // Without Docker, Pulumi or a kubeconfig the real-cluster providers are there, disabled, with a reason.
    expect(await provider.locator('option[value="kind"]').isDisabled()).toBe(true);
    expect(await page.getByText(/Unavailable here: .*kind/).isVisible()).toBe(true);
    expect(await page.getByLabel('CNI').locator('option').allInnerTexts()).toEqual(expect.arrayContaining(['reference', 'calico', 'cilium', 'flannel']));
    await page.getByLabel('Scenario').selectOption('three-tier');
    await page.getByText('Three-tier app (web, api, db) with a default deny', { exact: true }).waitFor();
    await page.getByText(/pods · \d+ policies · \d+ expectations/).waitFor();
    await page.getByLabel('Time to live').fill('2 days');
    expect(await page.getByText('Time to live: write a duration like 30m, 2h, 90s or 1h30m.').isVisible()).toBe(true);
    await page.getByLabel('Time to live').fill('15m');
    await screenshot('launch');
  });

  it('launches three-tier and shows it provisioning, then ready, with its steps', async () => {
    await page.getByRole('button', { name: 'Launch sandbox' }).click();
    await page.waitForURL(/#\/sandboxes\/sb-[0-9a-f]{8}$/, { timeout: uiTimeoutMs });
    firstSandboxId = /sb-[0-9a-f]{8}/.exec(page.url())?.[0] ?? '';
    // Provisioning a local sandbox takes a second or two: catch the progress screen for the docs if we can.
    const progress = page.getByRole('progressbar', { name: 'Provisioning progress' });
    if (await progress.isVisible()) {
      await page.locator('.progress-step').first().waitFor({ timeout: 1500 }).catch(() => undefined);
      if (await progress.isVisible()) await screenshot('provisioning');
    }
    await waitUntilReady(firstSandboxId);
    const item = page.locator(`.sandbox-item[data-sandbox-id="${firstSandboxId}"]`);
    expect(await item.innerText()).toMatch(/local · reference · three-tier[\s\S]*ready[\s\S]*1[45]:\d\d/);
    await page.getByRole('tab', { name: 'Overview' }).click();
    const log = page.getByText(/Provisioning log \(\d+ steps\)/);
    await log.click();
    for (const step of ['namespaces', 'pods', 'readiness']) await page.locator('.provisioning-log li', { hasText: `${step}:` }).first().waitFor();
    expect(await page.getByRole('table', { name: /Pods \(9/ }).isVisible()).toBe(true);
    // Extend from the header: the countdown moves on by 15 minutes and a notice confirms it.
    await page.getByRole('button', { name: `Extend ${firstSandboxId} by 15m` }).first().click();
    await page.getByText(`${firstSandboxId} (three-tier, reference) extended by 15m.`).waitFor({ timeout: uiTimeoutMs });
    await expect.poll(() => page.locator('.countdown-large').innerText(), { timeout: uiTimeoutMs }).toMatch(/^(29|30):\d\d$/);
  });

  it('shows the connectivity matrix, grouped by namespace, readable without colour', async () => {
    await page.getByRole('tab', { name: 'Matrix' }).click();
    const matrix = page.getByRole('table', { name: /Connectivity on 8080\/TCP, prediction view/ });
    await matrix.waitFor({ timeout: uiTimeoutMs });
    expect(await matrix.getByRole('rowheader', { name: 'storefront', exact: true }).isVisible()).toBe(true);
    expect(await matrix.getByRole('columnheader', { name: 'ingress-nginx', exact: true }).isVisible()).toBe(true);
    const webToApi = page.getByRole('button', { name: /^storefront\/web-0 to storefront\/api-0 on 8080\/TCP \(http\): prediction allowed$/ });
    expect(await webToApi.innerText()).toBe('✓');
    const apiToWeb = page.getByRole('button', { name: /^storefront\/api-0 to storefront\/web-0 on 8080\/TCP \(http\): prediction denied$/ });
    expect(await apiToWeb.innerText()).toBe('✗');
    await page.getByRole('radio', { name: 'Intent' }).check();
    expect(await page.getByRole('button', { name: /^storefront\/web-0 to storefront\/api-0 on 8080\/TCP \(http\): intent allowed$/ }).isVisible()).toBe(true);
    await page.getByRole('radio', { name: 'Prediction' }).check();
    expect(await page.getByRole('list', { name: 'Legend' }).innerText()).toContain('✗ denied');
    await screenshot('matrix');
    // Keyboard: arrows move between cells, Enter explains, Escape closes and gives focus back to the cell.
    await webToApi.focus();
    await page.keyboard.press('ArrowDown');
    const focusedName = (): Promise<string | null> => page.locator(':focus').getAttribute('aria-label');
    expect(await focusedName()).toMatch(/^storefront\/web-1 to storefront\/api-0 on 8080\/TCP/);
    await page.keyboard.press('Enter');
    const panel = page.getByRole('complementary', { name: 'Why this verdict' });
    await panel.getByText('storefront/web-1 → storefront/api-0 · 8080/TCP (http)').waitFor({ timeout: uiTimeoutMs });
    await panel.getByRole('button', { name: 'Close the explanation' }).press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(await focusedName()).toMatch(/^storefront\/web-1 to storefront\/api-0 on 8080\/TCP/);
  });

  it('marks a YAML mistake at its line as you type, shows the effect against what is applied, and applies', async () => {
    await page.getByRole('tab', { name: 'Policies' }).click();
    await page.locator('.cm-content').waitFor({ timeout: uiTimeoutMs });
    // CodeMirror renders the lines in view only: the first policy of the applied set is there.
    await expect.poll(() => page.locator('.cm-content').innerText(), { timeout: uiTimeoutMs }).toContain('name: allow-dns-egress');
    await page.getByLabel('Apply as').selectOption('merge');
    await replaceEditorText(apiPolicyWithTypo);
    // Line 7 holds the typo: the server's finding lands there, underlined, and in the findings list.
    await page.locator('.cm-line').nth(6).locator('.cm-lintRange-error').waitFor({ timeout: uiTimeoutMs });
    expect(await page.locator('.cm-line').nth(6).innerText()).toContain('podSelecter');
    await page.getByText('unknown field "podSelecter" in spec', { exact: false }).first().waitFor();
    expect(await page.getByRole('button', { name: 'Go to line 7' }).isVisible()).toBe(true);
    expect(await page.getByText(/Cannot be applied: \d+ errors? to fix first/).isVisible()).toBe(true);

    await replaceEditorText(apiPolicyOn9090);
    await page.getByText('This change newly denies 6 flows.').waitFor({ timeout: uiTimeoutMs });
    expect(await page.locator('.flow-change-list li').count()).toBe(6);
    expect(await page.locator('.flow-change-list').innerText()).toContain('storefront/web-0 → storefront/api-0 8080/TCP');
    expect(await page.locator('.cm-lintRange-error').count()).toBe(0);
    await screenshot('policies');

    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByText(/Policies applied: .*newly denies 6 flows/).waitFor({ timeout: uiTimeoutMs });
  });

  it('streams a denied probe into the terminal with the deciding policy, and explains the cell', async () => {
    await expect.poll(() => page.locator('.terminal-status').innerText(), { timeout: uiTimeoutMs }).toBe('connected');
    await typeIntoTerminal('watch\r');
    await expect.poll(terminalText, { timeout: uiTimeoutMs }).toContain('watching every probe result');

    await page.getByRole('tab', { name: 'Matrix' }).click();
    const cell = page.getByRole('button', { name: /^storefront\/web-0 to storefront\/api-0 on 8080\/TCP \(http\): prediction denied/ });
    await cell.waitFor({ timeout: uiTimeoutMs });
    await cell.click();
    const panel = page.getByRole('complementary', { name: 'Why this verdict' });
    await panel.waitFor();
    await panel.getByText('Ingress at the destination').waitFor({ timeout: uiTimeoutMs });
    const explanation = await panel.innerText();
    expect(explanation).toContain('storefront/web-0 → storefront/api-0');
    expect(explanation).toMatch(/Intent\s*✓ allowed/);
    expect(explanation).toMatch(/Prediction\s*✗ denied/);
    expect(explanation).toContain('Intent and prediction differ');
    expect(explanation).toContain('isolated by storefront/api, storefront/default-deny-all; no rule admits 8080/TCP from storefront/web-0');
    expect(explanation).toMatch(/NEAR MISS\s*closest: storefront\/api spec\.ingress\[0\] matches peer storefront\/web-0 but port spec\.ingress\[0\]\.ports\[0\] allows 9090\/TCP, not 8080\/TCP/i);

    await panel.getByRole('button', { name: 'Probe now' }).click();
    await panel.getByText(/observed denied in \d+ ms/).waitFor({ timeout: uiTimeoutMs });
    // The same probe, streamed line by line into the terminal by `watch`: denied, with the deciding policies.
    await expect.poll(terminalText, { timeout: uiTimeoutMs }).toMatch(/denied\s+storefront\/web-0 → storefront\/api-0 8080\/TCP/);
    expect(await terminalText()).toContain('isolated by storefront/api, storefront/default-deny-all');
    // The fresh observation is in the grid too.
    await page.getByRole('radio', { name: 'Observation' }).check();
    expect(await page.getByRole('button', { name: /^storefront\/web-0 to storefront\/api-0 on 8080\/TCP \(http\): observation denied/ }).innerText()).toBe('✗');
    // The top of the grid and of the explanation make the picture: scroll both there for the screenshot.
    await page.locator('.matrix-main').evaluate((element) => element.scrollTo(0, 0));
    await panel.evaluate((element) => element.scrollTo(0, 0));
    await screenshot('explain');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot('explain-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    // On a wide monitor the terminal docks beside the workspace instead of below it.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await expect.poll(() => page.getByRole('separator', { name: 'Resize the terminal' }).getAttribute('aria-orientation')).toBe('vertical');
    await screenshot('wide');
    await page.setViewportSize(viewport);
    await expect.poll(() => page.getByRole('separator', { name: 'Resize the terminal' }).getAttribute('aria-orientation')).toBe('horizontal');
  });

  it('restores everything from the server after a reload', async () => {
    await page.reload();
    await waitUntilReady(firstSandboxId);
    expect(await page.locator(`.sandbox-item[data-sandbox-id="${firstSandboxId}"]`).isVisible()).toBe(true);
    await page.getByRole('button', { name: /^storefront\/web-0 to storefront\/api-0 on 8080\/TCP \(http\): prediction denied/ }).waitFor({ timeout: uiTimeoutMs });
    await page.getByRole('tab', { name: 'Policies' }).click();
    // The editor holds the server's applied set (the edited api policy included, as the prediction above shows).
    await page.getByText('This is what is applied: no flow changes.').waitFor({ timeout: uiTimeoutMs });
    expect(await page.getByText('Matches the applied policies').isVisible()).toBe(true);
    // The terminal reconnects and replays its recent history, probe line included.
    await expect.poll(terminalText, { timeout: uiTimeoutMs }).toContain('storefront/web-0 → storefront/api-0 8080/TCP');
  });

  it('shows drift between CNIs: which flows differ and why', async () => {
    const reference = await launch({ scenario: 'cni-drift', cni: 'reference', ttl: '10m' });
    await waitUntilReady(reference);
    await page.getByRole('button', { name: 'Run expectations' }).click();
    await page.getByText(/expectations run run-[0-9a-f]{12} (passed|failed)/).waitFor({ timeout: 120_000 });
    const flannel = await launch({ scenario: 'cni-drift', cni: 'flannel', ttl: '10m' });
    await waitUntilReady(flannel);
    await page.getByRole('button', { name: 'Run expectations' }).click();
    await page.getByText(/expectations run run-[0-9a-f]{12} (passed|failed)/).nth(1).waitFor({ timeout: 120_000 });

    await page.getByRole('link', { name: 'Drift', exact: true }).click();
    await page.getByRole('heading', { name: 'Drift across CNIs' }).waitFor();
    const status = page.getByText(/\d+ of \d+ flows differ between flannel and reference/);
    await status.waitFor({ timeout: uiTimeoutMs });
    expect(await status.innerText()).not.toMatch(/^0 of/);
    const table = page.getByRole('table', { name: /Flows by CNI/ });
    expect(await table.getByRole('columnheader').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining('flannel'), expect.stringContaining('reference')]));
    expect(await table.innerText()).toContain('profile flannel differs from the API reference');
    expect(await table.innerText()).toContain('documented CNI difference');
    await screenshot('drift');
    // Destroy asks twice, then the sandbox leaves the list with a notice.
    const destroy = page.getByRole('button', { name: `Destroy ${flannel}` });
    await destroy.click();
    await page.getByRole('button', { name: `Confirm: destroy ${flannel} now` }).click();
    await page.locator(`.sandbox-item[data-sandbox-id="${flannel}"]`).waitFor({ state: 'detached', timeout: uiTimeoutMs });
    await page.getByText(`${flannel} (cni-drift, flannel) was torn down`).waitFor({ timeout: uiTimeoutMs });
  });

  it('lets a short TTL expire: the sandbox disappears with a notice', async () => {
    const shortLived = await launch({ scenario: 'default-deny-ingress', ttl: '20s' });
    await waitUntilReady(shortLived);
    const item = page.locator(`.sandbox-item[data-sandbox-id="${shortLived}"]`);
    expect(await item.isVisible()).toBe(true);
    await page.getByRole('heading', { name: 'This sandbox is gone' }).waitFor({ timeout: 90_000 });
    await item.waitFor({ state: 'detached', timeout: uiTimeoutMs });
    const notice = page.getByRole('status').filter({ hasText: `${shortLived} (default-deny-ingress, reference) was torn down` });
    expect(await notice.innerText()).toMatch(/was torn down: expired after/);
    await screenshot('expired');
    // The other sandboxes are untouched.
    expect(await page.locator(`.sandbox-item[data-sandbox-id="${firstSandboxId}"]`).isVisible()).toBe(true);
  });

  it('kept the console clean the whole time', () => {
    expect(watched.errors).toEqual([]);
  });
});
