// The administrator's views, each in the address (#/admin/...): every
// project's images, and the metadata definition namespaces with their
// import, contents, associations, edit, export and delete. Offered to a
// user whose roles include admin; the API refuses anyone else anyway.
import {ApiError, api, seg} from "./api.js";
import {imageCells} from "./list.js";
import {loadInfo, state} from "./state.js";
import {$, FAILED, attempt, confirmDialog, errorText, fileDropTarget, fillSelect, h, notice,
  showError, showView, when} from "./ui.js";

export const isAdmin = () => Boolean(state.me && state.me.roles.includes("admin"));

export function showAdminNav() {
  $("admin-nav").hidden = !isAdmin();
}

const NAMESPACES = "glance/metadefs/namespaces/";
const namespacePath = (name, rest = "") => `${NAMESPACES}${seg(name)}/${rest}`;
export const namespaceHash = (name) => `#/admin/namespaces/${seg(name)}`;

// "#/admin/<what>[/<name>]?query" -> the view.
export async function openAdmin(parts, queryText) {
  if (!isAdmin()) {
    showView("none");
    showError(new ApiError(403, {error: {message:
      "These views are for administrators: your roles in this project do not include admin."}}));
    return;
  }
  const [what, name] = parts;
  if (what === "images") await openAdminImages(queryText);
  else if (what === "namespaces" && name === "import") openImport();
  else if (what === "namespaces" && name) await openNamespace(decodeURIComponent(name));
  else await openNamespaces();
}

// --- every project's images ------------------------------------------------------
const IMAGE_FILTERS = ["name", "project", "status", "disk_format", "size_min", "size_max", "orphaned"];
const admin = {asked: 0, projectsOffered: false};

function imagesHash(query) {
  const text = new URLSearchParams(Object.entries(query).filter(([, value]) => value)).toString();
  return "#/admin/images" + (text ? "?" + text : "");
}

async function openAdminImages(queryText) {
  showView("admin-images");
  const query = Object.fromEntries(new URLSearchParams(queryText));
  for (const name of IMAGE_FILTERS) {
    const field = $(`admin-filter-${name}`);
    if (field.type === "checkbox") field.checked = query[name] === "true";
    else if (field.tagName === "SELECT" && query[name] && ![...field.options].some((o) => o.value === query[name])) {
      field.append(h("option", {value: query[name], text: query[name]}));
      field.value = query[name];
    } else field.value = query[name] || "";
  }
  const asking = new URLSearchParams({paginate: "true"});
  for (const name of [...IMAGE_FILTERS, "marker"]) if (query[name]) asking.set(name, query[name]);
  if (query.reversed === "true") asking.set("reversed_order", "true");
  const asked = ++admin.asked;
  const answer = await attempt(() => api("GET", "glance/admin/images/?" + asking));
  if (answer === FAILED || asked !== admin.asked) return;
  $("admin-images-body").replaceChildren(...answer.items.map((image) => h("tr", {"data-id": image.id},
    h("td", {"data-label": "Project", "data-owner": image.owner || "", text: projectText(image)}),
    h("td", {"data-label": "Name"}, h("a", {href: `#/images/${seg(image.id)}`, text: image.name || image.id})),
    ...imageCells(image))));
  $("admin-images-empty").hidden = answer.items.length > 0;
  $("admin-images-empty").textContent = answer.scan_marker
    ? `None in this part of the catalogue: the search stopped part-way, ${
      query.reversed === "true" ? "Previous" : "Next"} carries on.` : "No images.";
  const page = Number(query.page || 1);
  $("admin-page-number").textContent = `Page ${page}`;
  // A scan that stopped short (orphaned) carries on from where it stopped.
  const turn = (forward) => {
    const items = answer.items;
    const onward = forward === (query.reversed !== "true");
    const marker = (onward && answer.scan_marker) || (!items.length && (answer.scan_marker || query.marker))
      || (forward ? items[items.length - 1].id : items[0].id);
    location.hash = imagesHash({...query, marker, reversed: forward ? "" : "true",
                                page: String(forward ? page + 1 : Math.max(page - 1, 1))});
  };
  $("admin-page-prev").disabled = !answer.has_prev_data;
  $("admin-page-next").disabled = !answer.has_more_data;
  $("admin-page-prev").onclick = () => turn(false);
  $("admin-page-next").onclick = () => turn(true);
  offerProjectsAndFormats(query);
}

