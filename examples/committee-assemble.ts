/**
 * A committee assembled from members' saved outputs, without training or
 * loading any weights: `npm run mnist:committee -- --from docs/results/members`.
 *
 * Each member is a folder written by `npm run mnist:committee -- --save-members DIR`:
 * `member.json` (its recipe and figures) and its logits on the validation and
 * test images (`validation.f32.gz`, `test.f32.gz`: 10,000 × 10 float32,
 * little-endian, row-major, gzip). Members may come from different machines
 * and sessions; the files are all a committee needs.
 *
 * Everything is chosen on the validation images only:
 * - the combination: the average of the members' softmax probabilities, or
 *   the average of their logits (then one softmax);
 * - the members, by greedy forward selection (Caruana et al. 2004, "Ensemble
 *   selection from libraries of models"): start empty; add, one at a time, the
 *   member whose addition gives the highest validation accuracy (ties: the
 *   higher validation log-likelihood, then the name); the committee of k is
 *   the first k chosen;
 * - k: the most accurate on validation (ties: the smaller k).
 * The test images are scored for every k, for the table, but only the
 * committee validation chose is reported as the result.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";

/** One saved member: its name, what member.json says, and its logits. */
export interface SavedMember {
  name: string;
  info: Record<string, unknown>;
  validation: Float32Array;
  test: Float32Array;
}

/** The members in `dir` (one folder each), sorted by name; an Error names a malformed one. */
export function readMembers(dir: string, classes = 10): SavedMember[] {
  if (!existsSync(dir)) throw new Error(`no members: ${dir} does not exist`);
  const out: SavedMember[] = [];
  for (const name of readdirSync(dir).sort()) {
    const folder = join(dir, name);
    if (!existsSync(join(folder, "member.json"))) continue;
    const info = JSON.parse(readFileSync(join(folder, "member.json"), "utf8")) as Record<string, unknown>;
    const logits = (file: string): Float32Array => {
      const raw = gunzipSync(readFileSync(join(folder, file)));
      if (raw.length % (4 * classes) !== 0)
        throw new Error(
          `${join(folder, file)}: ${raw.length} bytes is not a whole number of rows of ${classes} float32`,
        );
      const copy = new Uint8Array(raw); // aligned for the Float32Array view
      return new Float32Array(copy.buffer, 0, raw.length / 4);
    };
    out.push({ name, info, validation: logits("validation.f32.gz"), test: logits("test.f32.gz") });
  }
  return out;
}

/** Row-wise softmax of logits (float64, max subtracted). */
export function softmaxRows(logits: ArrayLike<number>, classes: number): Float64Array {
  const p = new Float64Array(logits.length);
  for (let o = 0; o < logits.length; o += classes) {
    let m = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < classes; j++) m = Math.max(m, logits[o + j] as number);
    let s = 0;
    for (let j = 0; j < classes; j++) s += p[o + j] = Math.exp((logits[o + j] as number) - m);
    for (let j = 0; j < classes; j++) p[o + j] = (p[o + j] as number) / s;
  }
  return p;
}

/** How a committee combines its members. */
export type Combination = "probabilities" | "logits";

/** The committee's probabilities: the mean of the members' softmax, or the softmax of their mean logits. */
export function combine(parts: ArrayLike<number>[], how: Combination, classes: number): Float64Array {
  const n = (parts[0] as ArrayLike<number>).length;
  const mean = new Float64Array(n);
  for (const part of parts) {
    const v = how === "probabilities" ? softmaxRows(part, classes) : part;
    for (let i = 0; i < n; i++) mean[i] = (mean[i] as number) + (v[i] as number) / parts.length;
  }
  return how === "probabilities" ? mean : softmaxRows(mean, classes);
}

/** Accuracy and mean log-likelihood of probabilities against labels. */
export function score(
  p: Float64Array,
  labels: ArrayLike<number>,
  classes: number,
): { accuracy: number; logLik: number } {
  let correct = 0;
  let ll = 0;
  for (let r = 0; r < labels.length; r++) {
    const o = r * classes;
    let best = 0;
    for (let j = 1; j < classes; j++) if ((p[o + j] as number) > (p[o + best] as number)) best = j;
    if (best === labels[r]) correct++;
    ll += Math.log(Math.max(p[o + (labels[r] as number)] as number, 1e-300));
  }
  return { accuracy: correct / labels.length, logLik: ll / labels.length };
}

/** One step of the forward selection: the committee of the first k chosen members. */
export interface CommitteeStep {
  k: number;
  members: string[];
  validation: number;
  validationLogLik: number;
  test: number;
}

/** The assembled committee: both combinations' selections, and the one validation chose. */
export interface Assembled {
  members: { name: string; validation: number; test: number; info: Record<string, unknown> }[];
  selections: Record<Combination, CommitteeStep[]>;
  chosen: { combination: Combination } & CommitteeStep;
}

/** Greedy forward selection on validation, for both combinations; see the module's comment. */
export function assemble(
  members: SavedMember[],
  labels: { validation: ArrayLike<number>; test: ArrayLike<number> },
  classes = 10,
): Assembled {
  if (members.length === 0) throw new Error("no members to assemble");
  /** A committee's accuracy and log-likelihood on one split. */
  const scoreOf = (committee: SavedMember[], split: "validation" | "test", how: Combination) =>
    score(
      combine(
        committee.map((m) => m[split]),
        how,
        classes,
      ),
      labels[split],
      classes,
    );
  const selections = {} as Record<Combination, CommitteeStep[]>;
  for (const how of ["probabilities", "logits"] as const) {
    const chosen: SavedMember[] = [];
    const steps: CommitteeStep[] = [];
    const left = [...members];
    while (left.length > 0) {
      let best: { i: number; accuracy: number; logLik: number } | null = null;
      for (let i = 0; i < left.length; i++) {
        const s = scoreOf([...chosen, left[i] as SavedMember], "validation", how);
        if (best === null || s.accuracy > best.accuracy || (s.accuracy === best.accuracy && s.logLik > best.logLik))
          best = { i, ...s };
      }
      const pick = left.splice((best as { i: number }).i, 1)[0] as SavedMember;
      chosen.push(pick);
      const test = scoreOf(chosen, "test", how);
      steps.push({
        k: chosen.length,
        members: chosen.map((m) => m.name),
        validation: (best as { accuracy: number }).accuracy,
        validationLogLik: (best as { logLik: number }).logLik,
        test: test.accuracy,
      });
    }
    selections[how] = steps;
  }
  // the most accurate on validation; ties: the higher log-likelihood, then the smaller k, then probabilities
  let chosen: Assembled["chosen"] | null = null;
  for (const how of ["probabilities", "logits"] as const) {
    for (const s of selections[how]) {
      if (
        chosen === null ||
        s.validation > chosen.validation ||
        (s.validation === chosen.validation && s.validationLogLik > chosen.validationLogLik)
      )
        chosen = { combination: how, ...s };
    }
  }
  const one = (m: SavedMember) => ({
    name: m.name,
    validation: score(softmaxRows(m.validation, classes), labels.validation, classes).accuracy,
    test: score(softmaxRows(m.test, classes), labels.test, classes).accuracy,
    info: m.info,
  });
  return { members: members.map(one), selections, chosen: chosen as Assembled["chosen"] };
}
