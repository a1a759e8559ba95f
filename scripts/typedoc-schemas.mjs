/**
 * A TypeDoc plugin for the classes' option schemas (`static readonly options`).
 *
 * A schema is an `as const` object literal, so TypeDoc would document each
 * nested field (`units.type`, `units.min`, …) as a property of its own, with
 * no comment — hundreds of empty entries and as many "not documented"
 * warnings. The schema is data: this plugin prints it as one line of text
 * under the property's own comment (`{ units: { type: "number", integer:
 * true, min: 1, … } }`) and drops the nested reflections, so
 * `treatWarningsAsErrors` can hold for everything else.
 */
import { Converter, ReflectionKind, ReflectionType, UnknownType } from "typedoc";

/** The schema's text, from the reflection of its literal type. */
function render(type) {
  if (type instanceof ReflectionType) {
    const d = type.declaration;
    if (d.signatures?.length) return "(v: unknown) => …"; // a custom option's parse function
    const fields = (d.children ?? []).map((c) => `${c.name}: ${render(c.type)}`);
    return `{ ${fields.join(", ")} }`;
  }
  return type ? type.toString() : "unknown";
}

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    for (const r of project.getReflectionsByKind(ReflectionKind.Property)) {
      if (r.name !== "options" || !r.flags.isStatic || !(r.type instanceof ReflectionType)) continue;
      const text = render(r.type);
      project.removeReflection(r.type.declaration);
      r.type = new UnknownType(text);
    }
  });
}
