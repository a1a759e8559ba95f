/**
 * The examples' command lines: node:util's parseArgs, with `--help`, and a
 * usage message instead of a Node stack for an unknown flag, a missing value
 * or a bad number. Every number is checked before any work starts.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { nearestKey } from "tinymlp";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `process.argv` against `options` (plus --help); prints `help` and exits on --help or an error. */
export function cli<O extends Options>(
  help: string,
  options: O,
): ReturnType<typeof parseArgs<{ options: O }>>["values"] {
  let parsed: ReturnType<typeof parseArgs<{ options: O }>>;
  try {
    parsed = parseArgs({ options: { ...options, help: { type: "boolean", default: false } } as O, strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /^Unknown option '--([^']+)'/.exec(msg)?.[1];
    const near = unknown === undefined ? null : nearestKey(unknown, [...Object.keys(options), "help"]);
    usage(help, near === null ? msg : `${msg}: did you mean --${near}?`);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    process.exit(0);
  }
  return parsed.values;
}

/** Prints the problem and the help text to stderr, and exits with status 2. */
export function usage(help: string, problem: string): never {
  console.error(`${problem}\n\n${help}`);
  process.exit(2);
}

/** The flag's value as a number satisfying `ok`, or a usage error naming the flag, the rule and the value. */
export function num(help: string, name: string, v: unknown, ok: (x: number) => boolean, rule: string): number {
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || !ok(n)) usage(help, `--${name} must be ${rule}, got '${String(v)}'`);
  return n;
}

/** An integer flag ≥ min. */
export function int(help: string, name: string, v: unknown, min = 1): number {
  return num(help, name, v, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`);
}
