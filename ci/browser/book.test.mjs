// Browser test of the built book: every page loads cleanly, search works, copy buttons copy
// the right text, the five themes switch and stay readable, and a screenshot for review.
//
// Run: cd ci/browser && npm ci && npm test        (see README.md)
// The book must be built first (`.tools/mdbook/bin/mdbook build` at the repo root);
// BOOK_DIR points the test at another build.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const bookDir = path.resolve(process.env.BOOK_DIR ?? path.join(repoRoot, 'book'));
const screenshotDir = path.join(repoRoot, 'target', 'browser');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const THEMES = ['light', 'rust', 'coal', 'navy', 'ayu'];
const AXE_SOURCE = fs.readFileSync(path.join(here, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const AXE_VERSION = JSON.parse(fs.readFileSync(path.join(here, 'node_modules', 'axe-core', 'package.json'), 'utf8')).version;
// Served by the test's own server (not part of the book); no page of the book links to it.
const AXE_URL_PATH = '/__browser-test__/axe.min.js';
// WCAG AA contrast for normal text.
const MIN_CONTRAST = 4.5;

let server;
let origin;
// chromium.launch() starts the browser with a new temporary profile and deletes it on close.
let browser;

// ---------------------------------------------------------------- book files

/** Every .html file of the built book, as paths relative to bookDir with '/' separators. */
function bookPages() {
    return fs.readdirSync(bookDir, { recursive: true })
        .map(name => name.split(path.sep).join('/'))
        .filter(name => name.endsWith('.html'))
        .sort();
}

/** Pages that are chapters (not the whole-book print page, the 404 page or the TOC frame). */
function chapterPages() {
    return bookPages().filter(name => !['print.html', '404.html', 'toc.html'].includes(name));
}

function readPage(name) {
    return fs.readFileSync(path.join(bookDir, name), 'utf8');
}

/** The first chapter page holding a listing figure (index.html repeats the first chapter). */
function firstListingPage() {
    const page = chapterPages()
        .filter(name => name !== 'index.html')
        .find(name => /<figure class="listing"[ >]/.test(readPage(name)));
    assert.ok(page, `no page in ${bookDir} has a <figure class="listing">; the listing checks need one`);
    return page;
}

/** Prose words of a page's <main>, code blocks left out. */
function proseWords(html) {
    const main = /<main>([\s\S]*?)<\/main>/.exec(html)?.[1] ?? '';
    const text = main
        .replace(/<pre[\s\S]*?<\/pre>/g, ' ')
        .replace(/<figcaption[\s\S]*?<\/figcaption>/g, ' ')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&[a-z]+;|&#\d+;/g, ' ');
    // Whole whitespace-separated tokens only (search splits on whitespace, not on "'").
    return new Set(text.split(/\s+/)
        .map(token => token.replace(/^[^A-Za-z]+|[^A-Za-z]+$/g, ''))
        .filter(token => /^[A-Za-z]{6,}$/.test(token))
        .map(token => token.toLowerCase()));
}

/** A word of `page`'s prose that as few other chapters as possible contain. */
function distinctiveWord(page) {
    const others = chapterPages()
        .filter(name => name !== page && name !== 'index.html')
        .map(name => proseWords(readPage(name)));
    const candidates = [...proseWords(readPage(page))].map(word => ({
        word,
        elsewhere: others.filter(words => words.has(word)).length,
    }));
    assert.ok(candidates.length > 0, `${page} has no prose word of 6+ letters to search for`);
    candidates.sort((a, b) => a.elsewhere - b.elsewhere
        || b.word.length - a.word.length
        || a.word.localeCompare(b.word));
    return candidates[0].word;
}

// ---------------------------------------------------------------- server and browser

const CONTENT_TYPES = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.ico': 'image/x-icon',
    '.woff': 'font/woff',
    '.woff2': 'font/woff2',
    '.txt': 'text/plain; charset=utf-8',
};

/** Serves bookDir on 127.0.0.1 with an ephemeral port, like a static host would. */
function startServer() {
    const srv = http.createServer((req, res) => {
        let pathname;
        try {
            pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
        } catch {
            res.writeHead(400).end();
            return;
        }
        if (pathname === AXE_URL_PATH) {
            // axe-core for the accessibility check, from node_modules, not from the book. Cached,
            // so Chromium compiles it once rather than on every page.
            res.writeHead(200, { 'content-type': CONTENT_TYPES['.js'], 'cache-control': 'max-age=3600' });
            res.end(AXE_SOURCE);
            return;
        }
        let file = path.join(bookDir, path.normalize(pathname));
        if (!file.startsWith(bookDir)) {
            res.writeHead(403).end();
            return;
        }
        if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
            file = path.join(file, 'index.html');
        }
        if (!fs.existsSync(file)) {
            // Static hosts answer with the book's 404 page and status 404.
            const notFound = path.join(bookDir, '404.html');
            res.writeHead(404, { 'content-type': CONTENT_TYPES['.html'] });
            res.end(fs.existsSync(notFound) ? fs.readFileSync(notFound) : 'not found');
            return;
        }
        res.writeHead(200, {
            'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
        });
        res.end(req.method === 'HEAD' ? undefined : fs.readFileSync(file));
    });
    return new Promise((resolve, reject) => {
        srv.once('error', reject);
        srv.listen(0, '127.0.0.1', () => resolve(srv));
    });
}

/**
 * A fresh browser context that aborts and records any request leaving the book's origin.
 * `offsite` collects those URLs.
 */
