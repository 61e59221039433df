// The rider's main screens in Chinese, English and Tibetan, at a cheap phone's 360×640: every label
// translated (no message key shows through), Chinese and Tibetan drawn with real fonts (the faces the page
// asked for are loaded, so no box stands in for a letter), nothing wider than the screen even at 200% text
// size, and a screenshot of each under test-output/screens/ (git ignores it) for a person to look at.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cjkFont, launchBrowser, listen, type TestBrowser } from '../support/browser.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';
import bo from '../../web/shared/locales/bo.js';
import en from '../../web/shared/locales/en.js';
import zh from '../../web/shared/locales/zh-CN.js';

const OUT = join(process.cwd(), 'test-output', 'screens');
const LANGUAGES = [
  { code: 'zh-CN', words: zh, font: 'Noto Sans SC', sample: '随手拍' },
  { code: 'en', words: en, font: null, sample: 'Report' },
  { code: 'bo', words: bo, font: 'Noto Serif Tibetan', sample: 'སྙན་ཞུ' },
] as const;
const SCREENS = [
  { name: 'report', path: '/rider/', ready: '.category' },
  { name: 'reports', path: '/rider/reports', ready: '.van-nav-bar' },
  { name: 'inbox', path: '/rider/inbox', ready: '.van-nav-bar' },
  { name: 'me', path: '/rider/me', ready: '[data-test=points] strong' },
] as const;

describe('the rider app in three languages (Chromium)', () => {
  let world: World;
  let base: string;
  let chrome: TestBrowser;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!, new Date().toISOString());
    await world.report('solang', { description: '纳金路路灯不亮' });
    base = await listen(world.app);
    chrome = await launchBrowser();
    mkdirSync(OUT, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await world?.close();
  });

  async function signedIn(browser: Browser, language: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, serviceWorkers: 'block' });
    await cjkFont(context);
    await context.addInitScript(`localStorage.setItem('gridline.language', ${JSON.stringify(language)});`);
    const page = await context.newPage();
    await page.goto(`${base}/rider/signin`);
    await page.fill('input[name=username]', 'solang');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('.category');
    return page;
  }

  for (const language of LANGUAGES) {
    it(`renders the main screens in ${language.code} with real glyphs, at 200% text too`, async () => {
      const page = await signedIn(chrome.browser, language.code);
      for (const screen of SCREENS) {
        await page.goto(`${base}${screen.path}`);
        await page.waitForSelector(screen.ready);
        await page.evaluate('document.fonts.ready');
        const text = await page.locator('body').innerText();
        // The tab bar and the screen's title in this language; no key such as "report.submit" in sight.
        for (const label of Object.values(language.words.nav)) expect(text, `${screen.name}: ${label}`).toContain(label);
        expect(text, screen.name).not.toMatch(/\b(app|nav|common|report|queue|reports|inbox|me|errors|signin|time)\.[a-zA-Z]+/);
        if (language.font) {
          const loaded = (await page.evaluate(`[...document.fonts].filter((f) => f.family.replace(/"/g, '') === ${JSON.stringify(language.font)} && f.status === 'loaded').length`)) as number;
          expect(loaded, `${screen.name}: ${language.font} faces loaded`).toBeGreaterThan(0);
          expect(await page.evaluate(`document.fonts.check('16px "${language.font}"', ${JSON.stringify(language.sample)})`)).toBe(true);
        }
        await page.screenshot({ path: join(OUT, `${language.code}-${screen.name}.png`), fullPage: true });

        await page.evaluate(`document.documentElement.style.fontSize = '200%'`);
        const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
        expect(overflow, `${screen.name} at 200%: wider than the screen by ${overflow}px`).toBeLessThanOrEqual(0);
        if (screen.name === 'report') await page.screenshot({ path: join(OUT, `${language.code}-${screen.name}-200.png`) });
      }
      await page.context().close();
    }, 60_000);
  }

  it('lists the languages in their own names and switches at once', async () => {
    const page = await signedIn(chrome.browser, 'zh-CN');
    await page.goto(`${base}/rider/me`);
    await page.waitForSelector('[data-test=points] strong');
    for (const name of ['中文', 'བོད་ཡིག', 'English']) await expect.poll(() => page.getByRole('button', { name }).count()).toBe(1);
    await page.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => page.locator('.van-nav-bar__title').innerText()).toBe(en.me.title);
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await page.context().close();
  }, 60_000);
});
