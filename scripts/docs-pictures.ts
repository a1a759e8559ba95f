/**
 * Redraws the record runs' curves in docs/images from the histories their
 * runs wrote (docs/results/record-seed{1,2}.json), so a change to the charts
 * reaches the committed pictures without re-running 100 epochs.
 *
 *   npx tsx scripts/docs-pictures.ts           # rewrite docs/images
 *   npx tsx scripts/docs-pictures.ts --check   # exit 1 if any differs (test/docs-figures.test.ts runs this)
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type EpochRecord, recordCharts } from "../examples/recipe.js";

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