async function newContext(offsite = [], options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
    context.setDefaultTimeout(10_000);
    await context.route('**/*', route => {
        const url = route.request().url();
        if (url.startsWith(origin + '/')) {
            return route.continue();
        }
        offsite.push(url);
        return route.abort('blockedbyclient');
    });
    return context;
}

async function openListingPage(context) {
    const pageName = firstListingPage();
    const page = await context.newPage();
    await page.goto(`${origin}/${pageName}`, { waitUntil: 'load' });
    return { page, pageName };
}

before(async () => {
    assert.ok(
        fs.existsSync(path.join(bookDir, 'index.html')),
        `no built book at ${bookDir} (index.html missing): build the book first ` +
        '(`.tools/mdbook/bin/mdbook build` at the repository root), or set BOOK_DIR',
    );
    assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM)`);
    server = await startServer();
    origin = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
        executablePath: chromiumPath,
        headless: true,
        args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
        ],
    });
});

after(async () => {
    await browser?.close();
    await new Promise(resolve => (server ? server.close(resolve) : resolve()));
});

// ---------------------------------------------------------------- checks

test('every page loads without console errors, page errors or failed requests', { timeout: 45_000 }, async () => {
    const pages = bookPages();
    assert.ok(pages.length > 0, `no .html files in ${bookDir}`);
    const offsite = [];
    const context = await newContext(offsite);
    const offenders = [];
    // Four tabs at a time: most of a page's time is networkidle's 500 ms of waiting.
    const queue = [...pages];
    async function worker() {
        const page = await context.newPage();
        let current = '';
        // The page each request was made for, and the requests not yet answered. Chromium asks
        // for the favicon only once a page has loaded, and networkidle does not wait for it: on
        // a busy machine the next goto would abort it (net::ERR_ABORTED), a failure of the
        // test's, not of the book's. So each page's requests must settle before the next goto.
        const madeFor = new Map();
        const pending = new Set();
        let settled = () => {};
        const done = request => {
            pending.delete(request);
            if (pending.size === 0) {
                settled();
            }
        };
        page.on('request', request => {
            // The page's own resources name it as their referer; the request event itself may
            // come after the next goto has begun.
            const referer = request.headers().referer ?? '';
            madeFor.set(request, referer.startsWith(origin + '/') ? referer.slice(origin.length + 1) : current);
            pending.add(request);
        });
        page.on('requestfinished', done);
        page.on('console', message => {
            if (message.type() === 'error' || message.type() === 'warning') {
                offenders.push(`${current}: console ${message.type()}: ${message.text()}`);
            }
        });
        page.on('pageerror', error => offenders.push(`${current}: page error: ${error.message}`));
        page.on('requestfailed', request => {
            done(request);
            if (!request.url().startsWith(origin + '/')) {
                return; // reported below as an off-site request
            }
            if (request.failure()?.errorText === 'net::ERR_ABORTED' && madeFor.get(request) !== current) {
                return; // made after the wait below, and abandoned by Chromium when we moved on
            }
            offenders.push(`${madeFor.get(request)}: request failed: ${request.url()} (${request.failure()?.errorText})`);
        });
        page.on('response', response => {
            if (response.status() >= 400) {
                offenders.push(`${madeFor.get(response.request())}: HTTP ${response.status()}: ${response.url()}`);
            }
        });
        for (let name = queue.shift(); name; name = queue.shift()) {
            current = name;
            const response = await page.goto(`${origin}/${name}`, { waitUntil: 'networkidle' });
            assert.ok(response, `${name}: no response`);
            // A request made after networkidle (the favicon) gets its answer before the next
            // page: the context's 10 s timeout fails the test if one never does.
            if (pending.size > 0) {
                await new Promise((resolve, reject) => {
                    settled = resolve;
                    setTimeout(() => reject(new Error(`${name}: requests still unanswered after 10 s: ` +
                        [...pending].map(request => request.url()).join(', '))), 10_000).unref();
                });
            }
        }
        await page.close();
    }
    await Promise.all(Array.from({ length: 4 }, worker));
    for (const url of offsite) {
        offenders.push(`request outside the book: ${url}`);
    }
    await context.close();
    if (offenders.length > 0) {
        assert.fail(`${offenders.length} problems on the ${pages.length} pages opened:\n  ${offenders.join('\n  ')}`);
    }
});

test('search finds a chapter by a word from its text', { timeout: 20_000 }, async t => {
    const target = firstListingPage();
    const word = distinctiveWord(target);
    t.diagnostic(`searching for "${word}", expecting ${target}`);
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
    await page.keyboard.press('s');
    const searchbar = page.locator('#mdbook-searchbar');
    await searchbar.waitFor({ state: 'visible' });
    // mdBook's search reacts to keyup, so type key by key.
    await searchbar.pressSequentially(word, { delay: 20 });
    const results = page.locator('#mdbook-searchresults li a');
    await results.first().waitFor({ state: 'attached' }).catch(() => {});
    const hrefs = await results.evaluateAll(links => links.map(link => link.href));
    await context.close();
    const pathnames = hrefs.map(href => new URL(href).pathname.replace(/^\//, ''));
    assert.ok(
        pathnames.includes(target),
        `searching "${word}" should list ${target}; results: ${JSON.stringify(pathnames)}`,
    );
});

test('copy buttons copy exactly the listing code, and the command of a console block', { timeout: 20_000 }, async () => {
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const { page, pageName } = await openListingPage(context);
    const readClipboard = () => page.evaluate(() => navigator.clipboard.readText());
    const clearClipboard = () => page.evaluate(() => navigator.clipboard.writeText('(clipboard not written)'));

    // The first listing: code must equal the file named in its caption.
    const figure = page.locator('figure.listing').first();
    const relativePath = (await figure.locator('figcaption code').first().textContent()).trim();
    const file = path.resolve(repoRoot, relativePath);
    assert.ok(fs.existsSync(file), `${pageName}: caption names ${relativePath}, which is not at ${file}`);
    const expected = fs.readFileSync(file, 'utf8');
    const pre = figure.locator('pre').first();
    const isRust = await pre.locator('code.language-rust').count() > 0;

    await clearClipboard();
    await pre.hover();
    await pre.locator('.buttons .clip-button').click();
    const copied = await readClipboard();
    const withoutFinalNewline = text => text.replace(/\r?\n$/, '');
    assert.equal(
        withoutFinalNewline(copied),
        withoutFinalNewline(expected),
        `${pageName}: the copy button of the first listing must copy ${relativePath} exactly`,
    );
    const lines = copied.split('\n');
    if (isRust) {
        assert.ok(!lines.some(line => line.startsWith('# ')), 'copied Rust code holds a hidden-line marker "# "');
    }
    assert.ok(!lines.some(line => line.startsWith('$ ')), 'copied listing code holds a "$ " prompt');

    // The first console block: its button copies the command(s), without "$ " and output.
    const consoleCode = page.locator('pre > code.language-console').first();
    assert.ok(await consoleCode.count() > 0, `${pageName}: no \`\`\`console block to check`);
    const consoleText = await consoleCode.textContent();
    // "$ command" lines, with any lines a trailing backslash continues.
    const commands = [];
    let continued = false;
    for (const line of consoleText.split('\n')) {
        if (continued) {
            commands[commands.length - 1] += '\n' + line;
        } else if (line.startsWith('$ ')) {
            commands.push(line.slice(2));
        } else {
            continue;
        }
        continued = line.endsWith('\\');
    }
    assert.ok(commands.length > 0, `${pageName}: the first console block has no "$ " line`);
    const consolePre = consoleCode.locator('xpath=..');
    await clearClipboard();
    await consolePre.hover();
    await consolePre.locator('.buttons .clip-button').click();
    await page.waitForFunction(
        () => document.querySelector('pre > code.language-console')
            ?.parentElement.querySelector('.clip-button.tooltipped'),
    );
    const copiedCommand = await readClipboard();
    await context.close();
    assert.equal(copiedCommand, commands.join('\n'), `${pageName}: the console copy button must copy the command without "$ "`);
});

