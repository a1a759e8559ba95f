import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  ftruncateSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  Activation,
  Adagrad,
  Adam,
  AdamW,
  BatchNormalization,
  checkpoint,
  Dense,
  Dropout,
  deserialize,
  Flatten,
  FormatError,
  getInitializer,
  LayerNormalization,
  modelFromJSON,
  modelToJSON,
  Nadam,
  NonFiniteParamError,
  RMSprop,
  Sequential,
  SGD,
  Softmax,
  serialize,
  Tensor,
  VERSION,
} from "../src/index.js";
import { load, loadCheckpoint, ModelCheckpoint, save } from "../src/node.js";
import { checksum, data, makeModel } from "./fixtures/train-child.js";
import { randomTensor } from "./helpers.js";

const tsx = join(process.cwd(), "node_modules", ".bin", "tsx");
// Children that we SIGKILL must be the node process running the script itself
// (node_modules/.bin/tsx would spawn it as a grandchild and survive the kill).
const nodeWithTsx = (script: string, args: string[] = []) =>
  spawn(process.execPath, ["--import", "tsx", script, ...args], { stdio: ["ignore", "pipe", "inherit"] });
const child = (args: string[]): { checksum: string; loss: number[] } => {
  const out = execFileSync(tsx, [join("test", "fixtures", "train-child.ts"), ...args], { encoding: "utf8" });
  const line = out.split("\n").find((l) => l.startsWith("RESULT ")) as string;
  return JSON.parse(line.slice(7));
};

/** A model with every layer kind (dense, flatten, dropout, activation, batch and layer norm, softmax), compiled with `opt`. */
function everyKind(dtype: "float32" | "float64", opt: () => SGD | Adam): Sequential {
  const m = new Sequential({ inputShape: [3, 4], dtype, seed: 5 });
  m.add(new Flatten());
  m.add(new Dense({ units: 8, activation: { name: "leakyRelu", alpha: 0.2 }, kernelInitializer: "orthogonal" }));
  m.add(new Dropout({ rate: 0.25 }));
  m.add(new Activation({ activation: "gelu" }));
  m.add(new BatchNormalization({ momentum: 0.9 }));
  m.add(new LayerNormalization());
  m.add(
    new Dense({ units: 5, useBias: false, kernelInitializer: { name: "randomUniform", minval: -0.3, maxval: 0.3 } }),
  );
  m.add(new Softmax());
  m.compile({
    optimizer: opt(),
    loss: { name: "sparseCategoricalCrossEntropy", fromLogits: false },
    metrics: ["accuracy"],
  });
  return m;
}

