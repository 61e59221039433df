// The rider's app in a real Chromium against a real Gridline server: sign in, lose the signal, take a photo
// (a real JPEG through the file chooser) where the phone says it is, submit, reload while still offline and
// find the report still on the phone, get the signal back and see it sent: exactly one case on the server.
// Then the case goes round the loop through the API and the rider sees each step, the inbox message and,
// once it is closed, rates it.

import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { cjkFont, launchBrowser, launchPersistent, listen, type TestBrowser } from '../support/browser.js';
import { act, countCases } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { handMadeMovie } from '../support/media.js';
import { NO_MEDIA_TOOLS } from '../../src/media/process.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';

const SQLITE = DIALECTS[0]!;

/** A phone photo: 4000×3000 stored sideways, with the detail a camera gives (noise), so shrinking it has work to do. */
async function phonePhoto(): Promise<Buffer> {
  const width = 4000;
  const height = 3000;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let i = 0; i < pixels.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    pixels[i] = (i % 3 === 0 ? 150 : 90) + (seed % 60);
  }
  // Held sideways, as phones store a portrait photo: landscape pixels with EXIF orientation 6 (turn 90°).
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
}

/** Opened signed out, the app asks to sign in; signed in, it shows the report screen. */
async function signIn(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/rider/`);
  await page.waitForURL(/\/rider\/signin/);
  await page.fill('input[name=username]', 'solang');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForSelector('.category');
}

/** On the report screen: a tap starts a voice note from the (fake) microphone, a tap two seconds later keeps it. */
async function recordVoiceNote(page: Page, base: string): Promise<void> {
  await page.goto(`${base}/rider/`);
  await page.waitForSelector('.category');
  await page.click('[data-test=voice]');
  await expect.poll(() => page.locator('[data-test=voice]').getAttribute('aria-pressed')).toBe('true');
  await page.waitForTimeout(2_500);
  await page.click('[data-test=voice]');
  await page.waitForSelector('.thumb audio');
}

describe('the rider app (Chromium)', () => {
  let world: World;
  let base: string;
  let chrome: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const foreign: string[] = [];

  beforeAll(async () => {
    // The world's clock starts now: the browser's own clock reads the session's expiry.
    // No ffmpeg for the hand-made movie (which has no frames to decode), on every machine alike.
    world = await buildWorld(SQLITE, new Date().toISOString(), { media: { tools: NO_MEDIA_TOOLS } });
    base = await listen(world.app);
    chrome = await launchBrowser();
    context = await chrome.browser.newContext({
      viewport: { width: 360, height: 640 },
      userAgent: 'Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/143.0.0.0 Mobile Safari/537.36',
      locale: 'zh-CN',
      permissions: ['geolocation', 'microphone'],
      geolocation: { latitude: world.najinPoint.lat, longitude: world.najinPoint.lon, accuracy: 15 },
    });
    await cjkFont(context);
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Nothing leaves for another site (no CDN font, no tiles unless configured, no analytics).
    page.on('request', (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) foreign.push(request.url());
    });
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await world?.close();
  });

  const queueRow = () => page.locator('[data-test=queue] [data-status]');

  it('signs in once, keeps a report made offline through a reload, and sends it exactly once when the signal returns', async () => {
    await signIn(page, base);
    // Signed in once on this phone: a device session named after it, for 180 days.
    const sessions = await world.services.auth.sessionsOf(await world.as('admin'), world.users.get('solang')!.id);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.device).toBe('Redmi Note 12');
    expect(Date.parse(sessions[0]!.expiresAt) - Date.parse(sessions[0]!.createdAt)).toBe(180 * 86_400_000);
    // The service worker has the app's shell before the signal goes.
    await page.waitForFunction(`navigator.serviceWorker.getRegistration('/rider/').then((r) => Boolean(r && r.active))`, null, { timeout: 15_000 });
    const casesBefore = await countCases(world.database);

    await context.setOffline(true);
    const original = await phonePhoto();
    await page.setInputFiles('[data-test=take-photo] input', { name: 'IMG_0001.jpg', mimeType: 'image/jpeg', buffer: original });
    await page.waitForSelector('.thumb img');
    await expect.poll(() => page.locator('[data-test=location]').innerText()).toContain('15');
    await page.getByRole('button', { name: world.category('01-003').names.zh }).click();
    await page.fill('textarea', '井盖没了，晚上很危险');
    await page.click('[data-test=submit]');
    await expect.poll(() => queueRow().first().getAttribute('data-status')).toBe('pending');

    // Closed and opened again with no signal: the service worker serves the app, IndexedDB still has the report.
    await page.reload();
    await page.waitForSelector('[data-test=queue] [data-status]');
    expect(await queueRow().count()).toBe(1);
    // Still queued: waiting, or being tried again (the app tries at once on opening; with no signal it fails and waits).
    expect(['pending', 'sending']).toContain(await queueRow().first().getAttribute('data-status'));
    expect(await countCases(world.database)).toBe(casesBefore);

    // The photo kept on the phone was shrunk, with the server's JPEG check in mind.
    // (A script string: the test's own TypeScript has no DOM types.)
    const kept = (await page.evaluate(`(async () => {
      const open = indexedDB.open('gridline-rider');
      const db = await new Promise((resolve, reject) => { open.onsuccess = () => resolve(open.result); open.onerror = () => reject(open.error); });
      const all = db.transaction('reports').objectStore('reports').getAll();
      const items = await new Promise((resolve) => { all.onsuccess = () => resolve(all.result); });
      const blob = items[0].files[0].blob;
      const bitmap = await createImageBitmap(blob);
      return { size: blob.size, type: blob.type, width: bitmap.width, height: bitmap.height };
    })()`)) as { size: number; type: string; width: number; height: number };
    expect(kept.type).toBe('image/jpeg');
    // Upright (portrait) and no longer than 1600 px: the orientation was applied, then dropped with the EXIF.
    expect([kept.width, kept.height]).toEqual([1200, 1600]);
    expect(kept.size).toBeLessThan(original.length / 4);

    await context.setOffline(false);
    await page.waitForSelector('[data-test=queue] [data-status=sent]', { timeout: 30_000 });
    expect(await countCases(world.database)).toBe(casesBefore + 1);
    const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 5, 'zh-CN');
    expect(mine.items[0]!.description).toBe('井盖没了，晚上很危险');
    expect(await queueRow().first().innerText()).toContain(mine.items[0]!.ref);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('shows the rider each step, the inbox message, and the rating once the case is closed', async () => {
    const solang = await world.as('solang');
    const caseId = (await world.services.caseQueries.myReports(solang, 1, 1, 'zh-CN')).items[0]!.id;
    await act(world, 'dispatcher', caseId, 'accept');
    await world.services.notifyWorker.drain();

    // The inbox tab's badge counts the unread message (the app looks again when it comes to the front).
    await page.reload();
    await expect.poll(() => page.locator('.van-tabbar-item').nth(2).locator('.van-badge').innerText(), { timeout: 15_000 }).toMatch(/^[1-9]\d*$/);
    await page.locator('.van-tabbar-item').nth(2).click();
    await page.waitForSelector('[data-unread=true]');
    const inbox = await world.services.notify.inbox(solang, { limit: 5 });
    expect(await page.locator('[data-unread=true]').first().innerText()).toContain(inbox.items[0]!.title);

    // Opening the message opens the case, with the accept step told in plain words.
    await page.locator('[data-unread=true]').first().click();
    await page.waitForURL(new RegExp(`/rider/reports/${caseId}$`));
    const story = await world.services.caseQueries.myReports(solang, 1, 1, 'zh-CN');
    const timeline = page.locator('[data-test=timeline] li');
    await expect.poll(() => timeline.count()).toBe(story.items[0]!.timeline.length);
    expect(await timeline.last().innerText()).toContain(story.items[0]!.timeline.at(-1)!.text);

    // Round the loop: handled, fixed with an after-photo, verified and closed.
    await act(world, 'dispatcher', caseId, 'file');
    await act(world, 'dispatcher', caseId, 'dispatch', { departmentId: world.department('nj-municipal').id });
    await act(world, 'municipal', caseId, 'sign');
    await act(world, 'municipal', caseId, 'start');
    await act(world, 'municipal', caseId, 'resolve', { note: '已更换井盖', media: [await world.photo('municipal', 'after')] });
    await act(world, 'dispatcher', caseId, 'verify', { note: '现场核查，井盖已装好' });
    await act(world, 'dispatcher', caseId, 'close', { closureType: 'fixed' });
    await page.reload();
    await page.waitForSelector('[data-test=rate]');
    expect(await page.locator('[data-test=status]').innerText()).toBe((await world.services.caseQueries.myReports(solang, 1, 1, 'zh-CN')).items[0]!.statusText);
    await page.locator('[data-test=rate] .van-rate__item').nth(4).click();
    await page.locator('[data-test=rate] button').filter({ hasText: '提交评价' }).click();
    await page.waitForSelector('[data-test=rate]', { state: 'detached' });
    const rated = (await world.services.caseQueries.myReports(solang, 1, 1, 'zh-CN')).items[0]!;
    expect(rated.rating).toEqual({ score: 5, unitAtFault: false });
    expect(pageErrors).toEqual([]);
    expect(foreign).toEqual([]);
  }, 90_000);

  it('files a voice note with no words: recorded on the phone, sent, measured by the server and playable', async () => {
    world.clock.advance(1); // (the world's clock stands still: this report comes a minute after the last)
    await recordVoiceNote(page, base);
    await page.getByRole('button', { name: world.category('07-999').names.zh }).click();
    // The phone's fix is a street off: the rider drags the pin on the map (grid polygons, no tile server).
    const pin = page.locator('[data-test=map] .pin');
    await pin.waitFor();
    await expect.poll(() => page.locator('[data-test=map] path.leaflet-interactive').count()).toBeGreaterThan(0);
    await page.locator('[data-test=map]').scrollIntoViewIfNeeded();
    const box = (await pin.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2 - 30, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-test=location]').innerText()).toBe('已在地图上选定位置');
    await page.click('[data-test=submit]');
    const row = page.locator('[data-test=queue] [data-status]').first();
    await expect.poll(() => page.locator('[data-test=queue] [data-status]').count()).toBe(2);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 20_000 }).toBe('sent');
    const latest = (await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN')).items[0]!;
    expect(latest.description).toBe('');
    expect(latest.category.code).toBe('07-999');
    const info = await world.services.media.info(await world.as('solang'), latest.media[0]!);
    expect(info.kind).toBe('audio');
    expect(info.mime).toMatch(/^audio\/(webm|ogg)$/);
    expect(info.durationS).toBeGreaterThan(1.5);
    expect(info.durationS).toBeLessThan(10);
    // Where the pin was put: east and north of the phone's fix, by the few metres 40 px are at zoom 17.
    const placed = await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN');
    const at = placed.items[0]!.location;
    expect(at.lon).toBeGreaterThan(world.najinPoint.lon);
    expect(at.lat).toBeGreaterThan(world.najinPoint.lat);
    expect(at.lon - world.najinPoint.lon).toBeLessThan(0.001);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('sends a video resumably in chunks, and after a dropped chunk goes on from where the server got to', async () => {
    world.clock.advance(1);
    const movie = handMadeMovie({ mdatBytes: 1_400_000 });
    const patches: number[] = [];
    let dropped = false;
    await context.route('**/api/v1/uploads/*', async (route) => {
      const request = route.request();
      if (request.method() !== 'PATCH') return route.continue();
      patches.push(Number(request.headers()['upload-offset']));
      // The second chunk is lost on the way (the signal drops mid-upload).
      if (patches.length === 2 && !dropped) {
        dropped = true;
        return route.abort('internetdisconnected');
      }
      return route.continue();
    });
    await page.goto(`${base}/rider/`);
    await page.waitForSelector('.category');
    await page.setInputFiles('input[accept="video/*"]', { name: 'VID_0001.mp4', mimeType: 'video/mp4', buffer: movie });
    await page.waitForSelector('.thumb video');
    await page.getByRole('button', { name: world.category('05-091').names.zh }).click();
    await page.click('[data-test=submit]');
    await expect.poll(async () => [await page.locator('[data-test=queue] [data-status]').count(), await page.locator('[role=alert]').allInnerTexts()]).toEqual([3, []]);
    await expect.poll(() => page.locator('[data-test=queue] [data-status]').first().getAttribute('data-status'), { timeout: 30_000 }).toBe('sent');
    await context.unroute('**/api/v1/uploads/*');
    // Chunks at 0, 512 KB (dropped), then 512 KB again (asked with HEAD) and on: nothing sent twice but the lost one.
    expect(patches).toEqual([0, 524_288, 524_288, 1_048_576]);
    const latest = (await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN')).items[0]!;
    expect(latest.media).toHaveLength(1);
    const info = await world.services.media.info(await world.as('solang'), latest.media[0]!);
    expect(info).toMatchObject({ kind: 'video', bytes: movie.length });
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('applies to be a grid worker from 我的 and shows where the application stands', async () => {
    world.clock.advance(11); // (the open application form's rate limit counts per ten minutes)
    await page.goto(`${base}/rider/me`);
    await page.locator('[data-test=join]').click();
    await page.waitForSelector('[data-test=apply]');
    await page.fill('input[name=phone]', '13912345678');
    await page.locator('[data-test=apply] button[type=submit]').click();
    await page.waitForSelector('[data-test=membership]');
    const mine = await world.services.members.mine(await world.as('solang'));
    expect(mine.status).toBe('applicant');
    expect(await page.locator('[data-test=membership]').innerText()).toContain('已报名，待站点推荐');
    expect(pageErrors).toEqual([]);
  }, 60_000);
});

// Background Sync needs a browser profile on disk (Chromium keeps it from private windows), so these tests
// have their own browser and server: a report sent with the app closed, and a voice note recorded as MP4 as
// an iPhone records it.
describe('the rider app with its profile on disk (Chromium)', () => {
  let world: World;
  let base: string;
  let chrome: Awaited<ReturnType<typeof launchPersistent>>;
  let context: BrowserContext;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    world = await buildWorld(SQLITE, new Date().toISOString());
    base = await listen(world.app);
    chrome = await launchPersistent({
      viewport: { width: 360, height: 640 },
      locale: 'zh-CN',
      // (Chrome grants Background Sync to every site it has open; its headless mode asks.)
      permissions: ['geolocation', 'background-sync', 'microphone'],
      geolocation: { latitude: world.najinPoint.lat, longitude: world.najinPoint.lon, accuracy: 15 },
    });
    context = chrome.context;
    await cjkFont(context);
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await world?.close();
  });

  it('sends a report queued without signal when the network returns, with the app closed (Background Sync)', async (test) => {
    let page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await signIn(page, base);
    await page.waitForFunction(`navigator.serviceWorker.getRegistration('/rider/').then((r) => Boolean(r && r.active))`, null, { timeout: 15_000 });
    // The headless shell of @sparticuz/chromium has no Background Sync (Debian's Chromium has: .ci/run installs it).
    if (!(await page.evaluate(`navigator.serviceWorker.ready.then((r) => r.sync.getTags()).then(() => true, () => false)`))) {
      console.warn('skipped: this Chromium has no Background Sync (scripts/install-browser.sh installs one that has)');
      test.skip();
    }
    const casesBefore = await countCases(world.database);

    await context.setOffline(true);
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#6a7' } }).jpeg().toBuffer();
    await page.setInputFiles('[data-test=take-photo] input', { name: 'IMG_0002.jpg', mimeType: 'image/jpeg', buffer: photo });
    await page.waitForSelector('.thumb img');
    await page.getByRole('button', { name: world.category('01-031').names.zh }).click();
    await page.fill('textarea', '路灯一直在闪');
    await page.click('[data-test=submit]');
    await expect.poll(() => page.locator('[data-test=queue] [data-status=pending]').count()).toBe(1);
    // The app asked the browser to wake its service worker once the network is back.
    expect(await page.evaluate(`navigator.serviceWorker.ready.then((r) => r.sync.getTags())`)).toContain('gridline-queue');

    // The rider closes the app; the signal comes back while it is closed.
    await page.close();
    expect(await countCases(world.database)).toBe(casesBefore);
    await context.setOffline(false);
    // The browser wakes the worker (Chromium would on its own when its network changes; a test's "offline"
    // is only emulated, so the test fires the same event through the DevTools protocol).
    const outside = await context.newPage();
    const cdp = await context.newCDPSession(outside);
    const registrations: { registrationId: string; scopeURL: string }[] = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (event: { registrations: { registrationId: string; scopeURL: string }[] }) => registrations.push(...event.registrations));
    await cdp.send('ServiceWorker.enable');
    await expect.poll(() => registrations.find((r) => r.scopeURL === `${base}/rider/`)).toBeTruthy();
    const { registrationId } = registrations.find((r) => r.scopeURL === `${base}/rider/`)!;
    await cdp.send('ServiceWorker.dispatchSyncEvent', { origin: base, registrationId, tag: 'gridline-queue', lastChance: false });

    await expect.poll(() => countCases(world.database), { timeout: 30_000 }).toBe(casesBefore + 1);
    const latest = (await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN')).items[0]!;
    expect(latest.description).toBe('路灯一直在闪');
    // Opened again, the app shows it sent, with its case number, and nothing is sent twice.
    page = outside;
    await page.goto(`${base}/rider/`);
    await page.waitForSelector('[data-test=queue] [data-status=sent]');
    expect(await page.locator('[data-test=queue] [data-status]').first().innerText()).toContain(latest.ref);
    await page.waitForTimeout(500);
    expect(await countCases(world.database)).toBe(casesBefore + 1);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it("records a voice note as MP4 where that is all the browser offers (an iPhone's Safari), and the server takes it", async () => {
    world.clock.advance(1);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Safari's MediaRecorder makes MP4 only (AAC); this Chromium is told to offer MP4 alone (it puts Opus in it).
    await page.addInitScript(`MediaRecorder.isTypeSupported = ((offers) => (type) => type.startsWith('audio/mp4') && offers.call(MediaRecorder, type))(MediaRecorder.isTypeSupported);`);
    await recordVoiceNote(page, base);
    await page.getByRole('button', { name: world.category('07-999').names.zh }).click();
    await page.click('[data-test=submit]');
    const latestReport = async () => (await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN')).items[0];
    await expect.poll(async () => (await latestReport())?.category.code, { timeout: 20_000 }).toBe('07-999');
    const latest = (await latestReport())!;
    await page.locator('[data-test=queue] [data-status=sent]', { hasText: latest.ref }).waitFor();
    const info = await world.services.media.info(await world.as('solang'), latest.media[0]!);
    expect(info).toMatchObject({ kind: 'audio', mime: 'audio/mp4' });
    expect(info.durationS).toBeGreaterThan(1.5);
    expect(info.durationS).toBeLessThan(10);
    expect(pageErrors).toEqual([]);
    await page.close();
  }, 60_000);
});