/** Colours and contrast of the caption and console parts, measured in the page. */
function measureContrast() {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    // Any CSS colour (rgb(), color(srgb ...), color-mix results) to [r, g, b, a].
    function rgba(css) {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = css;
        ctx.fillRect(0, 0, 1, 1);
        const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
        return [r, g, b, a / 255];
    }
    function over(top, bottom) {
        const a = top[3];
        return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat(1);
    }
    // The colour actually behind an element: its own background composited over its ancestors'.
    function background(element) {
        const layers = [];
        for (let e = element; e; e = e.parentElement) {
            const colour = rgba(getComputedStyle(e).backgroundColor);
            if (colour[3] > 0) {
                layers.push(colour);
            }
            if (colour[3] === 1) {
                break;
            }
        }
        return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
    }
    function luminance([r, g, b]) {
        const lin = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    }
    function contrast(element) {
        const bg = background(element);
        const fg = over(rgba(getComputedStyle(element).color), bg);
        const [l1, l2] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
        return Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100;
    }
    const figure = document.querySelector('figure.listing');
    const consoleCode = document.querySelector('pre > code.language-console');
    const parts = {
        'caption': figure?.querySelector('figcaption'),
        'caption label': figure?.querySelector('figcaption .listing-label'),
        'caption path': figure?.querySelector('figcaption code'),
        'caption command': figure?.querySelectorAll('figcaption code')[1],
        'listing code': figure?.querySelector('pre > code'),
        'console output': consoleCode?.querySelector('.console-output'),
        'console prompt': consoleCode?.querySelector('.console-prompt'),
        'console command': consoleCode?.querySelector('.console-command'),
    };
    const result = {};
    for (const [name, element] of Object.entries(parts)) {
        result[name] = element ? contrast(element) : null;
    }
    result.consoleBackground = consoleCode ? background(consoleCode) : null;
    return result;
}

test('the theme menu switches all five themes, and captions and console blocks stay readable', { timeout: 30_000 }, async t => {
    fs.mkdirSync(screenshotDir, { recursive: true });
    const context = await newContext();
    const { page, pageName } = await openListingPage(context);
    const problems = [];
    for (const theme of THEMES) {
        await page.locator('#mdbook-theme-toggle').click();
        await page.locator(`#mdbook-theme-${theme}`).click();
        // The menu stays open after a pick; Escape closes it, as a reader would.
        await page.keyboard.press('Escape');
        await page.locator('#mdbook-theme-list').waitFor({ state: 'hidden' });
        const classes = await page.evaluate(() => [...document.documentElement.classList]);
        assert.ok(classes.includes(theme), `after picking ${theme}, <html> has classes ${classes.join(' ')}`);
        const stale = THEMES.filter(other => other !== theme && classes.includes(other));
        assert.deepEqual(stale, [], `after picking ${theme}, <html> still has ${stale.join(' ')}`);

        const measured = await page.evaluate(measureContrast);
        t.diagnostic(`${theme}: ` + Object.entries(measured)
            .filter(([part]) => part !== 'consoleBackground')
            .map(([part, ratio]) => `${part} ${ratio}`).join(', '));
        for (const [part, ratio] of Object.entries(measured)) {
            if (part === 'consoleBackground') {
                continue;
            }
            if (ratio === null) {
                problems.push(`${theme}: ${part} not found on ${pageName}`);
            } else if (ratio < MIN_CONTRAST) {
                problems.push(`${theme}: ${part} contrast ${ratio} < ${MIN_CONTRAST}`);
            }
        }
        // A terminal is dark whatever the theme.
        const [r, g, b] = measured.consoleBackground ?? [255, 255, 255];
        if (0.2126 * r + 0.7152 * g + 0.0722 * b > 60) {
            problems.push(`${theme}: console background rgb(${r}, ${g}, ${b}) is not dark`);
        }
        await screenshotListing(page, path.join(screenshotDir, `listing-${theme}.png`));
    }
    await context.close();
    if (problems.length > 0) {
        assert.fail(problems.join('\n'));
    }
});

