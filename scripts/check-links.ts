/**
 * Offline link check of README.md, CHANGELOG.md and docs/*.md: every relative
 * link and image must name a file in the repository (and an anchor, when
 * given, a heading of that file); no link may leave the package's tree
 * (`../` above the root). External links are not fetched.
 *
 *   npm run check:links
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const files = [
  "README.md",
  "CHANGELOG.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f)),
];
const slug = (h: string): string =>
  h
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, "")
    .replace(/\s/g, "-");
const anchors = (file: string): Set<string> =>
  new Set(
    readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => /^#{1,6} /.test(l))
      .map((l) => slug(l.replace(/^#+ /, "").replace(/`/g, ""))),
  );

const problems: string[] = [];
for (const file of files) {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, ""); // not inside code blocks
  for (const m of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = m[1] as string;
    if (/^[a-z]+:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split("#") as [string, string | undefined];
    const resolved = path === "" ? file : normalize(join(dirname(file), path));
    if (relative(".", resolved).startsWith("..")) {
      problems.push(`${file}: '${target}' points outside the repository`);
      continue;
    }
    if (!existsSync(resolved)) {
      problems.push(`${file}: '${target}' does not exist`);
      continue;
    }
    if (anchor && resolved.endsWith(".md") && !anchors(resolved).has(anchor)) {
      problems.push(`${file}: '${target}': no heading '#${anchor}' in ${resolved}`);
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`links ok in ${files.length} files`);
