/**
 * Mutation score per file and in total from StrykerJS JSON reports
 * (mutation-testing-report-schema). With several reports, a file is taken
 * from the last report that mutated it, so one file can be re-run alone
 * (`npx stryker run --mutate src/x.ts --jsonReporter.fileName out/mutation/x.json`)
 * and combined with a full run. Score = (killed + timeout) / (all − no-coverage
 * counted as undetected), i.e. Stryker's "mutation score"; and killed outright,
 * the same without the timeouts (an `i++` → `i--` loop that never ends times out).
 *
 *   tsx scripts/mutation-score.ts out/mutation/mutation.json [more.json …]
 */
import { readFileSync } from "node:fs";

type Mutant = { status: string };
const files = new Map<string, Mutant[]>();
for (const path of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(path, "utf8")) as { files: Record<string, { mutants: Mutant[] }> };
  for (const [f, { mutants }] of Object.entries(report.files)) files.set(f, mutants);
}
let detected = 0;
let killed = 0;
let valid = 0;
const rows: string[] = [];
for (const [f, mutants] of [...files].sort()) {
  const d = mutants.filter((m) => m.status === "Killed" || m.status === "Timeout").length;
  const v = mutants.filter((m) => !["CompileError", "RuntimeError", "Ignored"].includes(m.status)).length;
  const survived = mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage").length;
  const k = mutants.filter((m) => m.status === "Killed").length;
  detected += d;
  killed += k;
  valid += v;
  rows.push(
    `${f.padEnd(28)} ${((100 * d) / v).toFixed(2).padStart(6)}%  ${String(d).padStart(5)} detected  ${((100 * k) / v).toFixed(2).padStart(6)}% ${String(k).padStart(5)} killed outright  ${String(survived).padStart(4)} survived  of ${v}`,
  );
}
console.log(rows.join("\n"));
console.log(
  `${"total".padEnd(28)} ${((100 * detected) / valid).toFixed(2).padStart(6)}%  ${detected} detected, ${((100 * killed) / valid).toFixed(2)}% ${killed} killed outright (timeouts not counted), of ${valid}`,
);