describe("save and load", () => {
  const x = randomTensor([6, 3, 4], 1, -1, 1, "float64");
  const y = Tensor.from([0, 1, 2, 3, 4, 0], { dtype: "float64" });
  for (const dtype of ["float32", "float64"] as const) {
    for (const [name, opt] of [
      ["sgd", () => new SGD({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
      ["adam", () => new Adam({ lr: 0.01, weightDecay: 1e-3 })],
    ] as const) {
      it(`round trip (${dtype}, ${name}): same predictions, and continued training is identical`, () => {
        const a = everyKind(dtype, opt);
        for (let i = 0; i < 3; i++) a.trainOnBatch(x, y); // build optimizer state
        for (const [enc, dec] of [
          [(m: Sequential) => serialize(m), (b: Uint8Array) => deserialize(b).model],
          [(m: Sequential) => JSON.parse(JSON.stringify(modelToJSON(m))), (j: unknown) => modelFromJSON(j).model],
        ] as const) {
          const b = (dec as (v: unknown) => Sequential)((enc as (m: Sequential) => unknown)(a));
          expect(b.summary()).toBe(a.summary());
          expect(Array.from(b.predict(x).data)).toEqual(Array.from(a.predict(x).data));
          const a2 = (dec as (v: unknown) => Sequential)((enc as (m: Sequential) => unknown)(a)); // a's twin, so a stays untouched
          for (let i = 0; i < 3; i++) {
            expect(b.trainOnBatch(x, y)).toBe(a2.trainOnBatch(x, y));
          }
          expect(b.params().map((p) => Array.from(p.value.data))).toEqual(
            a2.params().map((p) => Array.from(p.value.data)),
          );
        }
      });
    }
  }

  it("continued training after load equals never stopping", () => {
    const a = everyKind("float32", () => new Adam({ lr: 0.01 }));
    const b = everyKind("float32", () => new Adam({ lr: 0.01 }));
    for (let i = 0; i < 3; i++) a.trainOnBatch(x, y);
    for (let i = 0; i < 3; i++) b.trainOnBatch(x, y);
    const c = deserialize(serialize(b)).model;
    // Dropout draws from the model's Rng, whose state is saved too.
    for (let i = 0; i < 3; i++) expect(c.trainOnBatch(x, y)).toBe(a.trainOnBatch(x, y));
  });

  it("the header records format and tinymlp versions; package.json agrees", () => {
    const j = modelToJSON(everyKind("float32", () => new SGD()));
    expect(j.formatVersion).toBe(1);
    expect(j.tinymlpVersion).toBe(VERSION);
    expect(JSON.parse(readFileSync("package.json", "utf8")).version).toBe(VERSION);
    expect(Number.isNaN(Date.parse(j.createdAt))).toBe(false);
  });

  it("save/load through a file; a failed save leaves the old file intact", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-save-"));
    const path = join(dir, "m.tmlp");
    const a = everyKind("float64", () => new SGD());
    save(a, path);
    expect(Array.from(load(path).predict(x).data)).toEqual(Array.from(a.predict(x).data));
    const before = readFileSync(path);
    // an unbuilt model cannot be serialized: the save fails before touching the file
    expect(() => save(new Sequential(), path)).toThrow(/the input shape is unknown/);
    // a target that cannot be renamed over (a folder) fails after writing the temporary file
    expect(() => save(a, dir)).toThrow(/could not write/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir)).toEqual(["m.tmlp"]); // no temporary files left behind
  });

  it("saves keep the file's mode, write through symlinks, fit 255-byte names, and clear dead writers' temps", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-save2-"));
    const a = everyKind("float64", () => new SGD());
    // mode
    const path = join(dir, "m.tmlp");
    writeFileSync(path, "old", { mode: 0o600 });
    chmodSync(path, 0o600);
    save(a, path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // symlink: the link stays, its target gets the model
    const target = join(dir, "real.tmlp");
    writeFileSync(target, "old");
    const link = join(dir, "link.tmlp");
    symlinkSync(target, link);
    save(a, link);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(Array.from(load(target).predict(x).data)).toEqual(Array.from(a.predict(x).data));
    // a 250-character name (the file system's limit is 255 bytes)
    const long = join(dir, `${"n".repeat(245)}.tmlp`);
    save(a, long);
    expect(Array.from(load(long).predict(x).data)).toEqual(Array.from(a.predict(x).data));
    // temps: one of a writer that died is removed, one of a live process stays
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid as number; // has exited
    const stale = join(dir, `.m.tmlp.tmlp-tmp.${dead}.abc`);
    const live = join(dir, `.m.tmlp.tmlp-tmp.1.abc`); // pid 1 always exists
    writeFileSync(stale, "x");
    writeFileSync(live, "x");
    save(a, path);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it("load looks before it reads: devices, FIFOs and folders refused, a foreign file after its first bytes", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-load-"));
    expect(() => load("/dev/zero")).toThrow("load: '/dev/zero' is a device, not a tinymlp model"); // used to read forever
    expect(() => load(dir)).toThrow(`load: '${dir}' is a folder, not a tinymlp model`);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => load(fifo)).toThrow(`load: '${fifo}' is a FIFO, not a tinymlp model`); // used to block
    // a 1.5 GB file of zeros (sparse: no disk used) is refused from its first 12 bytes
    const zeros = join(dir, "zeros.tmlp");
    const fd = openSync(zeros, "w");
    ftruncateSync(fd, 1.5e9);
    closeSync(fd);
    expect(() => load(zeros)).toThrow(/is not a tinymlp model \(it starts with neither 'TMLP' nor a JSON object\)/);
    expect(() => load(join(dir, "missing.tmlp"))).toThrow(
      /^load: cannot read '.*missing\.tmlp' \(a tinymlp model\): no such file$/,
    );
  });

  it("load reads the JSON form from a file too, and names a broken one", () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-json-"));
    const path = join(dir, "m.json");
    const a = everyKind("float64", () => new SGD());
    writeFileSync(path, `\n ${JSON.stringify(modelToJSON(a))}`);
    expect(Array.from(load(path).predict(x).data)).toEqual(Array.from(a.predict(x).data));
    writeFileSync(path, '{"format": "tinymlp-model", ');
    expect(() => load(path)).toThrow(
      new RegExp(`^file: '${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}': not JSON: `),
    );
    writeFileSync(path, '{"format": "something-else"}');
    expect(() => load(path)).toThrow(FormatError);
  });

  it("a save killed midway leaves the previous file loadable", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-kill-"));
    const path = join(dir, "big.tmlp");
    // a big model (~16 MB), saved over and over by a child that we SIGKILL
    const script = join(dir, "saver.ts");
    writeFileSync(
      script,
      `import { Dense, Sequential } from ${JSON.stringify(join(process.cwd(), "src", "index.ts"))};
import { save } from ${JSON.stringify(join(process.cwd(), "src", "node.ts"))};
const m = new Sequential({ inputShape: [2000], dtype: "float64", seed: 1 });
m.add(new Dense({ units: 1000 }));
save(m, ${JSON.stringify(path)});
console.log("first");
for (;;) save(m, ${JSON.stringify(path)});
`,
    );
    const proc = nodeWithTsx(script);
    await new Promise<void>((resolve) => proc.stdout.once("data", () => resolve()));
    await new Promise((r) => setTimeout(r, 300)); // mid-way through some later save
    proc.kill("SIGKILL");
    await new Promise((r) => proc.once("exit", r));
    const m = load(path);
    expect(m.countParams()).toBe(2000 * 1000 + 1000);
  });
});

