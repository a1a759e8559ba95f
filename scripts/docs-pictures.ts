/**
 * Redraws the record runs' curves in docs/images from the histories their
 * runs wrote (docs/results/record-seed{1,2}.json), and the committee's
 * pictures from the committed members (docs/results/members: each member's
 * epochs.json, and the committee `--from` chooses), so a change to the charts
 * or a new member reaches the committed pictures without re-running 100 epochs.
 *
 *   npx tsx scripts/docs-pictures.ts           # rewrite docs/images
 *   npx tsx scripts/docs-pictures.ts --check   # exit 1 if any differs (test/docs-figures.test.ts runs this)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { assemble, combine, readMembers } from "../examples/committee-assemble.js";
import { loadSplitMnist } from "../examples/mnist-data.js";
import { digitGridSvg, lineChart, misclassified } from "../examples/plots.js";
import { type EpochRecord, RECORD_DEFAULTS, recordCharts } from "../examples/recipe.js";
import { deslant, normalizeWidth, Tensor } from "../src/index.js";

/** Where the committed committee members are. */
export const MEMBERS_DIR = "docs/results/members";

const PALETTE = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
  "#000000",
  "#aec7e8",
  "#98df8a",
];

/**
 * The committee's pictures: every member's best validation accuracy so far
 * against hours of training (from epoch 5, where the curves separate), the
 * test digits the committee chosen on validation gets wrong, and what each
 * preprocessing does to the first ten test digits.
 */
function committeePictures(): Record<string, string> {
  const { validation, test } = loadSplitMnist();
  const members = readMembers(MEMBERS_DIR);
  const series = members.map((m, k) => {
    const ep = JSON.parse(readFileSync(`${MEMBERS_DIR}/${m.name}/epochs.json`, "utf8")) as EpochRecord[];
    let hours = 0;
    let best = 0;
    const x: number[] = [];
    const values: number[] = [];
    for (const r of ep) {
      hours += r.seconds / 3600;
      best = Math.max(best, r.logs.val_accuracy ?? 0);
      if (r.epoch >= 4) {
        x.push(hours);
        values.push(best);
      }
    }
    // seed and preprocessing, short: "s12 w20", "s16 deslant", "s11 none", then dropout and
    // max-norm if used, and the hidden layers of a net other than the record recipe's:
    // "s20 w18 2000-1500-1000-500", "s22 none drop0.2 mn3"
    const recipe = m.info.recipe as { hidden: number[]; dropout: number; maxNorm: number; seed: number };
    const width = Number(m.info.width ?? 0);
    const prep = [m.info.deslant === true ? "deslant" : "", width > 0 ? `w${width}` : ""].filter((t) => t !== "");
    const extra = [
      recipe.dropout > 0 ? `drop${recipe.dropout}` : "",
      recipe.maxNorm > 0 ? `mn${recipe.maxNorm}` : "",
      recipe.hidden.join("-") === RECORD_DEFAULTS.hidden.join("-") ? "" : recipe.hidden.join("-"),
    ].filter((t) => t !== "");
    return {
      name: [`s${recipe.seed}`, prep.length === 0 ? "none" : prep.join(" "), ...extra].join(" "),
      values,
      x,
      color: PALETTE[k % PALETTE.length] as string,
    };
  });
  const byTime = lineChart({
    title: "Members: best validation accuracy so far",
    yLabel: "validation accuracy",
    x: { values: [0], label: "hours of training (this machine, 2 threads)" },
    series,
    width: 860,
    height: 380,
    legendWidth: 250,
  });
  const a = assemble(members, { validation: validation.labels, test: test.labels });
  const chosen = members.filter((m) => a.chosen.members.includes(m.name));
  const p = combine(
    chosen.map((m) => m.test),
    a.chosen.combination,
    10,
  );
  const predicted = new Tensor(p, [test.length, 10]).argMax();
  const wrong = misclassified(predicted, test, test.length);
  const errors = digitGridSvg(
    wrong,
    28,
    28,
    `The ${wrong.length} test digits the committee of ${a.chosen.k} gets wrong (true → predicted)`,
  );
  const first = test.images.subarray(0, 10 * 784);
  const variants: [string, Uint8Array][] = [
    ["none", first],
    ["deslant", deslant(first, 28, 28)],
    ...[12, 14, 16, 18, 20].map((w) => [`w${w}`, normalizeWidth(first, 28, 28, w)] as [string, Uint8Array]),
  ];
  const items = variants.flatMap(([name, imgs]) =>
    Array.from({ length: 10 }, (_, i) => ({ pixels: imgs.subarray(i * 784, (i + 1) * 784), caption: name })),
  );
  const preprocessing = digitGridSvg(
    items,
    28,
    28,
    "Rows: unchanged, deslanted, width normalized to 12, 14, 16, 18, 20 px",
  );
  return {
    "committee-validation-by-time.svg": byTime,
    "committee-misclassified.svg": errors,
    "committee-preprocessing.svg": preprocessing,
  };
}

/** The pictures drawn from each record run, by file name in docs/images. */
export function docsPictures(): Record<string, string> {
  const history = (seed: number): EpochRecord[] =>
    (JSON.parse(readFileSync(`docs/results/record-seed${seed}.json`, "utf8")) as { history: EpochRecord[] }).history;
  const one = recordCharts(history(1));
  const two = recordCharts(history(2));
  return {
    "record-validation.svg": one.validation,
    "record-accuracy.svg": one.accuracy,
    "record2-validation-by-time.svg": two.validationByTime,
    "record2-accuracy.svg": two.accuracy,
    ...committeePictures(),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { check: { type: "boolean", default: false } } });
  let stale = 0;
  for (const [name, svg] of Object.entries(docsPictures())) {
    const path = `docs/images/${name}`;
    if (values.check) {
      let old = "";
      try {
        old = readFileSync(path, "utf8");
      } catch {}
      if (old !== svg) {
        console.error(`${path} differs from what scripts/docs-pictures.ts draws; run it and commit the result`);
        stale++;
      }
    } else {
      writeFileSync(path, svg);
      console.log(`wrote ${path}`);
    }
  }
  process.exit(stale === 0 ? 0 : 1);
}
