/**
 * Fails (exit 1) when the runtime imports between the files of src/ form a
 * cycle, printing each cycle. Type-only imports (`import type`, or an import
 * whose every name is `type X`) are erased by the compiler and pulled into no
 * bundle, so they do not count. Run in CI: `tsx scripts/check-cycles.ts`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? resolve(import.meta.dirname, "..", "src"));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The relative modules a file imports at run time. */
function runtimeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  const re =
    /^(import|export)\s+(type\s+)?(\{[^}]*\}|\*(?:\s+as\s+\w+)?|[\w$]+(?:\s*,\s*\{[^}]*\})?)\s+from\s+"(\.[^"]+)";/gms;
  for (const m of text.matchAll(re)) {
    const [, , typeOnly, names = "", spec = ""] = m;
    if (typeOnly) continue;
    if (names.startsWith("{")) {
      const list = names
        .slice(1, -1)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (list.length > 0 && list.every((n) => n.startsWith("type "))) continue;
    }
    out.push(resolve(dirname(file), spec.replace(/\.js$/, ".ts")));
  }
  return out;
}

const graph = new Map(files(root).map((f) => [f, runtimeImports(f)]));
const cycles: string[][] = [];
const state = new Map<string, "active" | "done">();
const stack: string[] = [];
function visit(f: string): void {
  state.set(f, "active");
  stack.push(f);
  for (const g of graph.get(f) ?? []) {
    if (state.get(g) === "active") cycles.push([...stack.slice(stack.indexOf(g)), g]);
    else if (!state.has(g)) visit(g);
  }
  stack.pop();
  state.set(f, "done");
}
for (const f of graph.keys()) if (!state.has(f)) visit(f);

if (cycles.length > 0) {
  for (const c of cycles) console.error(`import cycle: ${c.map((f) => relative(root, f)).join(" → ")}`);
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} files of src/`);
