/**
 * Fails on an `expect(…).rejects` / `expect(…).resolves` assertion in test/
 * that is not awaited (or returned): such an assertion runs after its test
 * has passed, so it can never fail it. (Biome cannot see this: it does not
 * know vitest's types.)
 *
 *   npm run check:awaits
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const problems: string[] = [];
const files = readdirSync("test", { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
for (const f of files) {
  const text = readFileSync(join("test", f), "utf8");
  for (let i = text.indexOf("expect("); i >= 0; i = text.indexOf("expect(", i + 1)) {
    if (/[\w.$]/.test(text[i - 1] ?? "")) continue; // e.g. `myexpect(` or `fc.expect(`
    // the matching parenthesis of expect(
    let depth = 0;
    let j = i + "expect".length;
    for (; j < text.length; j++) {
      if (text[j] === "(") depth++;
      else if (text[j] === ")" && --depth === 0) break;
    }
    const after = text.slice(j + 1, j + 12);
    if (!/^\s*\.(rejects|resolves)\b/.test(after)) continue;
    const before = text.slice(Math.max(0, i - 12), i);
    if (/(await|return)\s+$/.test(before)) continue;
    const line = text.slice(0, i).split("\n").length;
    problems.push(`test/${f}:${line}: expect(…).${/rejects/.test(after) ? "rejects" : "resolves"} is not awaited`);
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`every rejects/resolves assertion is awaited (${files.length} test files)`);
