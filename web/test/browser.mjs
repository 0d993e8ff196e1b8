// The page in a real browser: Debian's Chromium, headless, driven by playwright-core,
// against web/dist served on localhost. It composes (timed), checks that the score is
// drawn, downloads the MIDI file and compares it with the host's bytes for the same
// settings, harmonises an uploaded melody (compared with `kantor harmonize`), plays (the
// AudioContext runs), reloads offline, and fails on any console error.
//
//   KANTOR_BIN       the host command (default target/release/kantor)
//   KANTOR_CHROMIUM  the browser (default /usr/bin/chromium)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { melodyFile, melodyMusicXml, TUNE } from './tune.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const dist = path.join(root, 'web/dist');
const bin = process.env.KANTOR_BIN || path.join(root, 'target/release/kantor');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kantor-browser-'));
const results = { passed: 0, failed: 0 };

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.webmanifest': 'application/manifest+json' };

/** A static server for web/dist on a free port of 127.0.0.1. */
function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = path.join(dist, decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function host(command, args) {
  const out = path.join(work, `host-${command}.mid`);
  execFileSync(bin, [command, '--engine', 'int8', '--quiet', '-o', out, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Uint8Array(fs.readFileSync(out));
}

async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.passed++;
    console.log(`ok ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAILED ${name}: ${e.stack || e}`);
  }
}

/** The share of an element's screenshot that is not near-white. */
async function inked(page, selector) {
  const png = await page.locator(selector).screenshot();
  fs.writeFileSync(path.join(work, 'score.png'), png);
  return page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const img = await createImageBitmap(blob);
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, img.width, img.height).data;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] < 600) dark++;
    return { share: dark / (px.length / 4), width: img.width, height: img.height };
  }, png.toString('base64'));
}

async function download(page, selector) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return new Uint8Array(fs.readFileSync(await d.path()));
}

const server = await serve();
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.KANTOR_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
const page = await context.newPage();
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });

await step('the page loads and the composer starts', async () => {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.kantorPage.kernels), 'wasm SIMD128');
});

const timings = [];
await step('a 16-bar chorale at the model\'s own settings: composed, timed, drawn', async () => {
  await page.fill('#bars', '16');
  await page.fill('#seed', '7');
  for (let i = 0; i < 3; i++) {
    await page.click('#compose');
    await page.waitForFunction(() => document.body.dataset.busy === 'no' && window.kantorPage.piece);
    timings.push(await page.evaluate(() => window.kantorPage.ms));
    await page.evaluate(() => { delete document.body.dataset.score; });
  }
  await page.click('#compose');
  await page.waitForSelector('body[data-score="drawn"]', { timeout: 30000 });
  const ink = await inked(page, '#score');
  assert.ok(ink.height > 200 && ink.share > 0.01, `the score is blank: ${JSON.stringify(ink)}`);
  const roll = await inked(page, '#roll');
  assert.ok(roll.share > 0.02, `the piano roll is blank: ${JSON.stringify(roll)}`);
  console.log(`  16 bars, model's own settings, in Chromium: ${timings.map((t) => (t / 1000).toFixed(3)).join(', ')} s`);
});

await step('the downloaded MIDI file is the host\'s, byte for byte', async () => {
  const page_ = await download(page, '#download-midi');
  // The page asks for the key in its form (C major by default); the host, asked for none,
  // would draw one from the seed.
  assert.deepEqual(page_, host('generate', ['--seed', '7', '--bars', '16', '--key', 'C']));
  const xml = new TextDecoder().decode(await download(page, '#download-xml'));
  assert.match(xml, /<score-partwise/);
});

await step('an uploaded melody is harmonised as the host does', async () => {
  const tune = path.join(work, 'tune.mid');
  fs.writeFileSync(tune, melodyFile(TUNE, [4, 4]));
  await page.fill('#seed', '3');
  await page.click('details summary');
  await page.fill('#levels', '4');
  await page.fill('#steps', '1');
  await page.fill('#refine', '2');
  await page.setInputFiles('#melody', tune);
  await page.waitForFunction(() => !document.getElementById('harmonize').disabled);
  await page.click('#harmonize');
  await page.waitForFunction(() => /Harmonised/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  await page.waitForSelector('body[data-score="drawn"]');
  const got = await download(page, '#download-midi');
  assert.deepEqual(got, host('harmonize', ['--melody', tune, '--seed', '3', '--levels', '4', '--steps', '1', '--refine', '2']));
});

await step('an uploaded MusicXML melody is harmonised as the host does', async () => {
  const tune = path.join(work, 'tune.musicxml');
  fs.writeFileSync(tune, melodyMusicXml(TUNE, [4, 4]));
  await page.evaluate(() => { delete document.body.dataset.score; });
  await page.setInputFiles('#melody', tune);
  await page.waitForFunction(() => /tune\.musicxml: /.test(document.getElementById('status').textContent));
  await page.click('#harmonize');
  await page.waitForFunction(() => /Harmonised tune\.musicxml/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  await page.waitForSelector('body[data-score="drawn"]');
  const soprano = await page.evaluate(() => window.kantorPage.piece.frames.map((f) => f.tokens[0]).filter((t) => t > 1));
  assert.deepEqual(soprano, TUNE.filter(([p]) => p !== null).map(([p]) => p + 12));
  const got = await download(page, '#download-midi');
  assert.deepEqual(got, host('harmonize', ['--melody', tune, '--seed', '3', '--levels', '4', '--steps', '1', '--refine', '2']));
});

await step('play: the organ sounds', async () => {
  await page.click('#play');
  await page.waitForSelector('body[data-playing="yes"]');
  await page.waitForFunction(() => window.kantorPage.audioState() === 'running', null, { timeout: 10000 });
  await page.waitForTimeout(500);
  await page.click('#stop');
  await page.waitForSelector('body[data-playing="no"]');
});

await step('the endless chorale plays phrase after phrase', async () => {
  await page.fill('#levels', '4');
  await page.click('#endless');
  await page.waitForFunction(() => /phrase 2/.test(document.getElementById('status').textContent), null, { timeout: 30000 });
  await page.click('#endless');
  await page.waitForSelector('body[data-playing="no"]');
});

await step('keyboard: every control is reachable with Tab', async () => {
  const ids = new Set();
  await page.focus('#tonic');
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    ids.add(await page.evaluate(() => document.activeElement?.id));
  }
  for (const id of ['bars', 'seed', 'compose', 'play', 'endless', 'download-midi', 'melody']) assert.ok(ids.has(id), `${id} is not reached by Tab`);
});

await step('offline once loaded', async () => {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });
  await context.setOffline(false);
});

await step('on a phone-sized screen nothing overflows sideways', async () => {
  const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
  phone.on('pageerror', (e) => errors.push(`phone: ${e.message}`));
  await phone.goto(url);
  await phone.waitForSelector('body[data-ready="yes"]', { timeout: 30000 });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is ${overflow} px wider than the screen`);
  await phone.close();
});

await step('no console errors', async () => {
  assert.deepEqual(errors, []);
});

await browser.close();
server.close();
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
