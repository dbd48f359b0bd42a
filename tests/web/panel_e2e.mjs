// The web panel in a real browser (Debian's Chromium, driven by playwright-core): the page
// loads its controls from the schema and shows the live preview; moving a slider changes the
// preview; a source face uploads and shows its crop; the page is saved as a screenshot.
//   node panel_e2e.mjs URL SCREENSHOT.png SOURCE_PHOTO
// Exits non-zero with a one-line reason when any check fails.
import { chromium } from 'playwright-core';

const [url, shot, photo] = process.argv.slice(2);
if (!url || !shot || !photo) {
  console.error('usage: node panel_e2e.mjs URL SCREENSHOT.png SOURCE_PHOTO');
  process.exit(2);
}

function check(ok, what) {
  if (!ok) throw new Error(what);
  console.log(`ok: ${what}`);
}

// Mean brightness of the preview as the browser shows it (drawn into a canvas: the stream is
// same-origin, so its pixels are readable).
async function previewMean(page) {
  return page.evaluate(() => {
    const img = document.getElementById('preview');
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
    return sum / (3 * d.length / 4);
  });
}

async function settledMean(page) {
  // A few frames for the new settings to reach the picture, then the mean of two readings.
  await page.waitForTimeout(1500);
  const a = await previewMean(page);
  await page.waitForTimeout(300);
  return (a + await previewMean(page)) / 2;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = null;
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);

  // Controls from the schema, grouped by stage.
  await page.waitForSelector('#group-key', { timeout: 20000 });
  await page.waitForSelector('#ctl-shrink-grow', { timeout: 20000 });
  check(await page.locator('#group-face').count() === 1, 'the face swap group is on the page');
  check(await page.locator('#eyedrop-key').count() === 1, 'the screen colour has an eyedropper');

  // The live preview plays.
  await page.waitForFunction(() => document.getElementById('preview').naturalWidth > 0, null, { timeout: 30000 });
  check(true, 'the preview shows frames');

  // The matte view, then a slider: shrinking the matte by 50 px darkens it visibly.
  await page.click('label[for=view-matte]');
  await page.waitForFunction(() => document.getElementById('preview').naturalWidth > 0, null, { timeout: 30000 });
  const before = await settledMean(page);
  await page.locator('#ctl-shrink-grow').fill('-50');
  await page.locator('#ctl-shrink-grow').dispatchEvent('change');
  // The change reaches the picture within a few frames; on a loaded machine, seconds.
  let after = await settledMean(page);
  for (let i = 0; i < 30 && !(after < before - 3); ++i) after = await settledMean(page);
  console.log(`matte mean before ${before.toFixed(1)}, after ${after.toFixed(1)}`);
  check(after < before - 3, 'moving the shrink/grow slider changes the preview');
  const settings = await (await page.request.get(new URL('/api/settings', url).href + new URL(url).search)).json();
  check(settings.key && settings.key['shrink-grow'] === -50, 'the slider reached the server\'s settings');

  // A source face: upload, its crop appears, choosing it sets the source photo.
  await page.setInputFiles('#face-upload', photo);  // choosing the file uploads it
  await page.waitForSelector('#faces img.face-crop', { timeout: 30000 });
  await page.waitForTimeout(500);
  check(await page.locator('#faces img.face-crop').count() === 1, 'the uploaded photo\'s one face crop is shown');
  await page.locator('#faces img.face-crop').first().click();
  await page.waitForSelector('#faces img.face-crop.selected', { timeout: 10000 });
  const chosen = await (await page.request.get(new URL('/api/settings', url).href + new URL(url).search)).json();
  check(chosen.face && chosen.face.source && chosen.face.source.length === 1, 'clicking the crop chose it as the source face');

  // Back to the result view; the swap runs once its pass is built (the stats show its stage).
  await page.locator('#ctl-shrink-grow').fill('0');
  await page.locator('#ctl-shrink-grow').dispatchEvent('change');
  await page.click('label[for=view-result]');
  let swapping = false;
  for (let i = 0; i < 60 && !swapping; ++i) {
    const s = await (await page.request.get(new URL('/api/stats', url).href + new URL(url).search)).json();
    swapping = s.fps > 0 && Object.keys(s.stages_ms || {}).some((k) => k.startsWith('face.swap'));
    if (!swapping) await page.waitForTimeout(500);
  }
  check(swapping, 'the preview runs the face swap with the chosen face');
  await page.waitForTimeout(2500);  // a stats window and fresh frames for the screenshot
  await page.screenshot({ path: shot });
  check(errors.length === 0, `no script errors on the page${errors.length ? ': ' + errors.join('; ') : ''}`);
} catch (e) {
  failed = e;
} finally {
  await browser.close();
}
if (failed) {
  console.error(`panel e2e: ${failed.message}`);
  process.exit(1);
}