/** Screenshot of the first listing figure and the console block that follows it. */
async function screenshotListing(page, file) {
    const box = await page.evaluate(() => {
        const figure = document.querySelector('figure.listing');
        let end = figure;
        for (let e = figure.nextElementSibling; e; e = e.nextElementSibling) {
            if (e.matches('pre') && e.querySelector('code.language-console')) {
                end = e;
                break;
            }
            if (e.matches('figure.listing')) {
                break;
            }
        }
        const top = figure.getBoundingClientRect();
        const bottom = end.getBoundingClientRect();
        return {
            x: top.left + window.scrollX - 16,
            y: top.top + window.scrollY - 16,
            width: Math.max(top.width, bottom.width) + 32,
            height: bottom.bottom - top.top + 32,
        };
    });
    assert.ok(box.width > 32 && box.height > 32, `the first listing has no visible size: ${JSON.stringify(box)}`);
    await page.screenshot({ path: file, clip: box, fullPage: true });
}

test('screenshot of a listing page', { timeout: 20_000 }, async () => {
    fs.mkdirSync(screenshotDir, { recursive: true });
    const context = await newContext();
    const { page, pageName } = await openListingPage(context);
    const box = await page.locator('figure.listing').first().boundingBox();
    assert.ok(box && box.width > 100 && box.height > 50,
        `${pageName}: the first listing is not visible (box ${JSON.stringify(box)})`);
    const file = path.join(screenshotDir, 'listing-page.png');
    fs.rmSync(file, { force: true });
    await page.screenshot({ path: file, fullPage: true });
    await context.close();
    assert.ok(fs.statSync(file).size > 10_000, `${file} looks empty`);
});

// ---------------------------------------------------------------- accessibility (axe-core)

// WCAG 2.1 levels A and AA, plus axe's heading-order (a best practice, on because a skipped
// heading level also breaks mdBook's "on this page" list).
const AXE_OPTIONS = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    rules: { 'heading-order': { enabled: true } },
    resultTypes: ['violations'],
};
// A theme changes colours only (mdBook swaps CSS variables; the DOM and the layout stay the
// same), so the other rules give the same answer in every theme: they run in the first theme,
// and the colour rules of WCAG 2.1 A/AA run in all five. Half the time of all rules five times.
const AXE_COLOUR_RULES = ['color-contrast', 'link-in-text-block'];
const AXE_COLOUR_OPTIONS = {
    runOnly: { type: 'rule', values: AXE_COLOUR_RULES },
    resultTypes: ['violations'],
};
// Violations that come from mdBook's own HTML and that neither additional-css nor
// additional-js can fix, keyed by rule id, page and CSS selector (as axe reports it). Anything
// not listed here fails the test. Keep ci/README.md's list the same.
const AXE_ALLOWED = [
    {
        rule: 'document-title',
        page: 'toc.html',
        target: 'html',
        reason: 'mdBook writes toc.html (the sidebar frame shown only when JavaScript is off) '
            + 'without a <title>; the page loads no additional-js, and CSS cannot add a title',
    },
];
// Pages checked at the same time (each in its own tab); 2 cores, so 2.
const AXE_PARALLEL = 2;

function allowed(rule, page, target) {
    return AXE_ALLOWED.some(entry => entry.rule === rule && entry.page === page && entry.target === target);
}

