// Drive the `--dev` page of the `hello` example in headless Chromium.
//
//   MCP_CLIENT_NODE_MODULES=CACHE_DIR/node/node_modules [CHROMIUM=/usr/bin/chromium] \
//       node tests/browser/dev_page.mjs URL SCREENSHOT_PATH
//
// Opens URL (the page at the server's `/`), waits until the page has loaded its lists, checks
// that it lists the tools `add` and `echo`, fills `add` with a=2, b=40, calls it, and checks
// that the result shows 42 (in structuredContent and in the text content). Saves a full-page
// screenshot to SCREENSHOT_PATH (also on failure, when the page got that far).
//
// playwright-core comes from the cache dir tests/clients/install.sh fills, loaded through a
// `require` rooted there (ESM `import` ignores NODE_PATH), as ts_client.mjs does. It drives the
// system's Chromium; it downloads no browser.
//
// stdout: one JSON line, {"ok":true,...} or {"ok":false,"error":".."}. Exit 0 on success,
// 1 on any failure (the reason also on stderr, and any console error the page logged counts
// as one), 2 on bad usage.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TIMEOUT_MS = 20000;
const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

class Failure extends Error {}
const fail = (message) => { throw new Failure(message); };

function loadPlaywright() {
    const nodeModules = process.env.MCP_CLIENT_NODE_MODULES;
    const base = nodeModules ? path.join(path.resolve(nodeModules), 'x.js') : path.join(process.cwd(), 'x.js');
    try {
        return createRequire(base)('playwright-core');
    } catch (e) {
        fail(`cannot load playwright-core from ${nodeModules ?? 'the working directory'} ` +
            `(set MCP_CLIENT_NODE_MODULES; tests/clients/install.sh installs it): ${e.message}`);
    }
}

async function run(url, screenshot, summary) {
    const { chromium } = loadPlaywright();
    const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
    if (!fs.existsSync(executablePath)) fail(`no Chromium at ${executablePath} (set CHROMIUM)`);
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-dev-page-'));
    const consoleErrors = [];
    let context;
    try {
        context = await chromium.launchPersistentContext(profile, {
            executablePath, headless: true, args: CHROMIUM_ARGS, timeout: TIMEOUT_MS,
            viewport: { width: 1100, height: 800 },
        });
        const page = context.pages()[0] ?? await context.newPage();
        page.setDefaultTimeout(TIMEOUT_MS);
        page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
        page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
        try {
            await check(page, url, summary);
        } finally {
            await page.screenshot({ path: screenshot, fullPage: true }).then(
                () => { summary.screenshot = screenshot; },
                (e) => process.stderr.write(`dev_page: screenshot failed: ${e.message}\n`));
        }
        if (consoleErrors.length) fail(`the page logged console errors: ${JSON.stringify(consoleErrors)}`);
    } finally {
        summary.consoleErrors = consoleErrors;
        await context?.close().catch(() => {});
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

async function check(page, url, summary) {
    const response = await page.goto(url, { waitUntil: 'load' })
        .catch((e) => fail(`cannot open ${url}: ${e.message.split('\n')[0]}`));
    if (!response || !response.ok()) fail(`GET ${url} answered ${response?.status() ?? 'nothing'}`);
    await page.waitForSelector('body[data-ready="true"]').catch(() => fail('the page never finished loading its lists'));
    const status = await page.locator('#status').evaluate((el) => ({ state: el.dataset.state, text: el.textContent }));
    summary.status = status.text;
    if (status.state !== 'ready') fail(`the page's status is ${status.state}: ${status.text}`);
    summary.tools = await page.locator('[data-tool]').evaluateAll((els) => els.map((el) => el.dataset.tool));
    for (const name of ['add', 'echo']) {
        if (!summary.tools.includes(name)) fail(`the page does not list the tool \`${name}\` (it lists ${JSON.stringify(summary.tools)})`);
    }
    const add = page.locator('[data-tool="add"]');
    await add.locator('[name="a"]').fill('2');
    await add.locator('[name="b"]').fill('40');
    await add.locator('[data-call="add"]').click();
    const result = page.locator('[data-result="add"]');
    await page.waitForSelector('[data-result="add"][data-state]:not([data-state="pending"])')
        .catch(() => fail('no result appeared after calling `add`'));
    const state = await result.getAttribute('data-state');
    const text = (await result.innerText()).trim();
    if (state !== 'ok') fail(`calling \`add\` ended in state ${state}: ${text}`);
    const structured = JSON.parse(await result.locator('[data-part="structured"]').innerText());
    summary.structuredContent = structured;
    if (structured.sum !== 42) fail(`add(2, 40) shows structuredContent ${JSON.stringify(structured)}, expected {"sum":42}`);
    const texts = await result.locator('[data-part="text"]').allInnerTexts();
    summary.text = texts;
    if (!texts.some((t) => /\b42\b/.test(t))) fail(`add(2, 40) shows no text content with 42: ${JSON.stringify(texts)}`);
}

const [url, screenshot] = process.argv.slice(2);
if (!url || !screenshot || process.argv.length !== 4) {
    process.stderr.write('usage: node tests/browser/dev_page.mjs URL SCREENSHOT_PATH\n');
    process.exit(2);
}
const summary = { ok: false, url };
const started = Date.now();
try {
    await run(url, path.resolve(screenshot), summary);
    summary.ok = true;
} catch (e) {
    summary.error = e instanceof Failure ? e.message : `unexpected: ${e.stack ?? e}`;
    process.stderr.write(`dev_page: FAIL: ${summary.error}\n`);
}
summary.ms = Date.now() - started;
process.stdout.write(JSON.stringify(summary) + '\n');
process.exit(summary.ok ? 0 : 1);
