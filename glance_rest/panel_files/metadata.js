// The cloud's metadata definitions for images (Glance's metadefs for the
// OS::Glance::Image resource type), offered as property names and values by
// the create form's metadata step and the image's custom properties.
import {api} from "./api.js";
import {state} from "./state.js";
import {$, FAILED, attempt, h} from "./ui.js";

export async function loadSuggestions() {
  if (state.suggestions) return;
  const answer = await attempt(() => api("GET", "glance/metadefs/namespaces/?resource_type=OS::Glance::Image"));
  if (answer === FAILED) return;
  const suggestions = {};
  for (const namespace of answer.items) {
    const from = namespace.display_name || namespace.namespace;
    const objects = (namespace.objects || []).map((object) => object.properties || {});
    for (const properties of [namespace.properties || {}, ...objects]) {
      for (const [name, definition] of Object.entries(properties)) {
        suggestions[name] ??= {...definition, namespace: from};
      }
    }
  }
  state.suggestions = suggestions;
  $("property-suggestions").replaceChildren(...Object.keys(suggestions).sort().map((name) =>
    h("option", {value: name, label: `${suggestions[name].title || name} (${suggestions[name].namespace})`})));
}

// What the definition of property `name` says, shown beside the field; its
// allowed values (an enum, or a boolean's) become the value field's choices.
export function describe(name, hint) {
  const found = state.suggestions && state.suggestions[name.trim()];
  const values = !found ? [] : found.enum || (found.type === "boolean" ? ["true", "false"] : []);
  $("property-values").replaceChildren(...values.map((value) => h("option", {value: String(value)})));
  hint.textContent = found
    ? `${found.title || ""}: ${found.description || ""}${values.length ? " Values: " + values.join(", ") : ""}`
    : "";
}