// What Keystone told of the owner: a name, gone, or nothing (it would not
// say: such an image is not an orphan, whatever the list shows).
function projectText(image) {
  if (image.project_name) return image.project_name;
  if (!image.owner) return "(none)";
  return image.owner_status === "gone" ? `${image.owner} (no such project)`
    : `${image.owner} (unknown: Keystone will not say)`;
}

// The filter's choices, asked for once the rows are shown.
async function offerProjectsAndFormats(query) {
  if (admin.projectsOffered) return;
  admin.projectsOffered = true;
  const [projects, info] = await Promise.all([
    api("GET", "glance/admin/projects/").catch(() => null), loadInfo().catch(() => null)]);
  if (projects) {
    const select = $("admin-filter-project");
    select.replaceChildren(h("option", {value: "", text: "any"}),
      ...projects.items.map((p) => h("option", {value: p.id, text: p.name})));
    select.value = query.project || "";
  }
  if (info) fillSelect($("admin-filter-disk_format"), ["", ...info.disk_formats], query.disk_format || "", {"": "any"});
}

export function filterAdminImages(event) {
  event.preventDefault();
  const query = {};
  for (const name of IMAGE_FILTERS) {
    const field = $(`admin-filter-${name}`);
    query[name] = field.type === "checkbox" ? (field.checked ? "true" : "") : field.value.trim();
  }
  location.hash = imagesHash(query);
}

// --- the namespaces table ---------------------------------------------------------
const namespaces = {items: [], selected: new Set()};

async function openNamespaces() {
  showView("namespaces");
  const answer = await attempt(() => api("GET", NAMESPACES));
  if (answer === FAILED) return;
  namespaces.items = answer.items;
  namespaces.selected.clear();
  $("namespaces-body").replaceChildren(...answer.items.map((ns) => h("tr", {"data-namespace": ns.namespace},
    h("td", {"data-label": "Select"}, h("input", {
      type: "checkbox", class: "select-row", disabled: ns.protected,
      "aria-label": ns.protected ? `${ns.namespace} is protected` : `Select ${ns.namespace}`,
      onchange: (event) => selectNamespace(ns.namespace, event.target.checked)})),
    h("td", {"data-label": "Name"}, h("a", {href: namespaceHash(ns.namespace), text: ns.namespace})),
    h("td", {"data-label": "Display name", text: ns.display_name || ""}),
    h("td", {"data-label": "Description", text: ns.description || ""}),
    h("td", {"data-label": "Resource types",
             text: (ns.resource_type_associations || []).map((a) => a.name).join(", ")}),
    h("td", {"data-label": "Public", text: ns.visibility === "public" ? "Yes" : "No"}),
    h("td", {"data-label": "Protected", text: ns.protected ? "Yes" : "No"}))));
  $("namespaces-empty").hidden = answer.items.length > 0;
  $("namespace-select-all").checked = false;
  showNamespaceSelection();
  searchNamespaces();
}

export function searchNamespaces() {
  const text = $("namespace-search").value.trim().toLowerCase();
  let shown = 0;
  for (const row of $("namespaces-body").querySelectorAll("tr")) {
    const match = !text || row.textContent.toLowerCase().includes(text);
    row.hidden = !match;
    if (!match && namespaces.selected.has(row.dataset.namespace)) {
      row.querySelector(".select-row").checked = false;
      selectNamespace(row.dataset.namespace, false);
    }
    if (match) shown += 1;
  }
  $("namespace-search-count").textContent = text ? `${shown} of ${namespaces.items.length} shown` : "";
}

