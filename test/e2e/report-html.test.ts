/**
 * The HTML report in a real browser: Debian's chromium (installed with
 * apt-get when missing), driven headless through playwright-core. Every rule
 * id and the exemptions section must be on the page, and the first screen is
 * saved to test-output/report-first-screen.png for a person to look at.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { PolicyRegistry } from '../../src/admission/registry.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { PolicyConfig } from '../../src/config/types.js';
import { DEFAULT_POLICY_FILE, PACKAGE_ROOT } from '../../src/paths.js';
import { builtinPolicies } from '../../src/policies/index.js';
import { buildReport, renderHtml } from '../../src/report/report.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(PACKAGE_ROOT, 'test-output', 'report-first-screen.png');

function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  process.stderr.write('[report-html] chromium missing: apt-get install chromium (once)\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  spawnSync('apt-get', [...lock, 'update'], { stdio: 'inherit', env });
  const r = spawnSync('apt-get', [...lock, 'install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
  assert.equal(r.status, 0, 'apt-get install chromium');
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} after install`);
}

describe('the HTML report in headless Chromium', () => {
  let browser: BrowserContext | undefined;
  let profile = '';
  let dir = '';
  let ruleIds: string[] = [];
  let file = '';
  before(
    async () => {
      ensureChromium();
      dir = mkdtempSync(join(tmpdir(), 'hm-report-'));
      profile = join(dir, 'profile');
      const loaded = loadConfigFile(DEFAULT_POLICY_FILE);
      assert.ok(loaded.ok);
      // An exemption with a reason and one already expired: the section must show both.
      const config = {
        ...loaded.config,
        exemptions: [
          { rule: 'ingress.nginx-risk', namespaces: ['legacy-shop'], reason: 'snippet rewrite in progress <b>not bold</b>', expires: '2099-12-31' },
          { rule: 'loadbalancer.*', namespaces: ['edge'], reason: 'old VIPs being moved', expires: '2020-01-01' },
        ],
      } as unknown as PolicyConfig;
      const registry = new PolicyRegistry(builtinPolicies());
      ruleIds = registry.policies.flatMap((p) => p.rules.map((r) => r.id));
      const rbacYaml = readFileSync(join(PACKAGE_ROOT, 'manifests', 'rbac.yaml'), 'utf8');
      file = join(dir, 'report.html');
      writeFileSync(file, renderHtml(buildReport({ registry, config, rbacYaml, now: Date.now() })));
      // A fresh profile directory (playwright passes it as --user-data-dir).
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1280, height: 800 },
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
    },
    { timeout: 15 * 60_000 },
  );
  after(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows every rule id and the exemptions section, loads nothing from outside, and is screenshotted', async () => {
    assert.ok(browser);
    const page = await browser.newPage();
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) outside.push(r.url());
    });
    await page.goto(`file://${file}`);
    const text = await page.locator('body').innerText();
    for (const id of ruleIds) assert.ok(text.includes(id), `rule ${id} on the page`);
    const exemptions = page.locator('section#exemptions');
    assert.equal(await exemptions.count(), 1);
    const ex = await exemptions.innerText();
    assert.match(ex, /What is exempt, and why/);
    assert.match(ex, /snippet rewrite in progress <b>not bold<\/b>/, 'the reason is shown as text, not markup');
    assert.match(ex, /EXPIRED/);
    assert.equal(await page.locator('section#exemptions b:text("not bold")').count(), 0);
    assert.deepEqual(outside, [], 'no request leaves the file');
    // The print stylesheet applies: the contents list is hidden on paper.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('nav').isVisible(), false);
    await page.emulateMedia({ media: 'screen' });
    mkdirSync(join(PACKAGE_ROOT, 'test-output'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    assert.ok(readFileSync(SCREENSHOT).subarray(1, 4).toString() === 'PNG');
    process.stderr.write(`[report-html] first screen: ${SCREENSHOT}\n`);
  });
});