describe("checkpoints and exact resume", () => {
  it("a mid-epoch checkpoint carries the metrics' counts: the resumed epoch's accuracy is the uninterrupted one", async () => {
    const { x, y } = data();
    const straight = makeModel();
    const hs = await straight.fit(x, y, { epochs: 2, batchSize: 16 });
    const first = makeModel();
    let ckpt: Uint8Array | null = null;
    await first.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      onBatchEnd: (b) => {
        if (ckpt === null && b === 8) {
          ckpt = checkpoint(first); // epoch 0, 9 of 15 batches done
          first.stopTraining = true;
        }
      },
    });
    const { model, training } = deserialize(ckpt as unknown as Uint8Array);
    const [correct, total] = training?.metrics?.accuracy ?? [];
    expect(total).toBe(9 * 16);
    expect(correct).toBeLessThanOrEqual(total as number);
    const hr = await model.fit(x, y, { epochs: 2, batchSize: 16, resume: training });
    expect(hr.history.accuracy).toEqual(hs.history.accuracy);
    expect(hr.history.loss).toEqual(hs.history.loss);

    // a count pair that cannot be (correct > total) is refused when loading, naming the field
    const bytes = Uint8Array.from(ckpt as unknown as Uint8Array);
    const len = new DataView(bytes.buffer).getUint32(8, true);
    const header = new TextDecoder().decode(bytes.subarray(12, 12 + len));
    const swapped = header.replace(`"accuracy":[${correct},${total}]`, `"accuracy":[${total},${correct}]`);
    expect(swapped).not.toBe(header);
    bytes.set(new TextEncoder().encode(swapped), 12); // same length: only the two numbers swap places
    expect(() => deserialize(bytes)).toThrow(/training\.metrics\.accuracy.*correct <= total/);

    // at an epoch boundary the finished epoch's counts are not carried into the next one
    const third = makeModel();
    let atBoundary: Uint8Array | null = null;
    await third.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      onEpochEnd: (e) => {
        if (e === 0) {
          atBoundary = checkpoint(third);
          third.stopTraining = true;
        }
      },
    });
    const b2 = deserialize(atBoundary as unknown as Uint8Array);
    expect(b2.training?.batch).toBe(0);
    expect(b2.training?.metrics).toBeUndefined();
    const hb = await b2.model.fit(x, y, { epochs: 2, batchSize: 16, resume: b2.training });
    expect(hb.history.accuracy).toEqual(hs.history.accuracy);
  });

  it("N/2 steps, checkpoint, fresh model, N/2 more = N straight (bit-identical)", async () => {
    const { x, y } = data();
    const straight = makeModel();
    await straight.fit(x, y, { epochs: 4, batchSize: 16 });

    const first = makeModel();
    let ckpt: Uint8Array | null = null;
    let atEnd: Uint8Array | null = null;
    let batchesAfter = 0;
    const h1 = await first.fit(x, y, {
      epochs: 4,
      batchSize: 16,
      callbacks: {
        onBatchEnd: (b, _logs) => {
          if (ckpt !== null) batchesAfter++;
          if (ckpt === null && b === 6) {
            ckpt = checkpoint(first); // epoch 0, mid-epoch (15 batches per epoch)
            first.stopTraining = true;
          }
        },
        onTrainEnd: () => {
          atEnd = checkpoint(first);
        },
      },
    });
    // fit stops after that batch: no further batch, the unfinished epoch is not in the history,
    // and a checkpoint taken as training ends holds the same header (but for its time) and arrays
    expect(batchesAfter).toBe(0);
    expect(h1.history.loss ?? []).toEqual([]);
    const parts = (bytes: Uint8Array) => {
      const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
      const { createdAt: _, ...header } = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + len)));
      return { header, arrays: bytes.subarray(12 + len) };
    };
    expect(parts(atEnd as unknown as Uint8Array)).toEqual(parts(ckpt as unknown as Uint8Array));
    const { model, training } = deserialize(ckpt as unknown as Uint8Array);
    expect(training?.epoch).toBe(0);
    expect(training?.batch).toBe(7);
    const h = await model.fit(x, y, { epochs: 4, batchSize: 16, resume: training });
    expect(checksum(model)).toBe(checksum(straight));
    expect(h.history.loss?.length).toBe(4);
  });

  it("epoch-boundary checkpoints resume exactly too", async () => {
    const { x, y } = data();
    const straight = makeModel();
    const hs = await straight.fit(x, y, { epochs: 3, batchSize: 16 });
    const first = makeModel();
    let ckpt: Uint8Array | null = null;
    await first.fit(x, y, {
      epochs: 3,
      batchSize: 16,
      onEpochEnd: (e) => {
        if (e === 1) {
          ckpt = checkpoint(first);
          first.stopTraining = true;
        }
      },
    });
    const { model, training } = deserialize(ckpt as unknown as Uint8Array);
    const h = await model.fit(x, y, { epochs: 3, batchSize: 16, resume: training });
    expect(checksum(model)).toBe(checksum(straight));
    expect(h.history.loss).toEqual(hs.history.loss);
  });

  it("across processes: a run SIGKILLed while checkpointing resumes to the uninterrupted result", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tinymlp-resume-"));
    const ckpt = join(dir, "run.ckpt");
    const straight = child(["--epochs", "4"]);
    // the same run, slowed down, checkpointing every batch; killed at some point
    const proc = nodeWithTsx(join("test", "fixtures", "train-child.ts"), ["--epochs", "4", "--ckpt", ckpt, "--slow"]);
    const t0 = Date.now();
    while (!existsSync(ckpt) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 400));
    proc.kill("SIGKILL");
    await new Promise((r) => proc.once("exit", r));
    // it really was cut short: the checkpoint is before the end of training
    const at = deserialize(readFileSync(ckpt)).training;
    expect((at?.epoch ?? 4) * 100 + (at?.batch ?? 0)).toBeLessThan(400);
    const resumed = child(["--epochs", "4", "--resume", ckpt]);
    expect(resumed.checksum).toBe(straight.checksum);
  });

  it("a NaN loss stops fit and leaves the last good checkpoint usable", async () => {
    const { x, y } = data();
    const m = makeModel();
    const bad = x.clone();
    bad.data[5 * 12] = Number.NaN; // sample 5
    let last: Uint8Array | null = null;
    await expect(
      m.fit(bad, y, {
        epochs: 1,
        batchSize: 16,
        shuffle: false,
        checkData: false, // reach the loss guard (the data check would refuse x up front)
        onBatchEnd: () => {
          last = checkpoint(m);
        },
      }),
    ).rejects.toThrow(/epoch 1, batch 1/);
    expect(last).toBeNull(); // batch 0 held the NaN: no step, no checkpoint
    await expect(m.fit(x, y, { epochs: 1, batchSize: 16 })).resolves.toBeDefined(); // weights were never touched
    expect(m.params().every((p) => p.value.data.every(Number.isFinite))).toBe(true);
  });

  it("a NaN val_loss (checkData: false) is recorded in a checkpoint that loads, as NaN", async () => {
    const { x, y } = data();
    const vx = x.clone();
    vx.data[0] = Number.NaN;
    const m = makeModel();
    const dir = mkdtempSync(join(tmpdir(), "tmlp-nanval-"));
    const path = join(dir, "c.tmlp");
    const h = await m.fit(x, y, {
      epochs: 2,
      batchSize: 16,
      validationData: [vx, y],
      checkData: false,
      callbacks: [new ModelCheckpoint({ path })],
    });
    expect(h.history.val_loss?.every(Number.isNaN)).toBe(true);
    const { model, training } = loadCheckpoint(path); // failed before: "training.history.val_loss[0]: … got null"
    expect(training?.history.val_loss?.map(String)).toEqual(["NaN", "NaN"]);
    expect(training?.history.loss).toEqual(h.history.loss);
    expect(checksum(model)).toBe(checksum(m));
    // the strings are the only non-numbers a history takes
    const bytes = serialize(m, { ...m.trainingState(), history: { loss: [1, Number.POSITIVE_INFINITY, -Infinity] } });
    expect(deserialize(bytes).training?.history.loss).toEqual([1, Number.POSITIVE_INFINITY, -Infinity]);
    const doc = JSON.parse(JSON.stringify(modelToJSON(m))) as Record<string, unknown>;
    doc.training = { ...m.trainingState(), history: { loss: ["nan"] } };
    expect(() => modelFromJSON(doc)).toThrow(
      'training.history.loss[0]: expected a finite number or "NaN", "Infinity", "-Infinity", got "nan"',
    );
    rmSync(dir, { recursive: true });
  });

  for (const backend of ["js", "wasm"] as const) {
    it(`a finite loss whose update overflows is refused, naming the parameter, epoch and batch; no checkpoint holds it (${backend})`, async () => {
      // SGD(lr 1e6) on MSE targets near 1e33: the first loss is finite (~1e66,
      // in double precision), dL/dout ~ 1e33 fits float32, and w − 1e6·1e33
      // does not: the weights would become ±Infinity.
      const m = new Sequential({ inputShape: [2], seed: 1, backend });
      m.add(new Dense({ units: 3 }));
      m.compile({ optimizer: new SGD({ lr: 1e6 }), loss: "meanSquaredError" });
      const x = Tensor.from([
        [1, 2],
        [2, 1],
        [0.5, 0.5],
        [1, 1],
      ]);
      const y = Tensor.from(Array.from({ length: 4 }, () => [1e33, -1e33, 1e33]));
      const saved: Uint8Array[] = [checkpoint(m)];
      const fit = m.fit(x, y, {
        epochs: 3,
        batchSize: 2,
        shuffle: false,
        onBatchEnd: () => {
          saved.push(checkpoint(m));
        },
      });
      await expect(fit).rejects.toThrow(NonFiniteParamError);
      await expect(fit).rejects.toThrow(
        /^fit: parameter 'dense_1\/kernel' became -?Infinity \(element \d\) at epoch 1, batch 1; training stopped/,
      );
      const e = (await fit.catch((err: unknown) => err)) as NonFiniteParamError;
      expect([e.param, e.epoch, e.batch, Number.isFinite(e.value)]).toEqual(["dense_1/kernel", 0, 0, false]);
      // the step cannot be undone, so the model refuses to be saved; the last checkpoint is the initial one
      expect(saved).toHaveLength(1);
      expect(() => serialize(m)).toThrow(
        /^cannot save: the weights of Sequential \(2 → 3\) are not usable: parameter 'dense_1\/kernel' became -?Infinity/,
      );
      const back = deserialize(saved[0] as Uint8Array).model;
      expect(back.params().every((p) => p.value.data.every(Number.isFinite))).toBe(true);
      // trainStep alone reports it too, without epoch and batch
      const m2 = new Sequential({ inputShape: [2], seed: 1, backend });
      m2.add(new Dense({ units: 3 }));
      m2.compile({ optimizer: new SGD({ lr: 1e6 }), loss: "meanSquaredError" });
      expect(() => m2.trainStep(x, y)).toThrow(
        /^trainStep: parameter 'dense_1\/kernel' became -?Infinity \(element \d\); training stopped/,
      );
    });
  }
});