test('axe-core finds no WCAG 2.1 A/AA violation on any page in any of the five themes', { timeout: 240_000 }, async t => {
    const pages = bookPages();
    // The longest page first, so the two tabs finish at about the same time.
    pages.sort((a, b) => (b === 'print.html') - (a === 'print.html'));
    const problems = [];
    const counts = Object.fromEntries(THEMES.map(theme => [theme, 0]));
    const seenAllowed = new Set();
    function record(theme, name, result) {
        for (const violation of result.violations) {
            for (const node of violation.nodes) {
                const target = node.target.join(' ');
                if (allowed(violation.id, name, target)) {
                    seenAllowed.add(`${violation.id} ${name} ${target}`);
                    continue;
                }
                counts[theme] += 1;
                const detail = (node.any[0] ?? node.all[0] ?? node.none[0])?.message ?? violation.help;
                problems.push(`${theme} ${name}: ${violation.id} at ${target}: ${detail}`);
            }
        }
    }
    const jobs = [...pages];
    async function worker() {
        // Each page is loaded once in the first theme, then switched through the others with
        // mdBook's own theme menu (the same code a reader's pick runs).
        const context = await newContext();
        await context.addInitScript(value => localStorage.setItem('mdbook-theme', value), THEMES[0]);
        const page = await context.newPage();
        for (let name = jobs.shift(); name; name = jobs.shift()) {
            const started = Date.now();
            await page.goto(`${origin}/${name}`, { waitUntil: 'load' });
            const loaded = Date.now();
            // mdBook fades colours over up to 0.5 s after a theme change; measure the end state.
            await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; }' });
            // Dependencies (<details>) are checked open, as a reader sees them after a click.
            await page.evaluate(() => document.querySelectorAll('details').forEach(d => { d.open = true; }));
            await page.addScriptTag({ url: origin + AXE_URL_PATH });
            // toc.html (the no-JavaScript sidebar frame) runs no script: always light.
            // print.html is every chapter page's content again, one after the other, with the
            // same stylesheets; each chapter page is checked in every theme, so print.html's
            // colours are too. It gets every rule once, in the first theme: its colour runs
            // in the other four themes took 17 of the check's 30 seconds.
            const themes = name === 'toc.html' || name === 'print.html' ? [THEMES[0]] : THEMES;
            for (const theme of themes) {
                if (theme !== THEMES[0]) {
                    await page.evaluate(id => document.getElementById(id).click(), `mdbook-theme-${theme}`);
                }
                if (name !== 'toc.html') {
                    const classes = await page.evaluate(() => document.documentElement.className);
                    assert.ok(classes.split(' ').includes(theme), `${name}: theme ${theme} not applied (${classes})`);
                }
                const options = theme === THEMES[0] ? AXE_OPTIONS : AXE_COLOUR_OPTIONS;
                record(theme, name, await page.evaluate(o => window.axe.run(document, o), options));
            }
            if (process.env.AXE_TIMES) {
                t.diagnostic(`${name}: load ${loaded - started} ms, axe in ${themes.length} themes ${Date.now() - loaded} ms`);
            }
        }
        await context.close();
    }
    await Promise.all(Array.from({ length: AXE_PARALLEL }, worker));
    t.diagnostic(`axe-core ${AXE_VERSION}: ${pages.length} pages, all rules in ${THEMES[0]}, `
        + `${AXE_COLOUR_RULES.join(' and ')} in every theme; violations per theme: `
        + THEMES.map(theme => `${theme} ${counts[theme]}`).join(', '));
    for (const entry of AXE_ALLOWED) {
        if (!seenAllowed.has(`${entry.rule} ${entry.page} ${entry.target}`)) {
            t.diagnostic(`allow-list entry no longer needed: ${entry.rule} ${entry.page} ${entry.target}`);
        }
    }
    if (problems.length > 0) {
        const shown = problems.slice(0, 40);
        assert.fail(`${problems.length} axe-core violations (first ${shown.length}):\n  ${shown.join('\n  ')}`);
    }
});

// ---------------------------------------------------------------- keyboard, print, phone

test('the copy button is reached with Tab, shows with a focus ring, copies on Enter and announces "Copied"', { timeout: 30_000 }, async () => {
    const context = await newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    const { page, pageName } = await openListingPage(context);
    await page.evaluate(() => navigator.clipboard.writeText('(clipboard not written)'));
    const figure = page.locator('figure.listing').first();
    const relativePath = (await figure.locator('figcaption code').first().textContent()).trim();
    const expected = fs.readFileSync(path.resolve(repoRoot, relativePath), 'utf8');
    // Tab from the top of the page until the first listing's copy button has the focus.
    await page.evaluate(() => document.activeElement?.blur());
    let reached = false;
    for (let presses = 0; presses < 200 && !reached; presses++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement
            === document.querySelector('figure.listing pre > .buttons .clip-button'));
    }
    assert.ok(reached, `${pageName}: 200 presses of Tab never reached the first listing's copy button`);
    // mdBook fades the buttons in over 0.1 s.
    await page.waitForFunction(() => getComputedStyle(document.activeElement.closest('.buttons')).opacity === '1',
        null, { timeout: 2_000 }).catch(() => {});
    const look = await page.evaluate(() => {
        const button = document.activeElement;
        const style = getComputedStyle(button);
        const buttons = getComputedStyle(button.closest('.buttons'));
        const box = button.getBoundingClientRect();
        return {
            visibility: buttons.visibility,
            opacity: Number(buttons.opacity),
            width: box.width,
            height: box.height,
            outlineStyle: style.outlineStyle,
            outlineWidth: parseFloat(style.outlineWidth),
        };
    });
    assert.equal(look.visibility, 'visible', `${pageName}: the focused copy button is not visible`);
    assert.equal(look.opacity, 1, `${pageName}: the focused copy button is transparent (opacity ${look.opacity})`);
    assert.ok(look.width > 10 && look.height > 10, `${pageName}: the focused copy button has no size`);
    assert.ok(look.outlineStyle !== 'none' && look.outlineWidth >= 2,
        `${pageName}: the focused copy button has no focus ring (outline ${look.outlineStyle} ${look.outlineWidth}px)`);
    await page.keyboard.press('Enter');
    const status = page.locator('[role="status"][aria-live="polite"]');
    await page.waitForFunction(() => document.querySelector('[role="status"][aria-live="polite"]')
        ?.textContent.trim() === 'Copied', null, { timeout: 5_000 }).catch(() => {});
    const announced = await status.count() > 0 ? (await status.first().textContent()).trim() : '(no live region)';
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    await context.close();
    assert.equal(announced, 'Copied', `${pageName}: after Enter on the copy button the live region says "${announced}"`);
    assert.equal(copied.replace(/\r?\n$/, ''), expected.replace(/\r?\n$/, ''),
        `${pageName}: Enter on the copy button must copy ${relativePath}`);
});

