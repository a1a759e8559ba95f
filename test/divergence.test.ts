/**
 * The divergence watch: warns once when the smoothed loss climbs above both
 * 100× its running minimum and the first loss; stays quiet on a converged
 * net's noise; fit reports through onDivergence (default console.warn).
 */
import { describe, expect, it, vi } from "vitest";
import {
  Adam,
  Dense,
  type DivergenceInfo,
  DivergenceWatch,
  Sequential,
  SGD,
  Tensor,
  ValueError,
} from "../src/index.js";

function feed(losses: number[]): DivergenceInfo[] {
  const seen: DivergenceInfo[] = [];
  const w = new DivergenceWatch((d) => seen.push(d));
  losses.forEach((l, b) => {
    w.update(0, b, l);
  });
  return seen;
}

describe("DivergenceWatch", () => {
  it("fires once, at the first batch where the smoothed loss passes both bounds", () => {
    // smoothed after batch 1: 0.9·1 + 0.1·1e4 = 1000.9 > 100 × min(1) and > start 1
    const seen = feed([1, 1e4, 1e5, 1e6]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toEqual({ epoch: 0, batch: 1, loss: 1e4, smoothed: 0.9 + 1000, minimum: 1, start: 1 });
    // just under: 0.9·1 + 0.1·990 = 99.9, and then 0.9·99.9 + 0.1·0 = 89.91: never above 100 × 1
    expect(feed([1, 990, 0])).toHaveLength(0);
    expect(feed([1, 1000, 0])).toHaveLength(1); // 0.9 + 100 = 100.9: just over
  });

  it("stays quiet when a converged loss is noisy but below where it started", () => {
    const losses = [0.7, 0.3, 0.1, 0.01, 1e-4, ...Array.from({ length: 200 }, (_, i) => (i % 10 === 0 ? 1e-2 : 1e-5))];
    expect(feed(losses)).toHaveLength(0); // rises 1000× over the minimum, but never above 0.7
    expect(feed(new Array(100).fill(2.3))).toHaveLength(0);
  });
});

describe("fit and divergence", () => {
  const x = Tensor.from(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 7) / 7, (i % 3) / 3]));
  const y = Tensor.from(Array.from({ length: 64 }, (_, i) => i % 3));
  const model = (lr: number): Sequential => {
    const m = new Sequential({ inputShape: [4], seed: 1 });
    m.add(new Dense({ units: 8, activation: "relu" }));
    m.add(new Dense({ units: 3 }));
    m.compile({ optimizer: new Adam({ lr }), loss: "sparseCategoricalCrossEntropy" });
    return m;
  };

  it("Adam at lr 1e6 is reported once, and training goes on", async () => {
    const seen: DivergenceInfo[] = [];
    const h = await model(1e6).fit(x, y, { epochs: 3, batchSize: 8, onDivergence: (d) => seen.push(d) });
    expect(h.history.loss).toHaveLength(3);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.smoothed).toBeGreaterThan(100 * (seen[0]?.minimum ?? 0));
  });

  it("warns with console.warn by default, once; null silences it; a good run says nothing", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await model(1e6).fit(x, y, { epochs: 2, batchSize: 8 });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(
        /^fit: the loss may be diverging: \S+ \(smoothed\) at epoch 1, batch \d+, up from a minimum of 1\.\d+ and a start of 1\.\d+; try a smaller learning rate/,
      );
      await model(1e6).fit(x, y, { epochs: 2, batchSize: 8, onDivergence: null });
      await model(1e-2).fit(x, y, { epochs: 20, batchSize: 8 });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
    const m = new Sequential({ inputShape: [4], layers: [new Dense({ units: 3 })] });
    m.compile({ optimizer: new SGD(), loss: "sparseCategoricalCrossEntropy" });
    const bad = m.fit(x, y, { onDivergence: 3 as never });
    await expect(bad).rejects.toBeInstanceOf(ValueError);
    await expect(bad).rejects.toThrow(/^fit: onDivergence must be a function or null, got 3$/);
  });
});
