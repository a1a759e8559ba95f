// npm pack / npm publish: the packed package.json leaves out `prepare`
// (prepack builds dist/ first: with `prepare` gone, npm would not run it).
// `prepare` builds dist/ where npm builds from source (a git install, npm ci
// in a clone); in a tarball dist/ is already built, and npm ≥ 11 warns about
// every dependency with an install script ("not yet covered by allowScripts").
//   node scripts/pack-manifest.mjs strip     (prepack: keeps the original as package.json.orig)
//   node scripts/pack-manifest.mjs restore   (postpack)
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const [mode] = process.argv.slice(2);
if (mode === "strip") {
  if (existsSync("package.json.orig")) {
    console.error(
      "package.json.orig exists: an earlier pack did not finish; restore it first (node scripts/pack-manifest.mjs restore)",
    );
    process.exit(1);
  }
  const text = readFileSync("package.json", "utf8");
  const manifest = JSON.parse(text);
  writeFileSync("package.json.orig", text);
  delete manifest.scripts.prepare;
  writeFileSync("package.json.tmp", `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync("package.json.tmp", "package.json");
} else if (mode === "restore") {
  if (existsSync("package.json.orig")) renameSync("package.json.orig", "package.json");
} else {
  console.error("usage: node scripts/pack-manifest.mjs strip|restore");
  process.exit(1);
}
