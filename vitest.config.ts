import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // the real-browser tests run on their own: npm run test:browser (vitest.browser.config.ts)
    exclude: ["test/browser/**", "node_modules/**"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