function selectNamespace(name, chosen) {
  if (chosen) namespaces.selected.add(name); else namespaces.selected.delete(name);
  showNamespaceSelection();
}

export function selectAllNamespaces(chosen) {
  for (const box of $("namespaces-body").querySelectorAll("tr:not([hidden]) .select-row:not(:disabled)")) {
    box.checked = chosen;
    selectNamespace(box.closest("tr").dataset.namespace, chosen);
  }
}

function showNamespaceSelection() {
  const count = namespaces.selected.size;
  $("namespace-batch-delete").disabled = count === 0;
  $("namespace-batch-count").textContent = count ? `${count} selected` : "";
}

export async function deleteSelectedNamespaces() {
  const names = [...namespaces.selected];
  const what = names.length === 1 ? `namespace “${names[0]}”` : `${names.length} namespaces`;
  if (!await confirmDialog(`Delete ${what} with everything they define? This cannot be undone.`, "Delete")) return;
  const outcomes = await Promise.all(names.map((name) => api("DELETE", namespacePath(name))
    .then(() => [name, null], (error) => {
      if (!(error instanceof ApiError)) throw error;
      return [name, error];
    })));
  const failed = outcomes.filter(([, error]) => error);
  $("namespace-batch-results").replaceChildren(...outcomes.map(([name, error]) =>
    h("li", {text: error ? `${name}: not deleted (${errorText(error)})` : `${name}: deleted`})));
  $("namespace-batch-results").hidden = false;
  notice(`${outcomes.length - failed.length} of ${outcomes.length} deleted.`);
  await openNamespaces();
}

// --- import -------------------------------------------------------------------------
function openImport() {
  showView("namespace-import");
  fieldError("namespace-json", "namespace-json-error", "");
  readImportChoices();
  $("namespace-json").focus();
}

// The document's own visibility and protection, shown as the form's choices.
// A list of documents keeps each one's own: the choices are not offered.
export function readImportChoices() {
  const text = $("namespace-json").value.trim();
  const several = text.startsWith("[");
  for (const id of ["namespace-import-public", "namespace-import-protected"]) $(id).disabled = several;
  $("namespace-import-choices-hint").hidden = !several;
  let document;
  try { document = JSON.parse(text); } catch (e) { return; }
  if (several || !document || typeof document !== "object") return;
  if ("visibility" in document) $("namespace-import-public").checked = document.visibility === "public";
  if ("protected" in document) $("namespace-import-protected").checked = document.protected === true;
}

// One file's text fills the box; several files make one list of documents,
// imported in one call.
export async function importFiles(files) {
  const texts = await Promise.all([...files].map((file) => file.text()));
  $("namespace-json").value = texts.length === 1 ? texts[0]
    : `[\n${texts.map((text) => text.trim()).join(",\n")}\n]\n`;
  readImportChoices();
  fieldError("namespace-json", "namespace-json-error", "");
}

export function importDropTarget(form) {
  fileDropTarget(form, $("namespace-drop-zone"), importFiles);
}

