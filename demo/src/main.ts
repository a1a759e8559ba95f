/**
 * The demo page: controls for the training worker, live charts, a drawing
 * pad read by the current model, model files in and out, and the test
 * digits the current model gets wrong.
 */
import * as tinymlp from "tinymlp";
import {
  applyOutputLink,
  deserialize,
  type ImageDataset,
  type Sequential,
  serialize,
  Tensor,
  wasmSupport,
} from "tinymlp";
import { makeCharts } from "./charts.js";
import { type Digit28, toMnist } from "./digit.js";
import { loadTest } from "./mnist.js";
import type { FromWorker, ToWorker, TrainConfig } from "./protocol.js";

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`demo: no element #${id}`);
  return el as T;
};
const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");
const mnistBase = new URL("./mnist/", document.baseURI).href;

// ---------------------------------------------------------------- backend
const support = wasmSupport();
const backendSelect = $<HTMLSelectElement>("backend");
if (!support.ok) {
  backendSelect.value = "js";
  (backendSelect.querySelector('option[value="wasm"]') as HTMLOptionElement).disabled = true;
}
// what a learner needs: which engine runs the math (the memory details are in the console)
$("backend-status").textContent = support.ok
  ? "wasm SIMD (WebAssembly with 128-bit vector instructions, the fast backend)"
  : `js (plain JavaScript loops: this browser has no WebAssembly SIMD, ${support.reason})`;
console.info(
  `tinymlp demo: wasm ${support.ok ? "available" : "unavailable"}; memory ${support.shared ? "shared (the page is cross-origin isolated)" : "not shared (the page is not cross-origin isolated, so no threads)"}`,
);
const backend = (): "wasm" | "js" => (backendSelect.value === "js" ? "js" : "wasm");

// ---------------------------------------------------------------- the current model
let current: Sequential | null = null;
let currentBytes: Uint8Array | null = null;
let currentName = "";
let test: ImageDataset | null = null;
let testLoading: Promise<ImageDataset> | null = null;
const getTest = (): Promise<ImageDataset> => {
  if (test) return Promise.resolve(test);
  testLoading ??= loadTest(mnistBase).then((t) => {
    test = t;
    return t;
  });
  return testLoading;
};

/** Makes a model file the current model, on the backend chosen above. */
async function useModel(bytes: Uint8Array, name: string): Promise<void> {
  const { model } = deserialize(bytes, { backend: backend() }); // throws a FormatError naming what is wrong
  const out = model.outputShape.join("×");
  if (out !== "10" || model.inputShapePerSample.join("×") !== "784") {
    const inp = model.inputShapePerSample.join("×");
    model.dispose();
    throw new Error(
      `${name}: this page needs 784 inputs and 10 outputs (a 28×28 digit in, one score per digit out), this model has ${inp} and ${out}`,
    );
  }
  current?.dispose();
  current = model;
  currentBytes = bytes;
  currentName = name;
  $("model-status").textContent =
    `Current model: ${name}, ${describe(model)}, ${fmt(model.countParams())} parameters, on the ${model.backend.name} backend.`;
  ($("download-btn") as HTMLButtonElement).disabled = false;
  classifyDrawing();
  await showMistakes();
}

function describe(model: Sequential): string {
  // the sizes where the net has weights: 784-256-256-10
  const sizes = [784, ...model.layers.filter((l) => l.params().length > 0).map((l) => l.outputShape.join("×"))];
  return sizes.join("-");
}

backendSelect.addEventListener("change", () => {
  if (currentBytes && !training) void useModel(currentBytes, currentName).catch(showModelError);
});

function showModelError(err: unknown): void {
  $("model-status").textContent = `Could not load the model: ${err instanceof Error ? err.message : String(err)}`;
}

// ---------------------------------------------------------------- training
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (m: ToWorker): void => worker.postMessage(m);
const charts = makeCharts($<HTMLCanvasElement>("loss-chart"), $<HTMLCanvasElement>("acc-chart"));
const trainBtn = $<HTMLButtonElement>("train-btn");
const stopBtn = $<HTMLButtonElement>("stop-btn");
const resumeBtn = $<HTMLButtonElement>("resume-btn");
const status = $("train-status");
const progress = $<HTMLProgressElement>("train-progress");
let training = false;
let epochs = 0;
/** Where the last run ended: Resume continues a stopped run, or a finished one to more epochs. */
let ended: { stopped: boolean; epochs: number } | null = null;

