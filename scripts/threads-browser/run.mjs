// Threads in browsers, by hand (not in CI): trains the same model in a Web Worker
// with 1 thread, then 2 threads three times, in Chromium and Firefox ESR, and
// prints the weights' hashes, which must all be equal. Needs `npm run build`.
//
//   node scripts/threads-browser/run.mjs [chromium|firefox] [two-thread runs, default 3]
//
// Each run's progress is kept, so a page that hangs says where.
//
// Measured 2026-12-05, Firefox ESR 153: before the fixes, 2–7 of 100 two-thread
// runs ended on another hash (a helper could run a job twice when
// Atomics.wait returned with the sequence unchanged) and series hung in
// `new Worker()`; after them (the helper loops until the sequence moves;
// helpers are reused), 300 of 300 matched. Chromium: 60 of 60 before them.

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
const only = process.argv[2];
const runs = Number(process.argv[3] ?? 3);
const many = Number(process.argv[4] ?? 2);
for (const which of only ? [only] : ["chromium", "firefox"]) {
  const browser =
    which === "firefox"
      ? await puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true })
      : await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:8765/?runs=${runs}&t=${many}`);
  try {
    await page.waitForFunction(() => document.title === "done", { timeout: 30000 + 3000 * runs });
    console.log(`${which}:\n${await page.evaluate(() => window.result)}`);
  } catch (e) {
    console.log(
      `${which}: no result (${e.message.split("\n")[0]}); progress:\n${(await page.evaluate(() => window.progress)).join("\n")}`,
    );
  }
  await browser.close();
}
server.close();
