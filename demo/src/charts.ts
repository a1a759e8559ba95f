/**
 * The two live charts (Chart.js): loss on a log axis, with the running
 * training loss drawn as batches finish and the validation loss per epoch; accuracy on the
 * training and validation images per epoch.
 */
import {
  Chart,
  type ChartDataset,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Title,
  Tooltip,
} from "chart.js";
import type { EpochReport } from "./protocol.js";

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, Legend, Title, Tooltip);

type Pt = { x: number; y: number };
const series = (label: string, color: string, dashed = false): ChartDataset<"line", Pt[]> => ({
  label,
  data: [],
  borderColor: color,
  backgroundColor: color,
  borderWidth: 2,
  pointRadius: dashed ? 0 : 3,
  borderDash: dashed ? [4, 3] : [],
});

function chart(canvas: HTMLCanvasElement, title: string, y: string, sets: ChartDataset<"line", Pt[]>[], log = false) {
  return new Chart(canvas, {
    type: "line",
    data: { datasets: sets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      parsing: false,
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: "epoch" } },
        y: { type: log ? "logarithmic" : "linear", title: { display: true, text: y } },
      },
    },
  });
}

/** The charts, and what the page calls as reports arrive. */
export function makeCharts(lossCanvas: HTMLCanvasElement, accCanvas: HTMLCanvasElement) {
  const running = series("training loss (running mean of the epoch)", "#9aa7b8", true);
  const trainLoss = series("training loss", "#2b6cb0");
  const valLoss = series("validation loss", "#dd6b20");
  const trainAcc = series("training accuracy", "#2b6cb0");
  const valAcc = series("validation accuracy", "#dd6b20");
  // a log axis: the first batches' loss (~2.3) would otherwise squash the
  // rest of the run (0.05–0.3) into a flat line at the bottom
  const loss = chart(lossCanvas, "Loss (cross-entropy)", "loss (log scale)", [running, trainLoss, valLoss], true);
  const acc = chart(accCanvas, "Accuracy", "accuracy (%)", [trainAcc, valAcc]);
  let dirty = false;
  const redraw = (): void => {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => {
      dirty = false;
      loss.update();
      acc.update();
    });
  };
  return {
    reset(): void {
      for (const s of [running, trainLoss, valLoss, trainAcc, valAcc]) s.data = [];
      redraw();
    },
    /** A batch's running loss at fractional epoch x. */
    batch(x: number, value: number): void {
      running.data.push({ x, y: value });
      redraw();
    },
    epoch(r: EpochReport): void {
      const x = r.epoch + 1;
      trainLoss.data.push({ x, y: r.loss });
      valLoss.data.push({ x, y: r.valLoss });
      trainAcc.data.push({ x, y: 100 * r.accuracy });
      valAcc.data.push({ x, y: 100 * r.valAccuracy });
      redraw();
    },
  };
}
