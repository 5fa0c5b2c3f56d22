// The reference site in a real headless Chromium (Debian's, driven by playwright-core), served the way a static
// host would: the index links to every page, each page renders every operation (with its code samples),
// webhook and callback, and nothing throws or leaves the page's origin; no rendered text shows a placeholder or a
// source a reader cannot open. Screenshots go to test-results/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocsServer } from '../../scripts/lib/docs-server.ts';
import { build } from '../../scripts/build.ts';
import { loadApis, projectRoot } from '../../scripts/lib/apis.ts';
import { bundlePath } from '../../scripts/steps/bundle.ts';
import { METHODS } from '../../scripts/steps/code-samples.ts';
import { ABOUT_HEADING, docsDir } from '../../scripts/steps/docs.ts';
import { fileNamesOutsideRepository, trackedFiles } from '../support/published-sources.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const HOW_TO_RUN = 'install it with `apt-get install -y chromium` (or run .ci/run), then `npm test`';
const shots = join(projectRoot, 'test-results');
const apis = loadApis();
const tracked = trackedFiles();

/** What a reader must not see: a type name shown as a value, Redoc's invented keys, a file they cannot open. */
function readerProblems(where: string, text: string): string[] {
  const problems: string[] = [];
  if (/"string"(?!\s*:)/.test(text)) problems.push(`${where}: shows "string" as a value`);
  for (const key of text.match(/\b(?:property|additionalProp)\d+\b/g) ?? []) problems.push(`${where}: shows the invented key ${key}`);
  for (const name of fileNamesOutsideRepository(text, tracked)) problems.push(`${where}: names ${name}, which is not in the repository`);
  return [...new Set(problems)];
}

if (!hasBrowser && !inCi) {
  console.warn(`docs browser tests SKIPPED: no Chromium at ${CHROMIUM}; ${HOW_TO_RUN}.`);
}

// Declared only when it fails, so a machine with the browser reports no skipped test.
if (!hasBrowser && inCi) {
  describe('reference site in Chromium', () => {
    it('has a browser to run in (CI=true)', () => {
      throw new Error(`no Chromium at ${CHROMIUM}; CI must run the browser tests: ${HOW_TO_RUN}`);
    });
  });
}