test('the sidebar toggle is a button the keyboard reaches and works', { timeout: 20_000 }, async () => {
    const context = await newContext();
    const { page, pageName } = await openListingPage(context);
    const toggle = page.locator('#mdbook-sidebar-toggle');
    const state = () => page.evaluate(() => ({
        visible: document.documentElement.classList.contains('sidebar-visible'),
        expanded: document.getElementById('mdbook-sidebar-toggle').getAttribute('aria-expanded'),
        role: document.getElementById('mdbook-sidebar-toggle').getAttribute('role'),
        tabIndex: document.getElementById('mdbook-sidebar-toggle').tabIndex,
    }));
    const before = await state();
    assert.equal(before.role, 'button', `${pageName}: the sidebar toggle has role ${before.role}`);
    assert.equal(before.tabIndex, 0, `${pageName}: the sidebar toggle is not in the tab order`);
    await toggle.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(v => document.documentElement.classList.contains('sidebar-visible') !== v, before.visible);
    const after = await state();
    await context.close();
    assert.equal(after.expanded, String(after.visible), `${pageName}: aria-expanded ${after.expanded} but sidebar visible ${after.visible}`);
});

test('printing shows every listing\'s dependencies and keeps each caption with its code', { timeout: 30_000 }, async t => {
    const context = await newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/print.html`, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    const measured = await page.evaluate(() => {
        // Closed, as a reader leaves them: the stylesheet alone must show them on paper.
        document.querySelectorAll('details').forEach(details => { details.open = false; });
        const details = [...document.querySelectorAll('details')];
        const hidden = details
            .filter(d => {
                const code = d.querySelector('pre > code');
                return !code || !code.checkVisibility() || code.getBoundingClientRect().height < 10;
            })
            .map(d => d.querySelector('summary')?.textContent.trim() ?? '(no summary)');
        const captions = [...document.querySelectorAll('figure.listing > figcaption')];
        const strandable = captions
            .filter(c => !['avoid-page', 'avoid'].includes(getComputedStyle(c).breakAfter))
            .map(c => c.textContent.trim().slice(0, 40));
        const unbreakable = [...document.querySelectorAll('figure.listing > pre')]
            .filter(pre => getComputedStyle(pre).breakInside !== 'auto')
            .map(pre => pre.closest('figure').id);
        return { details: details.length, hidden, captions: captions.length, strandable, unbreakable };
    });
    await context.close();
    t.diagnostic(`print.html: ${measured.details} dependency blocks, ${measured.captions} listing captions`);
    assert.ok(measured.details > 0 && measured.captions > 0, 'print.html has no <details> or no listing caption to check');
    assert.deepEqual(measured.hidden, [], 'dependency blocks whose code does not show in print');
    assert.deepEqual(measured.strandable, [], 'captions that a page break may separate from their code (break-after)');
    assert.deepEqual(measured.unbreakable, [], 'listings that cannot break across pages (their caption is left behind)');
});

/** In the page: every listing caption's path, whether it wraps, and where. */
function measureCaptionPaths() {
    const viewport = document.documentElement.clientWidth;
    const result = { viewport, overflow: document.documentElement.scrollWidth - viewport, paths: [] };
    document.querySelectorAll('figure.listing > figcaption').forEach(caption => {
        const code = caption.querySelector('code');
        if (!code) {
            return;
        }
        // The line each character sits on (by its top), and the characters that end a line.
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        const chars = [];
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (let i = 0; i < node.length; i++) {
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + 1);
                const rect = range.getClientRects()[0];
                if (rect) {
                    chars.push({ char: node.data[i], top: Math.round(rect.top), right: rect.right });
                }
            }
        }
        const breaksAfter = [];
        for (let i = 0; i + 1 < chars.length; i++) {
            if (chars[i + 1].top > chars[i].top + 2) {
                breaksAfter.push(code.textContent.slice(0, i + 1));
            }
        }
        const box = caption.getBoundingClientRect();
        result.paths.push({
            path: code.textContent,
            breaksAfter,
            sticksOut: chars.some(c => c.right > box.right + 1) || caption.scrollWidth > caption.clientWidth + 1,
        });
    });
    return result;
}

test('on a 375 px phone a caption\'s path breaks only after "/", and nothing sticks out', { timeout: 40_000 }, async t => {
    const listingPages = chapterPages().filter(name => /<figure class="listing"[ >]/.test(readPage(name)));
    assert.ok(listingPages.length > 0, 'no page with a listing');
    const problems = [];
    let wrapped = 0;
    for (const javaScriptEnabled of [true, false]) {
        const context = await newContext([], { viewport: { width: 375, height: 800 }, isMobile: true, hasTouch: true, javaScriptEnabled });
        const page = await context.newPage();
        for (const name of listingPages) {
            await page.goto(`${origin}/${name}`, { waitUntil: 'load' });
            const measured = await page.evaluate(measureCaptionPaths);
            const mode = javaScriptEnabled ? '' : ' (JavaScript off)';
            if (measured.overflow > 1) {
                problems.push(`${name}${mode}: the page is ${measured.overflow} px wider than the 375 px screen`);
            }
            for (const { path: p, breaksAfter, sticksOut } of measured.paths) {
                if (sticksOut) {
                    problems.push(`${name}${mode}: caption with ${p} sticks out of its bar`);
                }
                if (javaScriptEnabled) {
                    wrapped += breaksAfter.length > 0;
                    for (const head of breaksAfter) {
                        if (!head.endsWith('/')) {
                            problems.push(`${name}: ${p} breaks after "${head.slice(-12)}", not after a "/"`);
                        }
                    }
                }
            }
        }
        await context.close();
    }
    t.diagnostic(`${wrapped} caption paths wrap at 375 px (JavaScript on)`);
    assert.ok(wrapped > 0, 'no caption path wraps at 375 px: the check would prove nothing');
    if (problems.length > 0) {
        assert.fail(problems.join('\n'));
    }
});

/** The smallest rendered size of a figure's text, in CSS pixels: the least a reader can read. */
const MIN_FIGURE_TEXT_PX = 10;

/**
 * In the page: each timeline figure's accessible name and description, how wide it is
 * against its figure and the screen, whether the figure scrolls and can be reached by
 * keyboard, the rendered size of its smallest text, and, for its text, the contrast of its
 * fill (the SVG has no colours of its own: theme/figures.css gives them) against the page
 * behind it.
 */
function measureTimelines() {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    function rgba(css) {
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = css;
        ctx.fillRect(0, 0, 1, 1);
        return [...ctx.getImageData(0, 0, 1, 1).data];
    }
    const rgb = css => rgba(css).slice(0, 3);
    // The colour behind an element: the nearest opaque background of it or its ancestors,
    // else the theme's page colour.
    function behind(element) {
        for (let e = element; e; e = e.parentElement) {
            const colour = rgba(getComputedStyle(e).backgroundColor);
            if (colour[3] === 255) {
                return colour.slice(0, 3);
            }
        }
        return rgb(getComputedStyle(document.documentElement).getPropertyValue('--bg'));
    }
    function luminance([r, g, b]) {
        const lin = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    }
    function ratio(a, b) {
        const [l1, l2] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100;
    }
    const viewport = document.documentElement.clientWidth;
    return [...document.querySelectorAll('figure.timeline, figure.plot')].map(figure => {
        const svg = figure.querySelector('svg');
        if (!svg) {
            return { id: '(a figure without an svg)' };
        }
        const ids = (svg.getAttribute('aria-labelledby') ?? '').split(/\s+/).filter(Boolean);
        const texts = ids.map(id => document.getElementById(id)?.textContent.trim() ?? '');
        const box = svg.getBoundingClientRect();
        const figureBox = figure.getBoundingClientRect();
        const label = svg.querySelector('text.label') ?? svg.querySelector('text');
        // The marks drawn in the text colour: a timeline's numbered dots, a plot's markers
        // (<use> copies of a shape, which take their fill from the <use>).
        const marks = [...svg.querySelectorAll('.printed circle, use')]
            .map(mark => ratio(rgb(getComputedStyle(mark).fill), behind(figure)));
        // Font size times the scale the SVG is drawn at: the size on the screen (the length
        // of the matrix's first column, so that rotated text, such as an axis title, counts).
        const textSizes = [...svg.querySelectorAll('text')].map(text => {
            const { a, b } = text.getScreenCTM();
            return parseFloat(getComputedStyle(text).fontSize) * Math.hypot(a, b);
        });
        return {
            id: ids[0] ?? '(no aria-labelledby)',
            role: svg.getAttribute('role'),
            name: texts[0] ?? '',
            description: texts[1] ?? '',
            width: box.width,
            figureWidth: figureBox.width,
            figureRight: figureBox.right,
            viewport,
            pageOverflow: document.documentElement.scrollWidth - viewport,
            // Wider than its figure: the figure must scroll sideways (it does not stick out).
            scrolls: figure.scrollWidth > figure.clientWidth + 1,
            overflowX: getComputedStyle(figure).overflowX,
            // Reachable by keyboard, with a name (the SVG's or the figure's).
            focusable: svg.tabIndex >= 0 || figure.tabIndex >= 0,
            smallestText: Math.min(...textSizes),
            visible: svg.checkVisibility() && box.height > 10,
            labelContrast: label ? ratio(rgb(getComputedStyle(label).fill), behind(figure)) : null,
            markContrast: marks.length > 0 ? Math.min(...marks) : null,
        };
    });
}

test('timeline and plot figures are named and described, readable in every theme, on a phone and on paper', { timeout: 90_000 }, async t => {
    const figurePages = chapterPages().filter(name => name !== 'index.html' && /<figure class="(timeline|plot)">/.test(readPage(name)));
    // One page of each kind of figure, for the checks in every theme.
    const themePages = [...new Set(['timeline', 'plot']
        .map(kind => figurePages.find(name => readPage(name).includes(`<figure class="${kind}">`)))
        .filter(Boolean))];
    assert.ok(figurePages.length > 0, 'no page with a timeline figure: the check would prove nothing');
    const problems = [];
    let figures = 0;
    let scrolling = 0;
    const px = value => `${Math.round(value * 10) / 10} px`;
    // `fits`: the whole drawing shows, not scrolled (a wide screen, paper). Else (a phone)
    // it may scroll sideways inside its figure, which must not stick out of the page.
    const check = (where, measured, { themeOnly = false, fits = true, legible = true } = {}) => {
        for (const m of measured) {
            if (m.labelContrast !== null && m.labelContrast < MIN_CONTRAST) {
                problems.push(`${where} ${m.id}: its text has a contrast of ${m.labelContrast} < ${MIN_CONTRAST}`);
            }
            // WCAG 1.4.11: graphics that carry meaning need 3:1 against what is behind them.
            if (m.markContrast !== null && m.markContrast < 3) {
                problems.push(`${where} ${m.id}: a mark it draws has a contrast of ${m.markContrast} < 3`);
            }
            if (themeOnly) {
                continue;
            }
            figures += 1;
            if (m.role !== 'img' || m.name.length < 10 || m.description.length < 40) {
                problems.push(`${where} ${m.id}: role ${m.role}, name "${m.name}", description of ${m.description?.length} characters`);
            }
            if (!m.visible) {
                problems.push(`${where} ${m.id}: not visible`);
            }
            if (legible && m.smallestText < MIN_FIGURE_TEXT_PX - 0.05) {
                problems.push(`${where} ${m.id}: its smallest text is drawn at ${px(m.smallestText)}, under ${MIN_FIGURE_TEXT_PX} px`);
            }
            if (m.figureRight > m.viewport + 1 || m.pageOverflow > 1) {
                problems.push(`${where} ${m.id}: the figure ends at ${px(m.figureRight)} on a ${m.viewport} px page (the page is ${px(m.pageOverflow)} too wide)`);
            }
            if (fits && (m.width > m.figureWidth + 1 || m.scrolls)) {
                problems.push(`${where} ${m.id}: ${px(m.width)} wide in a ${px(m.figureWidth)} figure: not shown whole`);
            }
            if (!fits && m.width > m.figureWidth + 1) {
                scrolling += 1;
                if (!m.scrolls || !['auto', 'scroll'].includes(m.overflowX) || !m.focusable) {
                    problems.push(`${where} ${m.id}: ${px(m.width)} wide in a ${px(m.figureWidth)} figure that does not scroll sideways `
                        + `(overflow-x ${m.overflowX}) or cannot be reached by keyboard (focusable: ${m.focusable})`);
                }
            }
        }
    };
    // Every figure on a wide screen: whole and legible.
    const wide = await newContext();
    const widePage = await wide.newPage();
    for (const name of figurePages) {
        await widePage.goto(`${origin}/${name}`, { waitUntil: 'load' });
        check(`${name} (1280 px)`, await widePage.evaluate(measureTimelines));
    }
    await wide.close();
    // Every figure on a 375 px phone, without JavaScript (mdBook's default theme): legible,
    // scrolling sideways inside the page.
    const phone = await newContext([], { viewport: { width: 375, height: 800 }, isMobile: true, javaScriptEnabled: false });
    const phonePage = await phone.newPage();
    for (const name of figurePages) {
        await phonePage.goto(`${origin}/${name}`, { waitUntil: 'load' });
        check(`${name} (375 px)`, await phonePage.evaluate(measureTimelines), { fits: false });
    }
    await phone.close();
    t.diagnostic(`${scrolling} figures scroll sideways at 375 px`);
    // In a 375 px window with JavaScript (a desktop browser zoomed to 400% is as narrow): axe
    // passes (scrollable-region-focusable, among the rest), and a keyboard user who tabs to a
    // figure scrolls it with the arrow keys.
    const phoneJs = await newContext([], { viewport: { width: 375, height: 800 } });
    const axePage = await phoneJs.newPage();
    for (const name of figurePages) {
        await axePage.goto(`${origin}/${name}`, { waitUntil: 'load' });
        await axePage.addScriptTag({ url: origin + AXE_URL_PATH });
        const result = await axePage.evaluate(o => window.axe.run(document, o), AXE_OPTIONS);
        for (const violation of result.violations) {
            problems.push(`${name} (375 px): axe ${violation.id} at ${violation.nodes.map(n => n.target.join(' ')).join(', ')}`);
        }
    }
    await axePage.goto(`${origin}/${figurePages[0]}`, { waitUntil: 'load' });
    await axePage.keyboard.press('Tab');
    for (let i = 0; i < 300 && !(await axePage.evaluate(() => document.activeElement?.closest('figure.timeline'))); i++) {
        await axePage.keyboard.press('Tab');
    }
    const scrolled = await axePage.evaluate(() => document.activeElement?.closest('figure.timeline')?.scrollLeft);
    await axePage.keyboard.press('ArrowRight');
    await axePage.waitForFunction(() => document.activeElement?.closest('figure.timeline')?.scrollLeft > 0, null, { timeout: 2_000 })
        .catch(() => problems.push(`${figurePages[0]} (375 px): Tab does not reach a timeline figure, or ArrowRight does not scroll it (scrollLeft ${scrolled})`));
    await phoneJs.close();
    // The text of one page's figures in each of the five themes.
    for (const theme of THEMES) {
        const context = await newContext();
        await context.addInitScript(value => localStorage.setItem('mdbook-theme', value), theme);
        const page = await context.newPage();
        for (const name of themePages) {
            await page.goto(`${origin}/${name}`, { waitUntil: 'load' });
            await page.waitForTimeout(600); // mdBook fades colours in on a theme change.
            const measured = await page.evaluate(measureTimelines);
            const least = key => Math.min(...measured.map(m => m[key] ?? Infinity));
            t.diagnostic(`${theme}, ${name}: text contrast ${least('labelContrast')}, marks ${least('markContrast')}`);
            check(`${name} (${theme})`, measured, { themeOnly: true });
        }
        await context.close();
    }
    // On paper: every figure of print.html shows whole, scaled to the page's width, here a
    // narrow one (480 px), where the screen's layout would scroll.
    const context = await newContext([], { viewport: { width: 480, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${origin}/print.html`, { waitUntil: 'load' });
    await page.emulateMedia({ media: 'print' });
    check('print.html (print, 480 px)', await page.evaluate(measureTimelines), { legible: false });
    await context.close();
    t.diagnostic(`${figures} figures checked on ${figurePages.length} pages at 1280 and 375 px and in print.html`);
    if (problems.length > 0) {
        assert.fail(problems.join('\n'));
    }
});
