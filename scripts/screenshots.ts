/**
 * `npm run screenshots`: docs/images/messages.png, the bot's real messages as people see them in Discord
 * (a task in progress, a completed one with its video, a failed one), for the README. Run it again
 * whenever the messages change; it is not part of `npm test`.
 *
 * The payloads come from the bot's own renderers (src/render/) with fixed tasks and a fixed clock
 * (scripts/screenshots/scenes.ts); they are drawn with the Discord look-alike web components of
 * @skyra/discord-components-core, bundled into one offline HTML page, and photographed by headless
 * Chromium through puppeteer-core. Nothing is fetched from the network: a request for anything but
 * the page's own `data:` URLs fails the run.
 *
 * Needs Debian's packages (puppeteer-core downloads no browser):
 *   apt-get install -y chromium fonts-noto-core fonts-noto-color-emoji pngquant
 * Chromium is /usr/bin/chromium unless CHROMIUM_PATH says otherwise. Noto Sans is the text font (Discord's
 * own is not free) and Noto Color Emoji draws the emoji (🎬 ✅ ❌ 🔄 🔔 ⏹️); without them the picture
 * changes, so the script warns when fontconfig lists neither. pngquant brings the PNG, which is committed,
 * from ~480 KB to under 200 KB (256 colours, no visible change); without it the script warns and writes
 * the PNG as Chromium made it.
 *
 *   npm run screenshots                  writes docs/images/messages.png
 *   npm run screenshots -- --html FILE   also writes the page, to look at in a browser
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser } from 'puppeteer-core';
import { bundleComponents, pageHtml } from './screenshots/page.js';
import { CHANNEL_NAME, CONTEXT, sections } from './screenshots/scenes.js';

const OUTPUT = fileURLToPath(new URL('../docs/images/messages.png', import.meta.url));
const DEFAULT_CHROMIUM = '/usr/bin/chromium';
/** CSS pixels: a Discord chat column at a common desktop size; the image is twice that for sharpness. */
const PAGE_WIDTH = 720;
const SCALE = 2;
const READY_TIMEOUT_MS = 30_000;
const REQUIRED_FONTS = ['Noto Sans', 'Noto Color Emoji'];

class UsageError extends Error {}

function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
  if (!existsSync(path)) {
    throw new UsageError(
      `screenshots: no Chromium at ${path}; install it with "apt-get install -y chromium" or set CHROMIUM_PATH`,
    );
  }
  return path;
}

/** Fonts the picture is designed with, missing from fontconfig: worth a warning, not a failure. */
function missingFonts(): string[] {
  let families: string;
  try {
    families = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  } catch {
    return REQUIRED_FONTS;
  }
  const installed = new Set(
    families.split('\n').flatMap((line) => line.split(',').map((name) => name.trim())),
  );
  return REQUIRED_FONTS.filter((font) => !installed.has(font));
}

async function photograph(browser: Browser, html: string): Promise<Uint8Array> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith('data:') || url === 'about:blank') {
      void request.continue();
    } else {
      problems.push(`blocked a request for ${url}`);
      void request.abort();
    }
  });
  await page.setViewport({ width: PAGE_WIDTH, height: 800, deviceScaleFactor: SCALE });
  await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
  await page.setContent(html, { waitUntil: 'load' });
  await page.waitForFunction('window.__screenshotReady === true || window.__screenshotError !== undefined', {
    timeout: READY_TIMEOUT_MS,
  });
  const failure = await page.evaluate('window.__screenshotError');
  if (typeof failure === 'string') problems.push(`the page did not render: ${failure}`);
  if (problems.length > 0) throw new Error(`screenshots: ${problems.join('; ')}`);

  const chat = await page.$('discord-messages');
  if (chat === null) throw new Error('screenshots: the page has no <discord-messages>');
  return chat.screenshot({ type: 'png', omitBackground: false });
}

/** The PNG in 256 colours, or as it is (with a warning) where pngquant is not installed. */
function shrink(png: Uint8Array): Uint8Array {
  try {
    return execFileSync('pngquant', ['--speed', '1', '--strip', '-'], { input: png, maxBuffer: 64 << 20 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    console.warn(
      'screenshots: pngquant is not installed, so the PNG is not made smaller (apt-get install -y pngquant)',
    );
    return png;
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const executablePath = chromiumPath();
  const missing = missingFonts();
  if (missing.length > 0) {
    console.warn(
      `screenshots: fontconfig lists no ${missing.join(' or ')}; the picture will not look as designed` +
        ' (apt-get install -y fonts-noto-core fonts-noto-color-emoji)',
    );
  }

  const html = pageHtml({
    sections: sections(),
    context: CONTEXT,
    channelName: CHANNEL_NAME,
    width: PAGE_WIDTH,
    script: await bundleComponents(),
  });
  const htmlFlag = process.argv.indexOf('--html');
  if (htmlFlag !== -1) {
    const htmlPath = process.argv[htmlFlag + 1];
    if (htmlPath === undefined) throw new UsageError('screenshots: --html needs a file name');
    await writeFile(htmlPath, html);
  }

  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // Chromium's sandbox refuses to start as root; elsewhere it stays on.
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--font-render-hinting=none',
      '--hide-scrollbars',
      '--disable-gpu',
    ],
  });
  let png: Uint8Array;
  try {
    png = await photograph(browser, html);
  } finally {
    await browser.close();
  }

  await mkdir(dirname(OUTPUT), { recursive: true });
  await writeFile(OUTPUT, shrink(png));
  const { size } = await stat(OUTPUT);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `screenshots: wrote ${relative(process.cwd(), OUTPUT)} (${Math.round(size / 1024)} KB) in ${seconds} s`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : error);
  process.exitCode = 1;
});
