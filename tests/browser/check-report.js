// check-report.js - open the built HTML report in Debian's chromium (headless, through
// puppeteer-core) and check what a reader gets: every image loads, the maths is rendered
// (MathML, no raw TeX left), every in-page link (contents, figures, citations) resolves,
// the contents stay beside the text on a wide screen, figures open full size, each
// generated value shows its provenance on hover, no console error and no network request.
// A screenshot of each chapter's opening is kept under OUT_DIR.
//
// Usage: node tests/browser/check-report.js REPORT.html OUT_DIR
// Prints one "ok"/"FAIL" line per check and ends with "N passed, N failed".
'use strict';
const path = require('path');
const fs = require('fs');
const puppeteer = require('puppeteer-core');

const [report, outDir] = process.argv.slice(2);
if (!report || !outDir) {
  console.error('usage: node check-report.js REPORT.html OUT_DIR');
  process.exit(2);
}
let passed = 0, failed = 0;
function check(what, ok, detail) {
  if (ok) { passed++; console.log(`  ok   ${what}`); }
  else { failed++; console.log(`  FAIL ${what}${detail ? ': ' + detail : ''}`); }
}

(async () => {
  fs.mkdirSync(outDir, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    protocolTimeout: 120000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1440, height: 900 });
    const network = [], consoleErrors = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      const url = req.url();
      if (/^(file|data|about|blob):/.test(url)) req.continue();
      else { network.push(url); req.abort(); }
    });
    page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
    page.on('pageerror', (err) => consoleErrors.push(String(err)));
    await page.goto('file://' + path.resolve(report), { waitUntil: 'load', timeout: 60000 });

    const images = await page.$$eval('img', (imgs) => imgs.map((i) => ({
      ok: i.complete && i.naturalWidth > 0, alt: i.alt || i.src.slice(0, 40) })));
    const broken = images.filter((i) => !i.ok).map((i) => i.alt);
    check(`every image loads (${images.length})`, images.length > 0 && broken.length === 0,
          broken.slice(0, 3).join('; '));

    const math = await page.$$eval('math', (m) => m.length);
    const rawTex = await page.evaluate(() => {
      const text = document.body.innerText;
      const hits = text.match(/\\(frac|mathrm|sum|log|cdot|left|right|begin)\b|\$\$/g);
      return hits ? hits.slice(0, 5) : [];
    });
    check(`maths rendered as MathML (${math} formulas), no raw TeX left`,
          math > 0 && rawTex.length === 0, rawTex.join(' '));

    const links = await page.$$eval('a[href^="#"]', (as) => as.map((a) => {
      const id = decodeURIComponent(a.getAttribute('href').slice(1));
      let kind = 'other';
      if (a.closest('nav#TOC')) kind = 'contents';
      else if (id.startsWith('ref-')) kind = 'citation';
      else if (id.startsWith('fig')) kind = 'figure';
      return { kind, id, ok: id === '' || document.getElementById(id) !== null };
    }));
    for (const kind of ['contents', 'figure', 'citation']) {
      const these = links.filter((l) => l.kind === kind);
      const bad = these.filter((l) => !l.ok).map((l) => l.id);
      check(`every ${kind} link resolves (${these.length})`, these.length > 0 && bad.length === 0,
            bad.slice(0, 5).join(', '));
    }
    const other = links.filter((l) => l.kind === 'other' && !l.ok).map((l) => l.id);
    check('every other in-page link resolves', other.length === 0, other.slice(0, 5).join(', '));

    const toc = await page.$eval('nav#TOC', (n) => getComputedStyle(n).position).catch(() => 'none');
    check('the contents stay beside the text on a wide screen', toc === 'fixed', toc);

    const figure = await page.$('figure img');
    if (figure) {
      await figure.evaluate((img) => img.scrollIntoView());
      await figure.click();
      const zoomed = await page.$eval('figure img', (img) => img.closest('figure').classList.contains('zoomed'));
      await page.keyboard.press('Escape');
      check('a figure opens full size on click', zoomed);
    } else check('a figure opens full size on click', false, 'no figure');

    // Provenance: hover a sample of generated values; each must show its query.
    const values = await page.$$('.nnq');
    const sample = values.filter((_, i) => i % Math.max(1, Math.floor(values.length / 8)) === 0).slice(0, 8);
    let shown = 0;
    for (const v of sample) {
      await v.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await v.hover();
      const tip = await page.evaluate(() => {
        const t = document.querySelector('.nnq-tip');
        return t && getComputedStyle(t).display !== 'none' ? t.innerText : '';
      });
      if (/SELECT/i.test(tip) && /run/i.test(tip)) shown++;
    }
    check(`provenance shows on hover (${shown} of ${sample.length} sampled, ${values.length} values)`,
          sample.length > 0 && shown === sample.length);

    // Values inside formulas: their provenance follows the formula (.nnq-math) and shows
    // when the formula itself is hovered. Every formula that holds a value must have it.
    const formulas = await page.$$('.nnq-formula');
    const orphans = await page.evaluate(() =>
      [...document.querySelectorAll('.nnq-math')].filter((s) => {
        let m = s.previousElementSibling;
        while (m && m.classList.contains('nnq-math')) m = m.previousElementSibling;
        return !m || !m.classList.contains('nnq-formula');
      }).length);
    let formulaShown = 0;
    const formulaSample = formulas.slice(0, 4);
    for (const m of formulaSample) {
      await m.evaluate((el) => el.scrollIntoView({ block: 'center' }));
      await m.hover();
      const tip = await page.evaluate(() => {
        const t = document.querySelector('.nnq-tip');
        return t && getComputedStyle(t).display !== 'none' ? t.innerText : '';
      });
      if (/SELECT/i.test(tip)) formulaShown++;
    }
    check(`a formula's values show their provenance on hover (${formulaShown} of ` +
          `${formulaSample.length} sampled, ${formulas.length} formulas, ${orphans} notes without one)`,
          orphans === 0 && formulaShown === formulaSample.length);

    // One screenshot per chapter, at its heading.
    const chapters = await page.$$('h1[id]');
    for (let i = 0; i < chapters.length; i++) {
      await chapters[i].evaluate((h) => h.scrollIntoView());
      await page.screenshot({ path: path.join(outDir, `chapter-${String(i + 1).padStart(2, '0')}.png`) });
    }
    check(`a screenshot per chapter (${chapters.length})`, chapters.length > 0);

    check('no console error', consoleErrors.length === 0, consoleErrors.slice(0, 3).join(' | '));
    check('no network request', network.length === 0, network.slice(0, 3).join(' '));
  } finally {
    await browser.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})().catch((err) => {
  console.error(`browser: ${err && err.message ? err.message : err}`);
  console.log(`browser: ${passed} passed, ${failed + 1} failed`);
  process.exit(1);
});