/** Resume is offered when there is something left to train: a stopped run, or Epochs raised past a finished one. */
function updateResume(): void {
  const more = ended !== null && (ended.stopped || readConfig().epochs > ended.epochs);
  resumeBtn.disabled = training || !more;
  resumeBtn.title =
    ended === null
      ? "train first"
      : more
        ? ended.stopped
          ? "continue the stopped run from where it stopped"
          : `train on to ${readConfig().epochs} epochs`
        : `the run finished its ${ended.epochs} epochs: raise Epochs to train further`;
}
let runInfo = "";
/** Samples/s of the last finished run, per backend (read by the browser tests). */
const speeds: Record<string, number> = {};

function readConfig(): TrainConfig {
  const num = (id: string): number => Number(($(id) as HTMLInputElement).value);
  const opt = ($("optimizer") as HTMLSelectElement).value === "sgd" ? "sgd" : "adam";
  return {
    hidden: ($("net") as HTMLSelectElement).value.split(",").map(Number),
    optimizer: opt,
    lr: opt === "adam" ? 1e-3 : 0.05,
    epochs: Math.max(1, Math.floor(num("epochs"))),
    batchSize: Math.max(1, Math.floor(num("batch-size"))),
    trainSize: num("train-size"),
    valSize: num("val-size"),
    backend: backend(),
    seed: Math.max(0, Math.floor(num("seed"))),
  };
}

function setTraining(on: boolean): void {
  training = on;
  trainBtn.disabled = on;
  stopBtn.disabled = !on;
  backendSelect.disabled = on;
  updateResume();
  if (on) status.dataset.state = "training";
}

$("epochs").addEventListener("input", updateResume);
$("train-form").addEventListener("submit", (e) => {
  e.preventDefault();
  ended = null;
  const config = readConfig();
  epochs = config.epochs;
  charts.reset();
  setTraining(true);
  status.dataset.startedAt = String(performance.now());
  status.textContent = "starting…";
  send({ type: "train", base: mnistBase, config });
});
stopBtn.addEventListener("click", () => {
  stopBtn.disabled = true;
  status.textContent = `${status.textContent} — stopping after this batch`;
  send({ type: "stop" });
});
resumeBtn.addEventListener("click", () => {
  epochs = readConfig().epochs;
  setTraining(true);
  status.dataset.startedAt = String(performance.now());
  send({ type: "resume", epochs });
});

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case "status":
      status.textContent = m.text;
      break;
    case "started":
      runInfo = `${m.backend} backend (${m.memory}), ${fmt(m.params)} parameters`;
      status.textContent = `${m.resumed ? "resumed" : "training"} on the ${runInfo}`;
      break;
    case "batch":
      progress.value = (m.epoch + (m.batch + 1) / m.nBatches) / epochs;
      status.textContent =
        `epoch ${m.epoch + 1}/${epochs}, batch ${m.batch + 1}/${m.nBatches}, loss ${m.loss.toFixed(4)}, ` +
        `${fmt(m.samplesPerSecond)} samples/s · ${runInfo}`;
      charts.batch(m.epoch + (m.batch + 1) / m.nBatches, m.loss);
      break;
    case "epoch": {
      const r = m.report;
      charts.epoch(r);
      status.textContent =
        `epoch ${r.epoch + 1}/${epochs}: loss ${r.loss.toFixed(4)}, accuracy ${pct(r.accuracy)}, ` +
        `validation ${pct(r.valAccuracy)} · ${r.seconds.toFixed(1)} s, ${fmt(r.samplesPerSecond)} samples/s · ${runInfo}`;
      status.dataset.valAccuracy = String(r.valAccuracy);
      break;
    }
    case "ended": {
      setTraining(false);
      status.dataset.endedAt = String(performance.now());
      speeds[runInfo.split(" ")[0] as string] = m.samplesPerSecond;
      status.dataset.samplesPerSecond = String(m.samplesPerSecond);
      const where = m.stopped ? `stopped at epoch ${m.epoch + 1}, batch ${m.batch}` : `finished ${m.epoch} epochs`;
      status.textContent = `${where} · ${fmt(m.samplesPerSecond)} samples/s on the ${runInfo}. ${status.dataset.valAccuracy ? `Last validation accuracy ${pct(Number(status.dataset.valAccuracy))}.` : ""}`;
      ended = { stopped: m.stopped, epochs: m.epoch };
      updateResume();
      status.dataset.state = m.stopped ? "stopped" : "finished";
      void useModel(m.bytes, m.stopped ? "the net trained here (stopped)" : "the net trained here").catch(
        showModelError,
      );
      break;
    }
    case "error":
      setTraining(false);
      status.dataset.state = "error";
      status.textContent = `Error: ${m.message}`;
      break;
  }
};

