/**
 * What the exporters read of a layer: its `toConfig()` document (the same
 * one the native file stores) and its parameters, never its private fields.
 * These readers check each value they take from a config, so a layer whose
 * config lacks a field fails with a message naming the layer and the field.
 */
import { type ActivationConfig, type ActivationName, getActivation } from "../activations.js";
import { ValueError } from "../errors.js";
import type { Layer, LayerConfig, LayerKind } from "../layer.js";
import { show } from "../options.js";
import type { FloatArray } from "../tensor.js";

/** A number field of a layer's config. */
export function configNumber(where: string, c: LayerConfig, key: string): number {
  const v = c[key];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ValueError(`${where}: layer '${String(c.name)}' has ${key} ${show(v)} in its config, expected a number`);
  }
  return v;
}

/** A boolean field of a layer's config. */
export function configBoolean(where: string, c: LayerConfig, key: string): boolean {
  const v = c[key];
  if (typeof v !== "boolean") {
    throw new ValueError(
      `${where}: layer '${String(c.name)}' has ${key} ${show(v)} in its config, expected true or false`,
    );
  }
  return v;
}

/** An activation field of a layer's config, with every option filled in (getActivation checks it). */
export function configActivation(c: LayerConfig, key: string): ActivationConfig {
  return getActivation(c[key] as ActivationName | ActivationConfig).toConfig();
}

/** A parameter's values, by the last part of its name (`dense_1/kernel` → `kernel`). */
export function paramValues(where: string, layer: Layer, suffix: string): FloatArray {
  const p = layer.params().find((q) => q.name.endsWith(`/${suffix}`));
  if (!p) throw new ValueError(`${where}: layer '${layer.name}' has no parameter '${suffix}'`);
  return p.value.data;
}

/** Whether a layer has a parameter of that suffix (a Dense without bias has none). */
export function hasParam(layer: Layer, suffix: string): boolean {
  return layer.params().some((p) => p.name.endsWith(`/${suffix}`));
}

/**
 * The exporter's entry for a config's kind: a built-in kind has one in every
 * exporter's table (`satisfies Record<LayerKind, …>` makes a new built-in
 * layer fail to compile until both exporters handle it or refuse it); any
 * other kind, a user's own layer among them, has none.
 */
export function entryFor<T>(table: Readonly<Record<LayerKind, T>>, c: LayerConfig): T | null {
  return Object.hasOwn(table, c.kind) ? (table[c.kind as LayerKind] as T) : null;
}