// "line L, column C" of a character offset in the text.
function lineAndColumn(text, offset) {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

// Chromium names an unexpected token by the text around it instead of its
// position: up to ten characters either side, "..." where it cut the text.
const QUOTED_CONTEXT = /^(Unexpected token '.*?'), (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;
const CONTEXT_CHARACTERS = 10;

function quotedOffset(text, [, , cutBefore, context, cutAfter]) {
  const start = text.indexOf(context);
  if (start < 0 || (!cutBefore && !cutAfter)) return -1;
  return cutBefore ? start + CONTEXT_CHARACTERS : context.length - CONTEXT_CHARACTERS;
}

// Where JSON.parse stopped, in words a person can find in the box.
function syntaxProblem(text, error) {
  const at = /line (\d+) column (\d+)/.exec(error.message);
  const position = /position (\d+)/.exec(error.message);
  const quoted = QUOTED_CONTEXT.exec(error.message);
  const offset = position ? Number(position[1]) : quoted ? quotedOffset(text, quoted) : -1;
  const where = at ? `line ${at[1]}, column ${at[2]}` : offset >= 0 ? lineAndColumn(text, offset) : "";
  const what = quoted ? quoted[1]
    : error.message.replace(/^JSON\.parse: /, "").replace(/ in JSON at position.*$/, "");
  return `Not valid JSON${where ? ` at ${where}` : ""}: ${what}.`;
}

function fieldError(fieldId, errorId, text) {
  $(errorId).textContent = text;
  if (text) $(fieldId).setAttribute("aria-invalid", "true"); else $(fieldId).removeAttribute("aria-invalid");
}

// The line of the text where the refused field's name first appears.
function lineOfField(text, field) {
  const name = String(field || "").split(/[.[\]]/).filter(Boolean).pop();
  if (!name) return "";
  const offset = text.indexOf(JSON.stringify(name));
  return offset < 0 ? "" : ` (${lineAndColumn(text, offset)})`;
}

// The box's reason for not importing, read out, with the cursor in the box.
function refuseImport(message) {
  fieldError("namespace-json", "namespace-json-error", message);
  $("namespace-json").focus();
}

// The API's refusal of the whole import; ``where`` in the box, if known.
const nothingCreated = (error, where = "") =>
  `Not imported, nothing was created. ${errorText(error)}${where}`;

export async function importNamespace(event) {
  event.preventDefault();
  const text = $("namespace-json").value;
  let document;
  try { document = JSON.parse(text); } catch (error) {
    refuseImport(syntaxProblem(text, error));
    return;
  }
  if (Array.isArray(document)) return importSeveral(text, document);
  if (!document || typeof document !== "object") {
    refuseImport("The JSON must be an object (a namespace) or a list of them.");
    return;
  }
  document.visibility = $("namespace-import-public").checked ? "public" : "private";
  document.protected = $("namespace-import-protected").checked;
  fieldError("namespace-json", "namespace-json-error", "");
  try {
    await api("POST", NAMESPACES, document);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    refuseImport(nothingCreated(error, lineOfField(text, error.field)));
    return;
  }
  notice(`Namespace ${document.namespace} imported.`);
  $("namespace-json").value = "";
  location.hash = namespaceHash(document.namespace);
}

// A list of documents in one call (the API's batch import): the imported ones
// leave the box, the refused ones stay in it with each one's reason. The API
// checks the list itself (its length, each item an object) and names the item.
async function importSeveral(text, documents) {
  fieldError("namespace-json", "namespace-json-error", "");
  let answer;
  try {
    answer = await api("POST", "glance/metadefs/import/", {namespaces: documents});
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // The message names the item; the field's name may be any item's.
    refuseImport(nothingCreated(error));
    return;
  }
  const refused = answer.items.map((outcome, i) => [outcome, documents[i]])
    .filter(([outcome]) => outcome.status !== 201);
  const imported = documents.length - refused.length;
  notice(`${imported} of ${documents.length} namespaces imported.`);
  if (!refused.length) {
    $("namespace-json").value = "";
    location.hash = "#/admin/namespaces";
    return;
  }
  $("namespace-json").value = JSON.stringify(refused.map(([, d]) => d), null, 2) + "\n";
  refuseImport(`Not imported, left in the box: ${refused.map(([outcome]) =>
    `${outcome.namespace}: ${errorText(new ApiError(outcome.status, {error: outcome.error}))}`).join("; ")}`);
}

// --- one namespace ------------------------------------------------------------------
const current = {name: null, namespace: null, document: null, editing: null, asked: 0};

async function openNamespace(name) {
  showView("namespace");
  if (current.name !== name) {
    // Nothing of another namespace stays shown while this one loads.
    $("namespace-title").textContent = name;
    for (const id of ["namespace-facts", "associations-body", "contents-body"]) $(id).replaceChildren();
  }
  const asked = ++current.asked;
  const answer = await attempt(() => Promise.all([
    api("GET", namespacePath(name)), api("GET", namespacePath(name, "export/")), resourceTypes()]));
  if (answer === FAILED || asked !== current.asked) return;
  const [namespace, document, types] = answer;
  Object.assign(current, {name, namespace, document});
  $("namespace-title").textContent = namespace.display_name || name;
  const facts = {
    Name: name, "Display name": namespace.display_name, Description: namespace.description,
    Visibility: namespace.visibility, Protected: namespace.protected ? "Yes" : "No",
    Owner: namespace.owner, Created: when(namespace.created_at), Updated: when(namespace.updated_at),
  };
  $("namespace-facts").replaceChildren(...Object.entries(facts).flatMap(([label, value]) =>
    [h("dt", {text: label}), h("dd", {"data-fact": label, text: value ?? ""})]));
  $("namespace-edit-display").value = namespace.display_name || "";
  $("namespace-edit-description").value = namespace.description || "";
  $("namespace-edit-public").checked = namespace.visibility === "public";
  $("namespace-edit-protected").checked = Boolean(namespace.protected);
  $("namespace-delete").disabled = Boolean(namespace.protected);
  $("namespace-delete").title = namespace.protected ? "Protected: unprotect it (Edit) to delete it." : "";
  showAssociations(namespace, types);
  showContents(document);
  stopEditing();
}

async function resourceTypes() {
  if (!admin.resourceTypes) admin.resourceTypes = (await api("GET", "glance/metadefs/resourcetypes/")).items;
  return admin.resourceTypes;
}

function showAssociations(namespace, types) {
  const associations = namespace.resource_type_associations || [];
  $("associations-body").replaceChildren(...associations.map((a) => h("tr", {"data-resource-type": a.name},
    h("td", {text: a.name}), h("td", {text: a.prefix || ""}), h("td", {text: a.properties_target || ""}),
    h("td", {}, h("button", {type: "button", text: "Remove", "aria-label": `Remove ${a.name}`,
      onclick: () => write("DELETE", namespacePath(current.name, `resourcetypes/${seg(a.name)}/`),
                           undefined, `${a.name} is no longer associated.`)})))));
  const taken = new Set(associations.map((a) => a.name));
  fillSelect($("association-name"), types.map((t) => t.name).filter((n) => !taken.has(n)), "");
}

export async function associate(event) {
  event.preventDefault();
  const body = {name: $("association-name").value};
  if ($("association-prefix").value) body.prefix = $("association-prefix").value;
  if ($("association-target").value) body.properties_target = $("association-target").value;
  if (await write("POST", namespacePath(current.name, "resourcetypes/"), body,
                  `Associated with ${body.name}.`)) {
    $("association-prefix").value = "";
    $("association-target").value = "";
  }
}

const KINDS = {properties: "property", objects: "object", tags: "tag"};

function showContents(document) {
  const rows = [];
  const byName = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  for (const [name, definition] of Object.entries(document.properties || {}).sort(([a], [b]) => byName(a, b))) {
    rows.push(["properties", name, definition.title || "", definition.type || "", definition]);
  }
  for (const object of document.objects || []) {
    const {name, ...definition} = object;
    rows.push(["objects", name, object.description || "", "object", definition]);
  }
  for (const tag of document.tags || []) rows.push(["tags", tag.name, "", "tag", null]);
  $("contents-body").replaceChildren(...rows.map(([kind, name, title, type, definition]) =>
    h("tr", {"data-kind": kind, "data-name": name},
      h("td", {text: KINDS[kind]}), h("th", {scope: "row", text: name}), h("td", {text: title}),
      h("td", {text: type}),
      h("td", {class: "row-actions"},
        h("button", {type: "button", text: "Edit", "aria-label": `Edit ${KINDS[kind]} ${name}`,
                     onclick: () => startEditing(kind, name, definition)}),
        " ",
        h("button", {type: "button", class: "danger", text: "Delete", "aria-label": `Delete ${KINDS[kind]} ${name}`,
                     onclick: () => deleteContent(kind, name)})))));
}

function startEditing(kind, name, definition) {
  current.editing = {kind, name};
  $("content-kind").value = kind;
  $("content-kind").disabled = true;
  $("content-name").value = name;
  $("content-definition").value = definition ? JSON.stringify(definition, null, 2) : "";
  $("content-form-title").textContent = `Edit ${KINDS[kind]} ${name}`;
  $("content-save").textContent = "Save";
  $("content-cancel").hidden = false;
  showDefinitionField();
  fieldError("content-definition", "content-error", "");
  $("content-name").focus();
}

export function stopEditing() {
  current.editing = null;
  $("content-kind").disabled = false;
  $("content-name").value = "";
  $("content-definition").value = "";
  $("content-form-title").textContent = "Add a property, object or tag";
  $("content-save").textContent = "Add";
  $("content-cancel").hidden = true;
  showDefinitionField();
  fieldError("content-definition", "content-error", "");
}

export function showDefinitionField() {
  $("content-definition-field").hidden = $("content-kind").value === "tags";
}

export async function saveContent(event) {
  event.preventDefault();
  const kind = $("content-kind").value;
  const name = $("content-name").value.trim();
  let body = {name};
  if (kind !== "tags") {
    const text = $("content-definition").value.trim() || "{}";
    let definition;
    try { definition = JSON.parse(text); } catch (error) {
      fieldError("content-definition", "content-error", syntaxProblem(text, error));
      return;
    }
    if (!definition || typeof definition !== "object" || Array.isArray(definition)) {
      fieldError("content-definition", "content-error", "The definition must be one JSON object.");
      return;
    }
    body = {...definition, name};
  }
  const editing = current.editing;
  const path = editing ? namespacePath(current.name, `${kind}/${seg(editing.name)}/`)
    : namespacePath(current.name, `${kind}/`);
  try {
    await api(editing ? "PUT" : "POST", path, body);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fieldError(kind === "tags" ? "content-name" : "content-definition", "content-error",
               `Not saved. ${errorText(error)}`);
    return;
  }
  notice(`${KINDS[kind][0].toUpperCase()}${KINDS[kind].slice(1)} ${name} ${editing ? "saved" : "added"}.`);
  await openNamespace(current.name);
}

async function deleteContent(kind, name) {
  if (!await confirmDialog(`Delete ${KINDS[kind]} “${name}” from ${current.name}?`, "Delete")) return;
  await write("DELETE", namespacePath(current.name, `${kind}/${seg(name)}/`), undefined,
              `${KINDS[kind]} ${name} deleted.`);
}

// One change, then the namespace as Glance now holds it.
async function write(method, path, body, done) {
  const answer = await attempt(() => api(method, path, body));
  if (answer === FAILED) return false;
  notice(done);
  await openNamespace(current.name);
  return true;
}

export async function saveNamespace(event) {
  event.preventDefault();
  await write("PATCH", namespacePath(current.name), {
    display_name: $("namespace-edit-display").value,
    description: $("namespace-edit-description").value,
    visibility: $("namespace-edit-public").checked ? "public" : "private",
    protected: $("namespace-edit-protected").checked,
  }, `Namespace ${current.name} saved.`);
}

export async function exportNamespace() {
  const document = await attempt(() => api("GET", namespacePath(current.name, "export/")));
  if (document === FAILED) return;
  const blob = new Blob([JSON.stringify(document, null, 2) + "\n"], {type: "application/json"});
  const link = h("a", {href: URL.createObjectURL(blob), download: `${current.name.replace(/[^\w.-]+/g, "_")}.json`});
  window.document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  notice(`Exported ${current.name}.`);
}

export async function deleteNamespace() {
  if (!await confirmDialog(`Delete namespace “${current.name}” with everything it defines? This cannot be undone.`,
                           "Delete")) return;
  const answer = await attempt(() => api("DELETE", namespacePath(current.name)));
  if (answer === FAILED) return;
  notice(`Namespace ${current.name} deleted.`);
  location.hash = "#/admin/namespaces";
}