// ---------------------------------------------------------------- drawing
const pad = $<HTMLCanvasElement>("pad");
const padCtx = pad.getContext("2d", { willReadFrequently: true }) as CanvasRenderingContext2D;
const small = $<HTMLCanvasElement>("small");
const smallCtx = small.getContext("2d") as CanvasRenderingContext2D;
const pen = $<HTMLInputElement>("pen");
let drawing = false;
let lastX = 0;
let lastY = 0;
let drawn: Digit28 | null = null;

function clearPad(): void {
  padCtx.fillStyle = "#000";
  padCtx.fillRect(0, 0, pad.width, pad.height);
  smallCtx.fillStyle = "#000";
  smallCtx.fillRect(0, 0, 28, 28);
  drawn = null;
  showProbs(null);
}
$("clear-btn").addEventListener("click", clearPad);

const toPad = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) * pad.width) / r.width, ((e.clientY - r.top) * pad.height) / r.height];
};
function strokeTo(x: number, y: number): void {
  padCtx.strokeStyle = "#fff";
  padCtx.lineWidth = Number(pen.value);
  padCtx.lineCap = "round";
  padCtx.lineJoin = "round";
  padCtx.beginPath();
  padCtx.moveTo(lastX, lastY);
  padCtx.lineTo(x, y);
  padCtx.stroke();
  lastX = x;
  lastY = y;
}
let pending = false;
const scheduleClassify = (): void => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    classifyDrawing();
  });
};
pad.addEventListener("pointerdown", (e) => {
  pad.setPointerCapture(e.pointerId);
  drawing = true;
  [lastX, lastY] = toPad(e);
  strokeTo(lastX + 0.01, lastY); // a dot for a tap
  scheduleClassify();
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing) return;
  for (const ev of e.getCoalescedEvents?.() ?? [e]) strokeTo(...toPad(ev));
  scheduleClassify();
});
const end = (): void => {
  drawing = false;
};
pad.addEventListener("pointerup", end);
pad.addEventListener("pointercancel", end);

/** The pad's pixels as ink in [0, 1] (the red channel: the pen is white on black). */
function readPad(): Float32Array {
  const { data } = padCtx.getImageData(0, 0, pad.width, pad.height);
  const ink = new Float32Array(pad.width * pad.height);
  for (let i = 0; i < ink.length; i++) ink[i] = (data[4 * i] as number) / 255;
  return ink;
}

function classifyDrawing(): void {
  drawn = toMnist(readPad(), pad.width, pad.height);
  const img = smallCtx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * (drawn?.[i] ?? 0));
    img.data.set([v, v, v, 255], 4 * i);
  }
  smallCtx.putImageData(img, 0, 0);
  showProbs(
    drawn === null || current === null ? null : Array.from(probabilities(current, new Tensor(drawn, [1, 784])).data),
  );
}

/**
 * Class probabilities: a compiled model's own output link (`predictProba`);
 * for a file saved without a loss, softmax over the outputs, unless its last
 * layer already is a softmax.
 */
function probabilities(model: Sequential, x: Tensor): Tensor {
  if (model.loss !== null) return model.predictProba(x);
  const last = JSON.stringify(model.layers.at(-1)?.toConfig() ?? {});
  const y = model.predict(x);
  return /"(kind|name)":"softmax"/.test(last) ? y : applyOutputLink("softmax", y);
}

const probsEl = $("probs");
const bars = Array.from({ length: 10 }, (_, d) => {
  const row = document.createElement("div");
  row.className = "prob";
  row.innerHTML = `<span class="digit">${d}</span><span class="bar"><span></span></span><span class="value"></span>`;
  probsEl.append(row);
  return row;
});
function showProbs(p: number[] | null): void {
  const guess = $("guess");
  let best = -1;
  bars.forEach((row, d) => {
    const v = p?.[d] ?? 0;
    (row.querySelector(".bar > span") as HTMLElement).style.width = `${(100 * v).toFixed(1)}%`;
    (row.querySelector(".value") as HTMLElement).textContent = p ? `${(100 * v).toFixed(1)}%` : "";
    if (p && (best < 0 || v > (p[best] as number))) best = d;
  });
  bars.forEach((row, d) => {
    row.classList.toggle("best", d === best);
  });
  guess.dataset.digit = best >= 0 ? String(best) : "";
  if (p === null) {
    guess.textContent =
      current === null
        ? "Draw a digit — and train, upload or load a model to read it."
        : "Draw a digit with the mouse, a finger or a pen.";
  } else guess.textContent = `The net reads a ${best} (${(100 * (p[best] as number)).toFixed(1)}%).`;
}

