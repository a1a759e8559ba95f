/**
 * Writers whose memory is proportional to their output: each writer runs on
 * a 103 MB model (784-20,000-500-10, float32) in a child whose V8 heap is
 * capped at 64 MB (test/fixtures/writer-memory.ts), and its peak RSS above
 * the built model must stay within 1.25× the weights plus 32 MB. The bound's
 * arithmetic: the output is one buffer of the weights' size plus headers
 * (1×), and a writer that references the weights instead of copying them
 * needs nothing else of that order; 0.25× and 32 MB are room for the
 * child's code, the headers and the allocator's slack, and far below a
 * second copy. The old ONNX writer (one JS array element per byte) died of
 * heap exhaustion here; the old TF.js writer copied every weight once more
 * before the final buffer (1.96×).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const tsx = join("node_modules", ".bin", "tsx");

function child<T>(which: string): T {
  const r = spawnSync(tsx, [join("test", "fixtures", "writer-memory.ts"), which], {
    encoding: "utf8",
    env: { ...process.env, NODE_OPTIONS: "--max-old-space-size=64" },
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined)
    throw new Error(`writer ${which} printed no result (exit ${r.status}):\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

describe("writers' memory on a 103 MB model, in a child with a 64 MB V8 heap", () => {
  for (const which of ["onnx", "tfjs", "tmlp"]) {
    it(`${which}: peak RSS above the built model ≤ 1.25 × the weights + 32 MB`, () => {
      const r = child<{ weightBytes: number; outBytes: number; peakAboveBaseline: number }>(which);
      expect(r.weightBytes).toBe(102_822_040); // 4 · (784·20,000 + 20,000 + 20,000·500 + 500 + 500·10 + 10)
      expect(r.outBytes).toBeGreaterThanOrEqual(r.weightBytes);
      expect(r.peakAboveBaseline).toBeLessThanOrEqual(1.25 * r.weightBytes + 32 * 2 ** 20);
      console.log(
        `${which}: output ${(r.outBytes / 2 ** 20).toFixed(1)} MiB, peak above the model ${(r.peakAboveBaseline / 2 ** 20).toFixed(1)} MiB (${(r.peakAboveBaseline / r.weightBytes).toFixed(2)}× the weights)`,
      );
    });
  }

  it("a model past protobuf's 2 GiB is refused, typed, from the summed sizes before any output is allocated", () => {
    // 784 → 700,000 without bias: 548.8 M float32 weights, 2,195,200,000 bytes (2.2 GB, touched: ~2.2 GB RSS)
    const r = child<{ message: string; ms: number }>("onnx-2g");
    expect(r.message).toBe(
      "ValueError: toOnnx: the model would be a 2,195,200,329-byte ONNX file; protobuf, and so ONNX, cannot hold a message over 2,147,483,647 bytes (2 GiB) without external data, which tinymlp does not write",
    );
  });
});
