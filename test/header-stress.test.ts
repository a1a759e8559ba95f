/**
 * The loader under hostile headers: adversarial structures end in a typed
 * error within a time bound, and the largest hostile headers load in a child
 * whose V8 heap is capped. The bounds themselves, at the bound and one past
 * it, are in header-bounds.test.ts. These cases time and spawn, so the
 * mutation runs leave this file out (vitest.mutation.config.ts).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deserialize, TinyMlpError } from "../src/index.js";
import { headerOnlyFile } from "./helpers.js";

const file = headerOnlyFile;

describe("hostile headers", () => {
  it("adversarial structures end in a typed error or a model, fast (400 cases)", () => {
    // pieces a hostile header is made of; repeated up to 200,000 times (~1.2 MB)
    const piece = fc.constantFrom("[", "]", "{", "}", "[]", "{}", ",", "0", '"a"', '"\\"', ":", '{"a":', " ", "1e999");
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.integer({ min: 1, max: 40_000 })), { maxLength: 6 }), (parts) => {
        const text = parts.map(([p, n]) => p.repeat(n)).join("");
        const t0 = performance.now();
        try {
          deserialize(file(text));
        } catch (e) {
          if (!(e instanceof TinyMlpError)) throw e;
        }
        // measured: ≤ 15 ms for these sizes on a quiet machine (≈ 11 ns per header byte); 40× room for a busy one
        expect(performance.now() - t0).toBeLessThan(600);
      }),
      { numRuns: 400 },
    );
  });

  it("the largest hostile headers load in a child with a 64 MB V8 heap (unbounded, they needed 520 MB)", async () => {
    const tsx = join("node_modules", ".bin", "tsx");
    const child = spawn(tsx, [join("test", "fixtures", "hostile-headers.ts")], {
      env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=64" },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(err.slice(0, 2000)).toBe("");
    expect(code).toBe(0);
    const results = out
      .split("\n")
      .filter((l) => l.startsWith("RESULT "))
      .map((l) => JSON.parse(l.slice(7)) as { name: string; size: number; ms: number; outcome: string });
    expect(Object.fromEntries(results.map((r) => [r.name, r.outcome.replace(/ \(at byte \d+\)/, "")]))).toEqual({
      nested: "header: nesting deeper than 32 levels",
      objects: "header: more than 50000 objects and arrays",
      numbers: "header: more than 1000000 values",
      strings: "header: more than 1000000 values",
      inside: "header: expected an object", // parsed: within every limit
      history: "header: expected an object",
    });
    // measured: ≤ 95 ms per 8 MiB header on a quiet machine; 30× room for a busy one
    for (const r of results) expect(r.ms, r.name).toBeLessThan(3000);
  }, 60_000);
});
