/**
 * What the browser tests stand on: the demo built as a static site, served
 * by a plain static file server (node:http, nothing Vite-specific, under a
 * sub-folder to show the relative URLs hold), and the system's Chromium or
 * Firefox driven headless by puppeteer-core. Nothing downloads a browser:
 * the executables are Debian's `chromium` and `firefox-esr` packages
 * (`apt-get install -y chromium firefox-esr`, which .ci/run does when they
 * are missing), or CHROMIUM_PATH / FIREFOX_PATH.
 */
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { build } from "vite";

/** The browser the tests drive: TINYMLP_BROWSER=firefox, else Chromium. */
export const browserName: "chromium" | "firefox" = process.env.TINYMLP_BROWSER === "firefox" ? "firefox" : "chromium";

/** The browser's name for test titles. */
export const browserTitle = browserName === "firefox" ? "Firefox" : "Chromium";

/** The Firefox to drive: FIREFOX_PATH, else Debian's firefox-esr (apt-get install -y firefox-esr). */
export function firefoxPath(): string {
  const env = process.env.FIREFOX_PATH;
  if (env) return env;
  for (const p of ["/usr/bin/firefox-esr", "/usr/bin/firefox"]) {
    if (existsSync(p)) return p;
  }
  throw new Error("no Firefox found: install Debian's package (apt-get install -y firefox-esr) or set FIREFOX_PATH");
}

/** The Chromium to drive: CHROMIUM_PATH, else the first system one found. */
export function chromiumPath(): string {
  const env = process.env.CHROMIUM_PATH;
  if (env) return env;
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    if (existsSync(p)) return p;
  }
  throw new Error("no Chromium found: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

/** Builds the demo into a temporary folder and serves it as static files at `${url}`. */
export async function serveDemo(): Promise<{ url: string; close: () => Promise<void> }> {
  const outDir = mkdtempSync(join(tmpdir(), "tinymlp-demo-"));
  await build({ configFile: "demo/vite.config.ts", logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const prefix = "/some/folder/";
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0] as string);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    let file = normalize(join(outDir, path.slice(prefix.length)));
    if (!file.startsWith(outDir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    // cross-origin isolated, as the demo's dev and preview servers are: the page gets shared memory and threads
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cross-Origin-Embedder-Policy": "require-corp",
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The browser, headless: Chromium over the DevTools protocol (no sandbox when
 * running as root, as in CI containers), or Firefox over WebDriver BiDi.
 */
export function launch(): Promise<Browser> {
  if (browserName === "firefox") {
    return puppeteer.launch({ browser: "firefox", executablePath: firefoxPath(), headless: true });
  }
  const args = ["--disable-dev-shm-usage"];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return puppeteer.launch({ executablePath: chromiumPath(), headless: true, args });
}

/** A page that records every console error and uncaught exception into `errors`. */
export async function openPage(browser: Browser, url: string, errors: string[]): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()} (${m.location().url ?? ""})`);
  });
  page.on("pageerror", (e) => errors.push(`uncaught: ${e instanceof Error ? e.message : String(e)}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  await page.goto(url, { waitUntil: "load" });
  await page.waitForSelector("body[data-ready]");
  return page;
}