// ---------------------------------------------------------------- model files
$("pretrained-btn").addEventListener("click", async () => {
  try {
    const res = await fetch(new URL("./pretrained.tmlp", document.baseURI));
    if (!res.ok) throw new Error(`pretrained.tmlp: ${res.status} ${res.statusText}`);
    await useModel(new Uint8Array(await res.arrayBuffer()), "the pretrained net");
  } catch (err) {
    showModelError(err);
  }
});
$<HTMLInputElement>("upload").addEventListener("change", async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  try {
    await useModel(new Uint8Array(await file.arrayBuffer()), file.name);
  } catch (err) {
    showModelError(err);
  }
});
$("download-btn").addEventListener("click", () => {
  if (current === null) return;
  const blob = new Blob([serialize(current) as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "mnist-model.tmlp";
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});

// ---------------------------------------------------------------- mistakes
const nextFrame = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * Logits of the test images by `model`, in slices so the page keeps drawing;
 * null when `live()` turns false (another model took over, and this one may
 * be disposed).
 */
async function predictTest(model: Sequential, t: ImageDataset, live: () => boolean): Promise<Float32Array | null> {
  const out = new Float32Array(t.length * 10);
  const slice = 500;
  for (let s = 0; s < t.length; s += slice) {
    if (!live()) return null;
    const n = Math.min(slice, t.length - s);
    const x = new Float32Array(n * 784);
    for (let i = 0; i < n * 784; i++) x[i] = (t.images[s * 784 + i] as number) / 255;
    out.set(model.predict(new Tensor(x, [n, 784])).data, s * 10);
    await nextFrame();
  }
  return out;
}

let mistakesRun = 0;
async function showMistakes(): Promise<void> {
  const run = ++mistakesRun;
  const model = current;
  if (model === null) return;
  const statusEl = $("mistakes-status");
  statusEl.textContent = "classifying the 10,000 test digits…";
  const t = await getTest();
  const logits = await predictTest(model, t, () => run === mistakesRun);
  if (logits === null) return; // a newer model took over
  const grid = $("mistakes-grid");
  grid.replaceChildren();
  let wrong = 0;
  const shown = 60;
  for (let i = 0; i < t.length; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if ((logits[i * 10 + k] as number) > (logits[i * 10 + best] as number)) best = k;
    if (best === t.labels[i]) continue;
    wrong++;
    if (wrong > shown) continue;
    const fig = document.createElement("figure");
    const c = document.createElement("canvas");
    c.width = 28;
    c.height = 28;
    const ctx = c.getContext("2d") as CanvasRenderingContext2D;
    const img = ctx.createImageData(28, 28);
    for (let p = 0; p < 784; p++) {
      const v = t.images[i * 784 + p] as number;
      img.data.set([v, v, v, 255], 4 * p);
    }
    ctx.putImageData(img, 0, 0);
    const cap = document.createElement("figcaption");
    cap.innerHTML = `<b>${best}</b> <s>${t.labels[i]}</s>`;
    cap.title = `test digit ${i}: read as ${best}, labelled ${t.labels[i]}`;
    fig.append(c, cap);
    grid.append(fig);
  }
  statusEl.textContent =
    `Current model (${currentName}): test accuracy ${pct(1 - wrong / t.length)} (${wrong} of ${fmt(t.length)} wrong). ` +
    `The first ${Math.min(shown, wrong)}, each with what the net read (bold) and the label (struck out):`;
  statusEl.dataset.testAccuracy = String(1 - wrong / t.length);
}

// ---------------------------------------------------------------- for the console and the browser tests
/** What the console (and test/browser) can reach: the library, the current model and a few helpers. */
const demo = {
  get model(): Sequential | null {
    return current;
  },
  /** The current model's logits for test images `indices`, as plain numbers (float32 values, exactly). */
  async predictTest(indices: number[]): Promise<number[][]> {
    const t = await getTest();
    if (current === null) throw new Error("no model");
    const x = new Float32Array(indices.length * 784);
    indices.forEach((idx, r) => {
      for (let p = 0; p < 784; p++) x[r * 784 + p] = (t.images[idx * 784 + p] as number) / 255;
    });
    const y = current.predict(new Tensor(x, [indices.length, 784])).data;
    return indices.map((_, r) => Array.from(y.subarray(r * 10, r * 10 + 10)));
  },
  /** The drawing as the net sees it (784 values), or null. */
  get drawn(): number[] | null {
    return drawn ? Array.from(drawn) : null;
  },
  speeds,
};
clearPad();
Object.assign(window, { tinymlp, demo });
document.body.dataset.ready = "true";