describe.skipIf(!hasBrowser)('reference site in Chromium', () => {
  let browser: Browser;
  let origin: string;
  let server: ReturnType<typeof createDocsServer>;
  /** Requests that tried to leave the page's origin (aborted, so the test never waits on the network). */
  const outside: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Rebuilds only what changed (content-hash skipping): a no-op when docs/ is current.
    await build({ only: 'docs', log: () => {} });
    mkdirSync(shots, { recursive: true });
    server = createDocsServer(docsDir(projectRoot));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A page in a fresh context: Redoc keeps the chosen sample language in localStorage. */
  async function open(path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // A request still in flight when its page closes makes continue()/abort() reject ("Target page, context or
    // browser has been closed"): nothing to do then, and it must not surface as an unhandled rejection.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || url.startsWith('blob:') || new URL(url).origin === origin) return route.continue().catch(() => undefined);
      outside.push(url);
      return route.abort().catch(() => undefined);
    });
    const page = await context.newPage();
    page.on('close', () => void context.close().catch(() => undefined));
    page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
    const response = await page.goto(`${origin}${path}`, { waitUntil: 'load' });
    expect(response?.status(), path).toBe(200);
    return page;
  }

  /**
   * The #/<tag>/<operation> routes of every tag. The sidebar links each tag (`/<tag>`, beside the `/section/...`
   * links of the description); a tag's overview, once open and no longer growing, links its operations.
   */
  async function sectionRoutes(page: Page): Promise<string[]> {
    const hrefs = async (selector: string) => [...new Set(await page.$$eval(selector, (links) => links.map((link) => link.getAttribute('href')!)))];
    let tags: string[] = [];
    for (let tries = 0; tags.length === 0 && tries < 100; tries++) {
      await page.waitForTimeout(100);
      tags = (await hrefs('a[href^="/"]')).filter((href) => /^\/[^/]+$/.test(href) && href !== '/section');
    }
    const routes = new Set<string>();
    for (const tag of tags) {
      await page.click(`a[href="${tag}"] >> nth=0`);
      let found: string[] = [];
      for (let stable = 0, tries = 0; stable < 3 && tries < 100; tries++) {
        await page.waitForTimeout(100);
        const next = (await hrefs(`a[href^="#${tag}/"]`)).filter((href) => href.split('/').length === 3);
        stable = next.length > 0 && next.length === found.length ? stable + 1 : 0;
        found = next;
      }
      found.forEach((route) => routes.add(route));
    }
    return [...routes];
  }

  it('index lists every API with relative links to its page and its spec', async () => {
    const page = await open('/');
    const hrefs = await page.$$eval('a[href]', (links) => links.map((link) => link.getAttribute('href')!));
    for (const href of hrefs) expect(href, 'only relative links').toMatch(/^\.\//);
    for (const api of apis) {
      const spec = JSON.parse(readFileSync(bundlePath(projectRoot, api.id), 'utf8'));
      expect(hrefs).toContain(`./${api.id}/index.html`);
      expect(hrefs).toContain(`./${api.id}/openapi.json`);
      const card = page.locator(`li#${api.id}`);
      await expect(card.locator('h2').innerText()).resolves.toBe(spec.info.title);
      const text = await card.innerText();
      expect(text).toContain(spec.info.version);
      // The download is the clean bundle, fetched from the page the way a click would.
      const downloaded = await page.evaluate(async (href) => (await fetch(href)).json(), `./${api.id}/openapi.json`);
      expect(downloaded.info.title).toBe(spec.info.title);
    }
    // The favicon every browser asks for, linked from the index as a static host serves it.
    // Fetched from here: Chromium never hands a page's own favicon requests to the route handler.
    const iconHref = await page.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href'));
    expect(iconHref).toBe('./favicon.ico');
    const iconResponse = await fetch(new URL(iconHref!, page.url()));
    const icon = { status: iconResponse.status, type: iconResponse.headers.get('content-type'), head: [...new Uint8Array(await iconResponse.arrayBuffer()).slice(0, 4)] };
    expect(icon).toEqual({ status: 200, type: 'image/x-icon', head: [0, 0, 1, 0] });
    // Follow one link for real: it lands on the Redoc page.
    await page.click(`a.page[href="./${apis[0]!.id}/index.html"]`);
    await page.locator('h1').first().waitFor();
    expect(new URL(page.url()).pathname).toBe(`/${apis[0]!.id}/index.html`);
    await page.goto(`${origin}/`);
    await page.screenshot({ path: join(shots, 'docs-index.png'), fullPage: true });
    await page.close();
  });

  it.each(apis.map((api) => api.id))('%s: renders every operation with samples, every webhook and callback', async (id) => {
    const spec = JSON.parse(readFileSync(bundlePath(projectRoot, id), 'utf8'));
    const { codeSamples } = (await import(`../../generated/${id}/code-samples.ts`)) as {
      codeSamples: { method: string; path: string; curl: string; typescript: string }[];
    };
    const page = await open(`/${id}/`);
    await expect(page.locator('h1').first().innerText()).resolves.toContain(spec.info.title);
    // The landing view: the description, then the API's notes as "About this contract", every section of them.
    const notes = readFileSync(join(projectRoot, apis.find((api) => api.id === id)!.specDir, 'NOTES.md'), 'utf8');
    await page.locator('h1, h2', { hasText: new RegExp(`^${ABOUT_HEADING}$`) }).first().waitFor();
    const landing = await page.locator('main, body').first().innerText();
    for (const heading of notes.match(/^## .*$/gm) ?? []) expect(landing, `notes section ${heading}`).toContain(heading.slice(3).replace(/`/g, ''));
    const problems = readerProblems('landing', landing);
    const iconHref = await page.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href'));
    expect(iconHref).toBe('../favicon.ico');

    // Every operation and webhook has its own section, linked from its tag's overview; read each one as rendered.
    const routes = await sectionRoutes(page);
    const sections: string[] = [];
    let tabsRead = 0;
    for (const route of routes) {
      await page.click(`a[href="${route}"] >> nth=0`);
      const section = page.locator(`[data-section-id="${route.slice(1)}"]`);
      // The right-hand panel (code samples, payload examples) renders after the section itself.
      await section.locator('[data-component-name="CodeBlock/CodeBlock"]').first().waitFor();
      const text = await section.innerText();
      sections.push(text);
      problems.push(...readerProblems(route, text));
      // Each response status is a tab; only the chosen one's schema and sample are rendered. The tabs are clicked
      // in the page, in one round trip; each tab's text is read once it reports itself selected.
      const tabs = await section.evaluate(async (element) => {
        const read: { name: string; selected: string | null; text: string }[] = [];
        for (const tab of [...element.querySelectorAll<HTMLElement>('[role="tab"]')].slice(1)) {
          tab.click();
          for (let frames = 0; tab.getAttribute('aria-selected') !== 'true' && frames < 50; frames++) await new Promise(requestAnimationFrame);
          read.push({ name: tab.innerText, selected: tab.getAttribute('aria-selected'), text: (element as HTMLElement).innerText });
        }
        return read;
      });
      tabsRead += tabs.length;
      for (const tab of tabs) {
        expect(tab.selected, `${route} tab ${tab.name}: selected after its click`).toBe('true');
        problems.push(...readerProblems(`${route} tab ${tab.name}`, tab.text));
      }
    }
    // Every API has an operation with more than one response: no tab read means the selector no longer finds them.
    expect(tabsRead, 'response tabs clicked and read').toBeGreaterThan(0);
    expect([...new Set(problems)]).toEqual([]);
    const webhooks = Object.entries(spec.webhooks ?? {}).flatMap(([name, item]: [string, any]) => METHODS.filter((m) => item[m]).map(() => name));
    expect(routes).toHaveLength(codeSamples.length + webhooks.length);

    // The curl sample's first line names method and URL; it is shown by default in the operation's panel.
    const curlLine = (sample: { curl: string }) => sample.curl.split('\n')[0]!.replace(/ \\$/, '');
    for (const sample of codeSamples) {
      const section = sections.find((text) => text.includes(curlLine(sample)));
      expect(section, `${sample.method.toUpperCase()} ${sample.path}: no section showing its curl sample`).toBeDefined();
      const operation = spec.paths[sample.path][sample.method];
      for (const callback of Object.keys(operation.callbacks ?? {})) expect(section).toContain(callback);
    }
    for (const name of webhooks) {
      expect(sections.some((text) => text.includes(name) && /Webhook/.test(text)), `webhook ${name}`).toBe(true);
    }

    // The TypeScript sample is one choice away in the same panel.
    const firstRoute = routes[sections.findIndex((text) => text.includes(curlLine(codeSamples[0]!)))]!;
    await page.click(`a[href="${firstRoute}"] >> nth=0`);
    const section = page.locator(`[data-section-id="${firstRoute.slice(1)}"]`);
    await section.waitFor();
    await section.locator('button[aria-haspopup="menu"]', { hasText: /^curl$/ }).click();
    await page.getByRole('menuitem', { name: 'TypeScript' }).click();
    const typescript = codeSamples[0]!.typescript.split('\n')[0]!;
    await section.getByText(typescript).first().waitFor();
    await page.screenshot({ path: join(shots, `docs-${id}.png`) });
    await page.close();
  });

  it('sandbox guide: linked from the index, a section per API, nothing a reader cannot use', async () => {
    const index = await open('/');
    await index.click('a.guide');
    await index.locator('h1', { hasText: 'Sandbox guide' }).waitFor();
    expect(new URL(index.url()).pathname).toBe('/sandbox/index.html');
    for (const api of apis) await expect(index.locator(`section#${api.id} h2`).innerText()).resolves.toContain(api.id);
    const text = await index.locator('main').innerText();
    expect(readerProblems('sandbox guide', text)).toEqual([]);
    expect(await index.evaluate(() => document.querySelector('link[rel="icon"]')?.getAttribute('href'))).toBe('../favicon.ico');
    // Every link of the guide lands on a page of the site.
    const links = await index.$$eval('a[href]:not([href^="#"])', (anchors) => anchors.map((anchor) => (anchor as HTMLAnchorElement).href));
    for (const link of links) expect((await fetch(link)).status, link).toBe(200);
    await index.screenshot({ path: join(shots, 'docs-sandbox-guide.png'), fullPage: true });
    await index.close();
  });

  it('has no page errors and no request to another origin', () => {
    expect(pageErrors).toEqual([]);
    expect(outside).toEqual([]);
  });
});
