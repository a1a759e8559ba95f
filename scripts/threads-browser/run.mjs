// Threads in browsers, by hand (not in CI): trains the same model in a Web Worker
// with 1 thread, then 2 threads three times, in Chromium and Firefox ESR, and
// prints the weights' hashes, which must all be equal. Needs `npm run build`.
//
//   node scripts/threads-browser/run.mjs
//
// Measured 2026-12-04: Chromium 156 gave the same hash for all four runs,
// twice; Firefox ESR 153 once gave another hash for the third two-thread run
// and once matched throughout (single products split over two threads always
// matched), and in the demo's browser test a two-thread stop/resume missed.
// Not understood yet: a race only Firefox exposes, or a helper thread whose
// floating-point state differs. Until then the demo trains on one thread.

import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join } from "node:path";
import puppeteer from "puppeteer-core";

// Serves this folder (with the library's dist/ under /dist/) with COOP/COEP headers.
const here = new URL(".", import.meta.url).pathname;
const dist = new URL("../../dist/", import.meta.url).pathname;
const server = createServer((req, res) => {
  const url = req.url.split("?")[0];
  const f = url.startsWith("/dist/") ? join(dist, url.slice(6)) : join(here, url === "/" ? "index.html" : url);
  if (!existsSync(f)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    "Content-Type": extname(f) === ".html" ? "text/html" : "text/javascript",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
  });
  res.end(readFileSync(f));
});
await new Promise((r) => server.listen(8765, "127.0.0.1", r));
for (const which of ["chromium", "firefox"]) {
  const browser =
    which === "firefox"
      ? await puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true })
      : await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  await page.goto("http://127.0.0.1:8765/");
  await page.waitForFunction(() => document.title === "done", { timeout: 60000 });
  console.log(`${which}:\n${await page.evaluate(() => window.result)}`);
  await browser.close();
}
server.close();
