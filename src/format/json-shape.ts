/**
 * A bound on what `JSON.parse` may build from a model file, checked before it
 * runs.
 *
 * The header's byte limit alone does not bound the parse: JSON.parse's cost
 * is per *value*, and an object or array costs far more than its two bytes
 * (8 M nested `[`…`]` in a 16 MiB header took 7.9 s and 881 MB). So one
 * linear pass over the bytes — strings skipped, escapes honoured — counts
 * the nesting depth and the containers (objects and arrays), and refuses the
 * text as soon as either passes its limit in {@link LIMITS}. A real model
 * needs little of each: the largest model the other limits allow (1,000
 * layers, Adam state, a training history) has depth 5 and about 8,000
 * containers. In a binary file's header the values (commas + containers)
 * are bounded too, since `0,` costs JSON.parse 8–16 bytes of heap for its 2
 * bytes of text; a JSON model file's weights are such values, so there the
 * caller leaves the value count open and the file's size bounds it.
 *
 * Malformed text (unbalanced brackets, an unterminated string) is left to
 * JSON.parse, which reports it; this pass only counts.
 */
import { LIMITS } from "../limits.js";

/** What {@link jsonShape} counted. */
export interface JsonShape {
  /** The deepest nesting of objects and arrays (0 for a bare scalar). */
  depth: number;
  /** Objects and arrays. */
  containers: number;
  /** Commas outside strings plus containers: an upper bound on the values. */
  values: number;
}

/**
 * Counts the nesting depth, containers and values of JSON text in one pass,
 * stopping with an error message as soon as one exceeds its limit.
 * @param maxValues the most values allowed (default: no limit)
 * @returns the counts, or a message naming the limit that was passed
 */
export function jsonShape(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  maxValues = Number.POSITIVE_INFINITY,
): JsonShape | string {
  let depth = 0;
  let maxDepth = 0;
  let containers = 0;
  let commas = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === 0x22) {
      // a string: skip to its closing quote (a backslash escapes the next byte)
      for (i++; i < end && bytes[i] !== 0x22; i++) if (bytes[i] === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      containers++;
      if (depth > maxDepth) {
        maxDepth = depth;
        if (depth > LIMITS.jsonDepth) return `nesting deeper than ${LIMITS.jsonDepth} levels (at byte ${i - start})`;
      }
      if (containers > LIMITS.jsonContainers)
        return `more than ${LIMITS.jsonContainers} objects and arrays (at byte ${i - start})`;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c) {
      commas++;
      if (commas + containers > maxValues) return `more than ${maxValues} values (at byte ${i - start})`;
    }
  }
  return { depth: maxDepth, containers, values: commas + containers };
}

/**
 * JSON text parsed only after {@link jsonShape} has bounded it: UTF-8
 * decoded strictly (invalid bytes are an error, not U+FFFD), then
 * `JSON.parse`. Every JSON document read from outside goes through this:
 * a tinymlp header or JSON model file, a TF.js `model.json`. The message of
 * a failure is capped (a parser's message may quote the text).
 * @param maxValues the most values allowed (default: no limit; the byte size bounds them)
 * @returns the value, or a message saying what was wrong
 * @internal
 */
export function parseJsonBounded(
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
  maxValues = Number.POSITIVE_INFINITY,
): { value: unknown } | { error: string } {
  const shape = jsonShape(bytes, start, end, maxValues);
  if (typeof shape === "string") return { error: shape };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end));
  } catch {
    return { error: "not valid UTF-8 text" };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : "not JSON";
    return { error: `not JSON: ${msg.length > 200 ? `${msg.slice(0, 200)}…` : msg}` };
  }
}
