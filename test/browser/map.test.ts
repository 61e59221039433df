// The rider's map on Chinese (GCJ-02) tiles, from a tile server of the test's own: the tiles load under the
// page's CSP, the phone's GPS fix (WGS-84) is drawn where it lies on those tiles, and a pin the rider drags
// is sent as GCJ-02, so the case lands where the rider put it (treating GCJ-02 as WGS-84 would put it some
// 500 m off in Lhasa).

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { distanceM } from '../../src/geo/area.js';
import { cjkFont, launchBrowser, listen, type TestBrowser } from '../support/browser.js';
import { staffView } from '../support/cases.js';
import { DIALECTS } from '../support/db.js';
import { buildWorld, PASSWORD, type World } from '../support/world.js';

describe('the rider map on GCJ-02 tiles (Chromium)', () => {
  let world: World;
  let app: FastifyInstance;
  let tiles: http.Server;
  let tileRequests = 0;
  let chrome: TestBrowser;

  beforeAll(async () => {
    world = await buildWorld(DIALECTS[0]!, new Date().toISOString());
    const tile = await sharp({ create: { width: 256, height: 256, channels: 3, background: { r: 232, g: 238, b: 242 } } }).png().toBuffer();
    tiles = http.createServer((request, response) => {
      tileRequests += 1;
      response.writeHead(/^\/\d+\/\d+\/\d+\.png$/.test(request.url ?? '') ? 200 : 404, { 'content-type': 'image/png' }).end(tile);
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.png`;
    app = await buildApp({ database: world.database, services: world.services, web: { tiles: { url, coordSys: 'gcj02', attribution: 'test tiles', maxZoom: 18 } } });
    chrome = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await app?.close();
    await new Promise((resolve) => tiles?.close(resolve));
    await world?.close();
  });

  it('draws the fix on the tiles and sends a dragged pin in GCJ-02, landing where the rider put it', async () => {
    const base = await listen(app);
    const context = await chrome.browser.newContext({ viewport: { width: 360, height: 640 }, locale: 'zh-CN', permissions: ['geolocation'], geolocation: { latitude: world.najinPoint.lat, longitude: world.najinPoint.lon, accuracy: 20 } });
    await cjkFont(context);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy/.test(m.text()) && errors.push(m.text()));
    await page.goto(`${base}/rider/signin`);
    await page.fill('input[name=username]', 'solang');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('.category');
    const pin = page.locator('[data-test=map] .pin');
    await pin.waitFor();
    await expect.poll(() => page.locator('[data-test=map] img.leaflet-tile-loaded').count()).toBeGreaterThan(0);
    expect(tileRequests).toBeGreaterThan(0);
    expect(await page.locator('[data-test=map] .leaflet-control-attribution').innerText()).toContain('test tiles');

    await page.locator('[data-test=map]').scrollIntoViewIfNeeded();
    const box = (await pin.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-test=location]').innerText()).toBe('已在地图上选定位置');
    await page.getByRole('button', { name: world.category('07-999').names.zh }).click();
    await page.fill('textarea', '路口这里');
    await page.click('[data-test=submit]');
    await expect.poll(() => page.locator('[data-test=queue] [data-status]').first().getAttribute('data-status'), { timeout: 20_000 }).toBe('sent');

    const mine = await world.services.caseQueries.myReports(await world.as('solang'), 1, 1, 'zh-CN');
    const view = await staffView(world, 'dispatcher', mine.items[0]!.id);
    expect(view.original.coordSys).toBe('gcj02');
    // Some 20 m east of the fix (30 px at zoom 17), not the ~500 m of a GCJ-02 point read as WGS-84.
    const moved = distanceM([world.najinPoint.lon, world.najinPoint.lat], [view.location.lon, view.location.lat]);
    expect(moved).toBeGreaterThan(5);
    expect(moved).toBeLessThan(60);
    expect(view.location.lon).toBeGreaterThan(world.najinPoint.lon);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