describe("determinism", () => {
  it("same seed: bit-identical weights and metrics in two processes", () => {
    const a = child(["--epochs", "2"]);
    const b = child(["--epochs", "2"]);
    expect(b).toEqual(a);
  });

  it("same seed: bit-identical in one process", async () => {
    const { x, y } = data();
    const run = async () => {
      const m = makeModel();
      const h = await m.fit(x, y, { epochs: 2, batchSize: 16 });
      return { c: checksum(m), h: h.history };
    };
    expect(await run()).toEqual(await run());
  });
});

describe("strict loading", () => {
  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(modelToJSON(makeModel())));

  it("both formats refuse non-finite values, negative variances and second moments, naming array and index", () => {
    const trained = (): Sequential => {
      const m = new Sequential({ inputShape: [3], seed: 1 });
      m.add(new Dense({ units: 4 }));
      m.add(new BatchNormalization());
      m.add(new Dense({ units: 2 }));
      m.compile({ optimizer: new Adam({ lr: 0.01 }), loss: "meanSquaredError" });
      m.trainOnBatch(
        Tensor.from([
          [1, 2, 3],
          [3, 2, 1],
        ]),
        Tensor.from([
          [1, 0],
          [0, 1],
        ]),
      );
      return m;
    };
    // The files are written by hand: serialize itself refuses such values (below).
    /** `m`'s binary and JSON forms with element `i` of array `k` (weights, then slots) set to `v`. */
    const forms = (m: Sequential, k: number, i: number, v: number): { bytes: Uint8Array; doc: unknown } => {
      const bytes = serialize(m);
      const view = new DataView(bytes.buffer);
      let off = (12 + view.getUint32(8, true) + 7) & ~7;
      const st = m.optimizer?.getState(m.params());
      const arrays = [
        ...m.params().map((p) => p.value.data),
        ...Object.values(st?.slots ?? {}).flatMap((list) => list.filter((a) => a !== null)),
      ];
      for (let j = 0; j < k; j++) off += 4 * (arrays[j]?.length ?? 0);
      view.setFloat32(off + 4 * i, v, true);
      const doc = modelToJSON(m) as unknown as { arrays: number[][] };
      (doc.arrays[k] as number[])[i] = v;
      return { bytes, doc };
    };
    const refuse = (m: Sequential, k: number, i: number, v: number, want: string | RegExp): void => {
      const { bytes, doc } = forms(m, k, i, v);
      expect(() => deserialize(bytes)).toThrow(want);
      // the JSON form's number lists refuse a non-number first, naming list and index
      expect(() => modelFromJSON(doc)).toThrow(
        Number.isFinite(v) ? want : `arrays[${k}][${i}]: expected a finite number`,
      );
    };
    const m = trained();
    refuse(m, 0, 3, Number.NaN, "weights[0] ('dense_1/kernel')[3]: NaN is not a finite number");
    refuse(m, 1, 1, Number.POSITIVE_INFINITY, "weights[1] ('dense_1/bias')[1]: Infinity is not a finite number");
    const mvIndex = m.params().findIndex((p) => p.name.endsWith("/movingVariance"));
    refuse(m, mvIndex, 2, -0.5, /\('batchNormalization_1\/movingVariance'\)\[2\]: -0.5 is negative/);
    // the slots follow the weights: m (one per trainable parameter), then v
    const trainable = m.params().filter((p) => p.trainable !== false).length;
    refuse(
      m,
      m.params().length + trainable,
      5,
      -1,
      "optimizer.slots.v[0][5]: -1 is negative; it holds a variance or a sum of squares",
    );
    // and serialize refuses to write them: what the loader refuses is never written
    const a = trained();
    (a.params()[0] as { value: Tensor }).value.data[3] = Number.NaN;
    expect(() => serialize(a)).toThrow(
      new FormatError(
        "cannot save: weights[0] ('dense_1/kernel')[3]: NaN is not a finite number (the loader would refuse it)",
      ),
    );
    expect(() => modelToJSON(a)).toThrow(FormatError);
    const d = trained();
    const st = d.optimizer?.getState(d.params());
    (st?.slots.v?.[0] as Float32Array)[5] = -1;
    d.optimizer?.setState(d.params(), st as never);
    expect(() => serialize(d)).toThrow(
      "cannot save: optimizer.slots.v[0][5]: -1 is negative; it holds a variance or a sum of squares",
    );
    // a moving variance is a variance: negative, it is refused at save as at load;
    // the moving mean and the trainable gain and offset may be negative
    const bn = new Sequential({ inputShape: [3], seed: 2 });
    bn.add(new Dense({ units: 2 }));
    bn.add(new BatchNormalization());
    const byName = (n: string) => bn.params().findIndex((p) => p.name.endsWith(n));
    for (const n of ["/movingMean", "/gamma", "/beta"])
      (bn.params()[byName(n)] as { value: Tensor }).value.data[0] = -1;
    expect(
      deserialize(serialize(bn))
        .model.params()
        .map((p) => p.value.data[0]),
    ).toEqual(bn.params().map((p) => p.value.data[0]));
    const iv = byName("/movingVariance");
    (bn.params()[iv] as { value: Tensor }).value.data[1] = -1;
    expect(() => serialize(bn)).toThrow(
      new FormatError(
        `cannot save: weights[${iv}] ('batchNormalization_1/movingVariance')[1]: -1 is negative; it holds a variance or a sum of squares (the loader would refuse it)`,
      ),
    );
    // JSON numbers beyond float32's range would become ±Infinity in a float32 model
    const doc = JSON.parse(JSON.stringify(modelToJSON(trained())));
    (doc.arrays[0] as number[])[0] = 1e39;
    expect(() => modelFromJSON(doc)).toThrow("weights[0] ('dense_1/kernel')[0]: Infinity is not a finite number");
  });

  it("a negative value is refused in exactly the slots that hold sums of squares", () => {
    // From each rule's definition (rules.ts): Adam's, AdamW's, RMSprop's and
    // Nadam's v and Adagrad's sum accumulate g², so they are never negative;
    // first moments, RMSprop's centred mean and the momentum buffers are
    // signed. A negative value in a square's slot is refused at save and at
    // load; in a signed slot it saves and loads back as it was.
    const cases: [string, () => SGD | Adam | AdamW | RMSprop | Adagrad | Nadam, string[]][] = [
      ["SGD", () => new SGD({ lr: 0.1, momentum: 0.9 }), []],
      ["Adam", () => new Adam(), ["v"]],
      ["AdamW", () => new AdamW(), ["v"]],
      ["RMSprop", () => new RMSprop({ momentum: 0.9, centered: true }), ["v"]],
      ["Adagrad", () => new Adagrad(), ["sum"]],
      ["Nadam", () => new Nadam(), ["v"]],
    ];
    for (const [name, make, squares] of cases) {
      const m = new Sequential({ inputShape: [3], seed: 4 });
      m.add(new Dense({ units: 2 }));
      m.compile({ optimizer: make(), loss: "meanSquaredError" });
      m.trainOnBatch(Tensor.from([[1, -2, 3]]), Tensor.from([[0.5, -1]]));
      const opt = m.optimizer as NonNullable<Sequential["optimizer"]>;
      const slots = Object.keys(opt.getState(m.params()).slots);
      expect(slots.length, name).toBeGreaterThan(0);
      for (const slot of slots) {
        const st = opt.getState(m.params());
        (st.slots[slot]?.[0] as Float32Array)[1] = -0.25;
        opt.setState(m.params(), st);
        if (squares.includes(slot)) {
          expect(() => serialize(m), `${name}.${slot}`).toThrow(
            `cannot save: optimizer.slots.${slot}[0][1]: -0.25 is negative; it holds a variance or a sum of squares`,
          );
        } else {
          const back = deserialize(serialize(m)).model;
          const got = back.optimizer?.getState(back.params()).slots[slot]?.[0];
          expect(got?.[1], `${name}.${slot}`).toBe(-0.25);
        }
        // restore the slot for the next one
        (st.slots[slot]?.[0] as Float32Array)[1] = 0.25;
        opt.setState(m.params(), st);
      }
    }
  });

  it("writes optimizer.scalars only for an optimizer that keeps some (Nadam's μ product)", async () => {
    const keys = async (optimizer: SGD | Adam | Nadam) => {
      const m = new Sequential({ inputShape: [2], seed: 1 });
      m.add(new Dense({ units: 2 }));
      m.compile({ optimizer, loss: "sparseCategoricalCrossEntropy" });
      await m.fit(Tensor.from([[1, 2]]), Tensor.from([1]), { epochs: 1 });
      return Object.keys(modelToJSON(m).optimizer ?? {});
    };
    expect(await keys(new SGD({ lr: 0.1, momentum: 0.9 }))).toEqual(["config", "step", "slots"]);
    expect(await keys(new Adam())).toEqual(["config", "step", "slots"]);
    expect(await keys(new Nadam())).toEqual(["config", "step", "slots", "scalars"]);
  });

  it("names the field that is wrong", () => {
    const cases: [(d: Record<string, unknown>) => void, RegExp][] = [
      [
        (d) => {
          d.formatVersion = 2;
        },
        /formatVersion: this tinymlp reads version 1, got 2/,
      ],
      [
        (d) => {
          (d.model as { layers: { units: unknown }[] }).layers[0]!.units = -3;
        },
        /model.layers\[0\].units: must be an integer/,
      ],
      [
        (d) => {
          (d.model as { layers: { kind: unknown }[] }).layers[1]!.kind = "conv2d";
        },
        /model.layers\[1\].kind: expected one of/,
      ],
      [
        (d) => {
          (d.model as { layers: { rate: unknown }[] }).layers[1]!.rate = 1.5;
        },
        /model.layers\[1\].rate/,
      ],
      [
        (d) => {
          (d.model as Record<string, unknown>).dtype = "int8";
        },
        /model.dtype: expected one of float32, float64/,
      ],
      [
        (d) => {
          (d.model as { inputShape: unknown[] }).inputShape = [1e9];
        },
        /model.inputShape\[0\]/,
      ],
      [
        (d) => {
          d.surprise = 1;
        },
        /header.surprise: unknown key/,
      ],
      [
        (d) => {
          (d.weights as unknown[]).pop();
        },
        /weights: expected 4 entries/,
      ],
      [
        (d) => {
          (d.arrays as number[][])[0]!.pop();
        },
        /arrays\[0\]: expected 192 numbers/,
      ],
      [
        (d) => {
          (d.arrays as unknown[][])[1]![0] = "x";
        },
        /arrays\[1\]\[0\]: expected a finite number/,
      ],
      [
        (d) => {
          (d.optimizer as { config: { lr: unknown } }).config.lr = -1;
        },
        /optimizer.config.lr/,
      ],
    ];
    for (const [mutate, msg] of cases) {
      const d = good();
      mutate(d);
      expect(() => modelFromJSON(d).model).toThrow(FormatError);
      expect(() => modelFromJSON(d).model).toThrow(msg);
    }
  });

  it("refuses __proto__ and constructor keys without assigning them", () => {
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const text = JSON.stringify(modelToJSON(makeModel())).replace(
        '"model":{',
        `"model":{"${key}":{"polluted":true},`,
      );
      expect(() => modelFromJSON(JSON.parse(text)).model).toThrow(new RegExp(`model.${key}: forbidden key`));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it("binary: bad magic, truncation and trailing bytes", () => {
    const bytes = serialize(makeModel());
    expect(() => deserialize(bytes.subarray(0, 8))).toThrow(/too short/);
    const b2 = bytes.slice();
    b2[0] = 0x55;
    expect(() => deserialize(b2)).toThrow(/not a tinymlp model/);
    expect(() => deserialize(bytes.subarray(0, bytes.length - 4))).toThrow(/data: the header declares \d+ bytes/);
    expect(() => deserialize(new Uint8Array([...bytes, 0, 0, 0, 0]))).toThrow(/data: the header declares/);
  });
});

describe("loading never initializes what it overwrites", () => {
  it("an orthogonal (O(n³)) initializer runs when a model is built, never when it is loaded", () => {
    const proto = Object.getPrototypeOf(getInitializer("orthogonal")) as { init: (...a: unknown[]) => void };
    const init = vi.spyOn(proto, "init");
    try {
      const m = new Sequential({ inputShape: [64], seed: 1 });
      m.add(new Dense({ units: 64, kernelInitializer: "orthogonal" }));
      m.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
      expect(init).toHaveBeenCalledTimes(1);
      const bytes = serialize(m);
      const json = JSON.parse(JSON.stringify(modelToJSON(m)));
      const a = deserialize(bytes).model;
      const b = modelFromJSON(json).model;
      expect(init).toHaveBeenCalledTimes(1); // only the build above
      expect(checksum(a)).toBe(checksum(m));
      expect(checksum(b)).toBe(checksum(m));
    } finally {
      init.mockRestore();
    }
  });
});
