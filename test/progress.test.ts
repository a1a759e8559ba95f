/**
 * ProgressBar in a terminal without its optional display package: training
 * goes on with plain progress lines (it used to throw), and those lines show
 * the running mean of the loss, the figure the epoch line reports.
 */
import { describe, expect, it, vi } from "vitest";
import { Dense, Sequential, SGD, Tensor } from "../src/index.js";
import { ProgressBar } from "../src/node.js";

vi.mock("cli-progress", () => {
  throw new Error("Cannot find package 'cli-progress'");
});

describe("ProgressBar without cli-progress", () => {
  it("falls back to plain lines with the running mean loss", async () => {
    const out: string[] = [];
    const stream = { isTTY: true, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const m = new Sequential({ inputShape: [2], seed: 1 });
    m.add(new Dense({ units: 1 }));
    m.compile({ optimizer: new SGD({ lr: 0.1 }), loss: "meanSquaredError" });
    const x = Tensor.from(Array.from({ length: 40 }, (_, i) => [i / 40, 1 - i / 40]));
    const y = Tensor.from(Array.from({ length: 40 }, (_, i) => [i / 20]));
    const losses: number[] = [];
    const h = await m.fit(x, y, {
      epochs: 1,
      batchSize: 2,
      shuffle: false,
      callbacks: [
        new ProgressBar({ epochs: 1, batchesPerEpoch: 20, stream }),
        {
          onBatchEnd: (_b, l) => {
            losses.push(l.loss ?? 0);
          },
        },
      ],
    });
    const lines = out
      .join("")
      .split("\n")
      .filter((l) => l.startsWith("  epoch 1/1:"));
    expect(lines.length).toBe(9); // at 10%, 20%, … 90%
    const mean4 = (losses.slice(0, 4).reduce((a, b) => a + b) / 4).toFixed(4);
    expect(lines[1]).toBe(`  epoch 1/1: 20% (4/20 batches), loss ${mean4}`);
    expect(out.join("")).toContain(`epoch 1/1  loss ${(h.history.loss?.[0] ?? 0).toFixed(4)}`);
  });
});
