// The images panel: a client of the documented /api/ endpoints only.
// Session callers send X-Requested-With on every call and the CSRF token on
// unsafe ones; every failure shows the API's own error message.
"use strict";

// ---------------------------------------------------------------- the API --
class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `The API answered ${status}.`);
    this.status = status;
    this.code = error.code || "";
    this.field = error.field || "";
  }
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function apiHeaders(method, extra) {
  const headers = {"X-Requested-With": "XMLHttpRequest", ...extra};
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRFToken"] = csrfToken();
  return headers;
}

async function failure(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON: keep the status */ }
  return new ApiError(response.status, body);
}

async function api(method, path, body) {
  const options = {method, credentials: "same-origin",
                   headers: apiHeaders(method, body === undefined ? {} : {"Content-Type": "application/json"})};
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch("/api/" + path, options);
  if (!response.ok) throw await failure(response);
  return response.status === 204 ? null : response.json();
}

// A path segment as the API takes it.
const seg = (value) => encodeURIComponent(value);
const imagePath = (id, rest = "") => `glance/images/${seg(id)}/${rest}`;

// Sends a file as the body of a PUT with upload progress; XHR, since fetch
// reports none. Returns {promise, abort}.
function sendFile(path, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("PUT", "/api/" + path);
    const headers = apiHeaders("PUT", {"Content-Type": "application/octet-stream"});
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) { onProgress(1); resolve(); return; }
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* keep the status */ }
      reject(new ApiError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, {error: {message: "The upload failed: the connection was lost."}}));
    xhr.onabort = () => reject(new ApiError(0, {error: {code: "cancelled", message: "The upload was cancelled."}}));
    xhr.send(file);
  });
  return {promise, abort: () => xhr.abort()};
}

// ------------------------------------------------------------------ helpers --
const $ = (id) => document.getElementById(id);

// Builds an element; text is always set as text, never parsed as HTML.
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) element.append(child);
  }
  return element;
}

function humanSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const when = (iso) => iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "";

function fillSelect(select, values, selected, labels = {}) {
  select.replaceChildren(...values.map((value) =>
    h("option", {value, text: labels[value] || value || "(none)", selected: value === selected})));
}

// --------------------------------------------------------------- messages --
// Why Glance or the API refused, in words, beside its own message.
const HELP = {
  400: "The request was not accepted as it is; the message says which field.",
  401: "Not logged in: the login was refused, or it has ended. Log in (again).",
  403: "Refused: your role in this project may not do this (Glance's policy decides, e.g. copying between stores and removing from a store are for administrators).",
  404: "Not found, or not visible to your project.",
  409: "Not possible in the image's current state.",
  413: "Too large, or over a quota.",
  502: "Glance failed to do it.",
  503: "Glance or Keystone cannot be reached right now.",
  504: "Glance or Keystone took too long to answer.",
};

function errorText(error) {
  return error.status ? `Error ${error.status}: ${error.message}` : error.message;
}

function showError(error) {
  if (error.status === 401) { showLogin(); }
  $("alert-text").textContent = errorText(error);
  $("alert-help").textContent = HELP[error.status] || "";
  $("alert").hidden = false;
}

function clearError() { $("alert").hidden = true; }

function notice(text) { $("notice").textContent = text; }

// Runs an action: clears the last error, shows the new one if it fails.
async function attempt(action) {
  clearError();
  try { return await action(); } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(error);
    return undefined;
  }
}

function confirmDialog(text, okLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
  });
}

// -------------------------------------------------------------- the state --
const LIST_DEFAULTS = {scope: "all", sortKey: "created_at", sortDir: "desc"};
const state = {
  me: null,          // GET /api/auth/session/
  projectNames: {},  // the user's own projects: id -> name (GET /api/auth/projects/)
  info: null,        // GET /api/glance/info/
  list: {...LIST_DEFAULTS, filters: {}, marker: null, reversed: false, page: 1, items: [], asked: 0,
         selected: new Set()},  // ids of the shown images chosen for a batch
  image: null,       // the image on the detail view
  detailAsked: 0,    // counts detail loads: only the newest is shown
  poll: null,        // the detail view's refresh timer
  tasks: [],         // the detail view's image's tasks, as last listed
  awaited: null,     // {imageId, known, until}: an import just asked for
  upload: null,      // {promise, abort} while a create sends a file
};

async function loadInfo() {
  if (!state.info) state.info = await api("GET", "glance/info/");
  return state.info;
}

// ------------------------------------------------------------------ views --
function showView(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== name + "-view";
  if (name !== "detail") stopPolling();
}

function showLogin() {
  showView("login");
  $("who").hidden = true;
  state.me = null;
  $("login-username").focus();
}

async function showWho() {
  $("who").hidden = false;
  $("who-user").textContent = state.me.user.name;
  $("who-project").textContent = state.me.project.name;
  await showProjects();
}

// A menu of the user's projects, offered only when there is more than one.
async function showProjects() {
  let found = null;
  try { found = await api("GET", "auth/projects/"); } catch (error) {
    // Without the list the menu stays hidden; the page works on.
    if (!(error instanceof ApiError)) throw error;
  }
  state.projectNames = Object.fromEntries(
    (found ? found.items : [state.me.project]).map((project) => [project.id, project.name]));
  const menu = $("project-menu");
  menu.replaceChildren();
  $("project-switch").hidden = !found || found.items.length < 2;
  if (!found) return;
  for (const project of found.items) {
    const option = document.createElement("option");
    option.value = project.id;
    option.textContent = project.name;
    option.selected = project.id === found.current;
    menu.append(option);
  }
}

async function switchProject() {
  const me = await attempt(() => api("POST", "auth/switch/", {project: $("project-menu").value}));
  if (!me) { await showProjects(); return; }
  await enter(me, `Switched to project ${me.project.name}.`);
}

// After a login or a project switch: the list from its first page ("#/").
async function enter(me, message) {
  state.me = me;
  await showWho();
  notice(message);
  if (location.hash !== "#/") location.hash = "#/"; else await route();
}

async function route() {
  clearError();
  if (!state.me) {
    try { state.me = await api("GET", "auth/session/"); } catch (error) {
      if (error.status === 401) { showLogin(); return; }
      showError(error); return;
    }
    await showWho();
  }
  // In-page anchors (the skip link's #main) are not views.
  if (location.hash && !location.hash.startsWith("#/")) return;
  const [path, queryText = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [where, id] = path.split("/");
  if (where === "create") await openCreate();
  // "#/image/<id>": the address this page gave images before.
  else if ((where === "images" || where === "image") && id) await openDetail(decodeURIComponent(id));
  else {
    readListHash(queryText);
    await openList();
  }
}

// ------------------------------------------------------------------ login --
async function logIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {username: form.get("username"), password: form.get("password"),
                domain: form.get("domain")};
  if (form.get("project")) body.project = form.get("project");
  const me = await attempt(() => api("POST", "auth/login/", body));
  $("login-password").value = "";
  if (!me) return;
  await enter(me, `Logged in as ${me.user.name}, project ${me.project.name}.`);
}

async function logOut() {
  await attempt(() => api("POST", "auth/logout/"));
  state.me = null;
  notice("Logged out.");
  showLogin();
}

// ------------------------------------------------------------------- list --
const SCOPES = {
  all: () => ({}),
  mine: () => ({owner: state.me.project.id}),
  pending: () => ({visibility: "shared", member_status: "pending"}),
  public: () => ({visibility: "public"}),
  community: () => ({visibility: "community"}),
};

function listQuery() {
  const list = state.list;
  const query = new URLSearchParams({paginate: "true", sort_key: list.sortKey, sort_dir: list.sortDir});
  const scope = SCOPES[list.scope]();
  for (const [name, value] of Object.entries({...list.filters, ...scope})) {
    if (value) query.set(name, value);
  }
  if (list.marker) query.set("marker", list.marker);
  if (list.reversed) query.set("reversed_order", "true");
  return query;
}

async function openList() {
  showView("list");
  const list = state.list;
  for (const tab of document.querySelectorAll("#scopes [role=tab]")) {
    const selected = tab.dataset.scope === list.scope;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  // A scope that fixes the visibility leaves no choice of it.
  $("filter-visibility").disabled = "visibility" in SCOPES[list.scope]();
  for (const th of document.querySelectorAll("#images-table th[data-sort]")) {
    th.setAttribute("aria-sort", th.dataset.sort === list.sortKey
      ? (list.sortDir === "asc" ? "ascending" : "descending") : "none");
  }
  // Only the newest request's answer is shown: a slower, older one is dropped.
  const asked = ++list.asked;
  const answer = await attempt(() => api("GET", "glance/images/?" + listQuery()));
  if (!answer || asked !== list.asked) return;
  list.items = answer.items;
  list.selected.clear();
  showSelection();
  $("images-body").replaceChildren(...answer.items.map((image) => h("tr", {"data-id": image.id},
    h("td", {"data-label": "Select"}, h("input", {
      type: "checkbox", class: "select-row", "aria-label": `Select ${image.name || image.id}`,
      onchange: (event) => select(image.id, event.target.checked)})),
    h("td", {"data-label": "Owner", text: ownerName(image.owner)}),
    h("td", {"data-label": "Name"},
      h("button", {type: "button", class: "expand", "aria-expanded": "false",
                   "aria-label": `Details of ${image.name || image.id}`, text: "▸",
                   onclick: (event) => toggleDetails(event.currentTarget, image)}),
      " ", h("a", {href: `#/images/${seg(image.id)}`, text: image.name || image.id})),
    h("td", {"data-label": "Type", text: imageType(image)}),
    h("td", {"data-label": "Status", text: image.status}),
    h("td", {"data-label": "Visibility", text: image.visibility}),
    h("td", {"data-label": "Protected", text: image.protected ? "Yes" : "No"}),
    h("td", {"data-label": "Disk format", text: image.disk_format || ""}),
    h("td", {"data-label": "Size", text: humanSize(image.size), "data-bytes": image.size ?? ""}),
    h("td", {"data-label": "Created", text: when(image.created_at)}))));
  $("images-empty").hidden = answer.items.length > 0;
  $("page-prev").disabled = !answer.has_prev_data;
  $("page-next").disabled = !answer.has_more_data;
  $("page-number").textContent = `Page ${list.page}`;
}

// An expandable row with the image's details, as Horizon's table has.
function toggleDetails(button, image) {
  const row = button.closest("tr");
  const open = button.getAttribute("aria-expanded") === "true";
  button.setAttribute("aria-expanded", String(!open));
  button.textContent = open ? "▸" : "▾";
  if (open) { row.nextElementSibling.remove(); return; }
  const facts = {
    "ID": image.id, "Owner": ownerName(image.owner), "Container format": image.container_format,
    "Min disk (GB)": image.min_disk, "Min RAM (MB)": image.min_ram,
    "Checksum (sha512)": image.os_hash_value, "Updated": when(image.updated_at),
    "Tags": (image.tags || []).join(", "),
    ...image.properties,
  };
  row.after(h("tr", {class: "details"}, h("td", {colspan: row.children.length},
    h("dl", {}, Object.entries(facts).flatMap(([name, value]) =>
      [h("dt", {text: name}), h("dd", {text: value ?? "", "data-fact": name})])))));
}

// Batch selection: several images deleted with one confirmation, each one's
// outcome listed.
function select(imageId, selected) {
  if (selected) state.list.selected.add(imageId); else state.list.selected.delete(imageId);
  showSelection();
}

function selectAll(selected) {
  for (const box of document.querySelectorAll("#images-body .select-row")) box.checked = selected;
  state.list.selected = new Set(selected ? state.list.items.map((image) => image.id) : []);
  showSelection();
}

function showSelection() {
  const count = state.list.selected.size;
  $("batch-delete").disabled = count === 0;
  $("batch-count").textContent = count ? `${count} selected` : "";
  $("select-all").checked = count > 0 && count === state.list.items.length;
}

async function deleteSelected() {
  const chosen = state.list.items.filter((image) => state.list.selected.has(image.id));
  const names = chosen.map((image) => image.name || image.id);
  if (!await confirmDialog(`Delete ${chosen.length} images (${names.join(", ")})? This cannot be undone.`,
                           "Delete")) return;
  clearError();
  const outcomes = await Promise.allSettled(chosen.map((image) => api("DELETE", imagePath(image.id))));
  $("batch-results").replaceChildren(...outcomes.map((outcome, at) => h("li", {
    text: outcome.status === "fulfilled" ? `${names[at]}: deleted`
      : `${names[at]}: not deleted (${errorText(outcome.reason)})`})));
  $("batch-results").hidden = false;
  const deleted = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
  notice(`${deleted} of ${chosen.length} images deleted.`);
  await openList();
}

// The owner's project name where the user may know it (one of its own
// projects), else the project id.
function ownerName(owner) {
  return state.projectNames[owner] || owner || "";
}

// Nova marks the images it snapshots with image_type "snapshot", as Horizon reads it.
function imageType(image) {
  return (image.properties || {}).image_type === "snapshot" ? "Snapshot" : "Image";
}

// The list's view lives in the address (#/images?scope=...&name=...&marker=...):
// a reload, back and forward, or a pasted link shows the same page.
const FILTERS = ["name", "status", "visibility", "tag"];

function listHash() {
  const list = state.list;
  const query = new URLSearchParams();
  if (list.scope !== LIST_DEFAULTS.scope) query.set("scope", list.scope);
  if (list.sortKey !== LIST_DEFAULTS.sortKey || list.sortDir !== LIST_DEFAULTS.sortDir) {
    query.set("sort", `${list.sortKey}:${list.sortDir}`);
  }
  for (const name of FILTERS) if (list.filters[name]) query.set(name, list.filters[name]);
  if (list.marker) {
    query.set("marker", list.marker);
    query.set("page", String(list.page));
    if (list.reversed) query.set("back", "1");
  }
  const text = query.toString();
  return text ? `#/images?${text}` : "#/images";
}

function readListHash(queryText) {
  const query = new URLSearchParams(queryText);
  const [sortKey, sortDir] = (query.get("sort") || "").split(":");
  Object.assign(state.list, {
    scope: Object.hasOwn(SCOPES, query.get("scope") || "") ? query.get("scope") : LIST_DEFAULTS.scope,
    sortKey: sortKey || LIST_DEFAULTS.sortKey,
    sortDir: sortDir === "asc" || sortDir === "desc" ? sortDir : LIST_DEFAULTS.sortDir,
    filters: Object.fromEntries(FILTERS.filter((name) => query.get(name)).map((name) => [name, query.get(name)])),
    marker: query.get("marker"),
    reversed: query.get("back") === "1",
    page: Number(query.get("page")) || 1,
  });
  for (const name of FILTERS) $(`filter-${name}`).value = state.list.filters[name] || "";
}

// Show the list as state.list now says, through the address.
function showList() {
  const hash = listHash();
  if (location.hash !== hash) location.hash = hash; else openList();
}

function setScope(scope) {
  Object.assign(state.list, {scope, marker: null, reversed: false, page: 1});
  showList();
}

function turnPage(forward) {
  const list = state.list;
  if (!list.items.length) return;
  list.marker = forward ? list.items[list.items.length - 1].id : list.items[0].id;
  list.reversed = !forward;
  list.page += forward ? 1 : -1;
  showList();
}

function sortBy(key) {
  const list = state.list;
  list.sortDir = list.sortKey === key && list.sortDir === "asc" ? "desc" : "asc";
  list.sortKey = key;
  Object.assign(list, {marker: null, reversed: false, page: 1});
  showList();
}

function filter(event) {
  event.preventDefault();
  const form = new FormData($("filter-form"));
  state.list.filters = Object.fromEntries([...form.entries()].filter(([, value]) => value));
  Object.assign(state.list, {marker: null, reversed: false, page: 1});
  showList();
}

// ----------------------------------------------------------------- create --
async function openCreate() {
  showView("create");
  const info = await attempt(loadInfo);
  if (!info) return;
  fillSelect($("create-disk-format"), info.disk_formats, info.disk_formats.includes("qcow2") ? "qcow2" : info.disk_formats[0]);
  fillSelect($("create-container-format"), ["", ...info.container_formats], "", {"": "automatic (from the disk format)"});
  const methods = ["upload"];
  if (info.import_methods.includes("glance-direct")) methods.push("glance-direct");
  fillSelect($("create-method"), methods, "upload",
             {"upload": "Upload to Glance", "glance-direct": "Stage, then import (glance-direct)"});
  $("create-store-field").hidden = info.stores.length === 0;
  const stored = info.stores.find((store) => store.default);
  fillSelect($("create-store"), info.stores.map((store) => store.id), stored ? stored.id : "",
             Object.fromEntries(info.stores.map((store) => [store.id, `${store.id} – ${store.description || ""}`])));
  const canUrl = info.import_methods.includes("web-download");
  document.querySelector("input[name=source][value=url]").disabled = !canUrl;
  showSource();
  $("upload").hidden = true;
}

function showSource() {
  const fromUrl = document.querySelector("input[name=source]:checked").value === "url";
  $("create-file-fields").hidden = fromUrl;
  $("create-url-fields").hidden = !fromUrl;
  $("create-file").required = !fromUrl;
  $("create-url").required = fromUrl;
}

function setProgress(fraction) {
  const percent = Math.floor(fraction * 100);
  $("upload-progress").value = percent;
  $("upload-percent").textContent = `${percent}%`;
}

async function create(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const fromUrl = form.get("source") === "url";
  const store = state.info && state.info.stores.length ? form.get("store") : "";
  const body = {name: form.get("name"), disk_format: form.get("disk_format"),
                visibility: form.get("visibility"), protected: $("create-protected").checked,
                min_disk: Number(form.get("min_disk") || 0), min_ram: Number(form.get("min_ram") || 0)};
  if (form.get("description")) body.description = form.get("description");
  if (form.get("container_format")) body.container_format = form.get("container_format");
  const file = $("create-file").files[0];
  $("create-submit").disabled = true;
  try {
    const image = await attempt(() => api("PUT", "glance/images/", body));
    if (!image) return;
    const done = await attempt(() => fromUrl ? importUrl(image, form.get("url"), store)
                                             : sendData(image, file, form.get("method"), store));
    if (done === undefined) {
      // The image this form made holds nothing: do not leave it behind.
      await api("DELETE", imagePath(image.id)).catch(() => null);
      $("alert-help").textContent += " The new image was removed.";
      return;
    }
    notice(`Image ${image.name} created.`);
    event.target.reset();
    location.hash = `#/images/${seg(image.id)}`;
  } finally {
    state.upload = null;
    $("create-submit").disabled = false;
  }
}

async function sendData(image, file, method, store) {
  $("upload").hidden = false;
  setProgress(0);
  const staged = method === "glance-direct";
  const target = staged ? imagePath(image.id, "stage/")
                        : imagePath(image.id, "data/") + (store ? `?store=${seg(store)}` : "");
  const upload = sendFile(target, file, setProgress);
  state.upload = upload;
  await upload.promise;
  if (staged) {
    awaitImport(image.id);
    await api("POST", imagePath(image.id, "import/"),
              {method: "glance-direct", ...(store ? {stores: [store]} : {})});
  }
  return true;
}

async function importUrl(image, url, store) {
  awaitImport(image.id);
  await api("POST", imagePath(image.id, "import/"),
            {method: "web-download", uri: url, ...(store ? {stores: [store]} : {})});
  return true;
}

async function cancelCreate() {
  if (state.upload) { state.upload.abort(); return; }
  location.hash = listHash();
}

// ----------------------------------------------------------------- detail --
// Custom properties the edit form shows as fields of their own.
const EDITED_AS_FIELDS = new Set(["description", "architecture", "kernel_id", "ramdisk_id"]);
// Statuses an image leaves by itself (a queued one waits for data: it does
// not): the view refreshes while the image has one or a task runs.
const MOVING = new Set(["saving", "importing", "uploading"]);

function stopPolling() {
  if (state.poll) clearTimeout(state.poll);
  state.poll = null;
}

async function openDetail(id) {
  showView("detail");
  stopPolling();
  const asked = ++state.detailAsked;
  const [info, image] = await Promise.all([attempt(loadInfo), attempt(() => api("GET", imagePath(id)))]);
  if (!info || !image || asked !== state.detailAsked) return;
  state.image = image;
  renderImage(image);
  renderEdit(image, info);
  renderProperties(image);
  renderTags(image);
  renderStores(image, info);
  const [, tasks] = await Promise.all([loadMembers(image), loadTasks(image), loadSuggestions()]);
  pollWhileMoving(image, tasks);
}

function property(image, name) {
  return image[name] ?? (image.properties || {})[name] ?? "";
}

function mine(image) { return image.owner === state.me.project.id; }

function renderImage(image) {
  $("detail-title").textContent = image.name || image.id;
  const facts = {
    "Status": image.status, "Visibility": image.visibility, "Size": humanSize(image.size),
    "Disk format": image.disk_format, "Container format": image.container_format,
    "Owner": image.owner, "Created": when(image.created_at), "Updated": when(image.updated_at),
    "Checksum (sha512)": image.os_hash_value, "ID": image.id,
  };
  $("detail-facts").replaceChildren(...Object.entries(facts).flatMap(([name, value]) =>
    [h("dt", {text: name}), h("dd", {text: value ?? "", "data-fact": name})]));
  $("action-download").disabled = image.status !== "active";
  $("action-deactivate").hidden = image.status !== "active";
  $("action-reactivate").hidden = image.status !== "deactivated";
}

function renderEdit(image, info) {
  $("edit-name").value = image.name || "";
  $("edit-description").value = property(image, "description");
  fillSelect($("edit-disk-format"), info.disk_formats.includes(image.disk_format) || !image.disk_format
    ? ["", ...info.disk_formats] : ["", image.disk_format, ...info.disk_formats], image.disk_format || "");
  fillSelect($("edit-container-format"), ["", ...info.container_formats], image.container_format || "");
  $("edit-visibility").value = image.visibility;
  $("edit-min-disk").value = image.min_disk ?? 0;
  $("edit-min-ram").value = image.min_ram ?? 0;
  $("edit-architecture").value = property(image, "architecture");
  $("edit-kernel").value = property(image, "kernel_id");
  $("edit-ramdisk").value = property(image, "ramdisk_id");
  $("edit-protected").checked = !!image.protected;
}

async function saveEdit(event) {
  event.preventDefault();
  const image = state.image;
  const now = {
    name: $("edit-name").value, description: $("edit-description").value,
    disk_format: $("edit-disk-format").value, container_format: $("edit-container-format").value,
    visibility: $("edit-visibility").value, min_disk: Number($("edit-min-disk").value || 0),
    min_ram: Number($("edit-min-ram").value || 0), architecture: $("edit-architecture").value,
    kernel: $("edit-kernel").value, ramdisk: $("edit-ramdisk").value,
    protected: $("edit-protected").checked,
  };
  const before = {
    name: image.name || "", description: property(image, "description"),
    disk_format: image.disk_format || "", container_format: image.container_format || "",
    visibility: image.visibility, min_disk: image.min_disk ?? 0, min_ram: image.min_ram ?? 0,
    architecture: property(image, "architecture"), kernel: property(image, "kernel_id"),
    ramdisk: property(image, "ramdisk_id"), protected: !!image.protected,
  };
  // Only what changed is sent: the API leaves absent fields alone.
  const changed = Object.fromEntries(Object.entries(now).filter(([name, value]) => value !== before[name]));
  if (!Object.keys(changed).length) { notice("Nothing changed."); return; }
  const ok = await attempt(() => api("PATCH", imagePath(image.id), changed));
  if (ok === undefined) return;
  notice(`Saved: ${Object.keys(changed).join(", ")}.`);
  await openDetail(image.id);
}

// Custom properties: existing rows change or are marked removed; new rows add.
function propertyRow(name, value, isNew = false) {
  const id = `prop-${Math.random().toString(36).slice(2, 10)}`;
  return h("tr", {"data-name": name, "data-new": isNew ? "true" : null},
    h("th", {scope: "row"}, h("label", {for: id, text: name})),
    h("td", {}, h("input", {id, value, "data-original": isNew ? null : value})),
    h("td", {}, h("button", {type: "button", "aria-label": `Remove property ${name}`,
                             onclick: (event) => {
                               const row = event.target.closest("tr");
                               if (row.dataset.new) row.remove();
                               else row.classList.toggle("removed");
                               const removed = row.classList.contains("removed");
                               event.target.textContent = removed ? "Undo" : "Remove";
                             }, text: "Remove"})));
}

function renderProperties(image) {
  const rows = Object.entries(image.properties || {})
    .filter(([name]) => !EDITED_AS_FIELDS.has(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => propertyRow(name, String(value)));
  $("properties-body").replaceChildren(...rows);
}

function addPropertyRow() {
  const name = $("property-new-name").value.trim();
  if (!name) { $("property-new-name").focus(); return; }
  const existing = [...$("properties-body").rows].find((row) => row.dataset.name === name);
  if (existing) {
    existing.querySelector("input").value = $("property-new-value").value;
  } else {
    $("properties-body").append(propertyRow(name, $("property-new-value").value, true));
  }
  $("property-new-name").value = "";
  $("property-new-value").value = "";
  $("property-hint").textContent = "";
  $("property-new-name").focus();
}

async function saveProperties(event) {
  event.preventDefault();
  const updated = {}, removed = [];
  for (const row of $("properties-body").rows) {
    const input = row.querySelector("input");
    if (row.classList.contains("removed")) removed.push(row.dataset.name);
    else if (row.dataset.new || input.value !== input.dataset.original) updated[row.dataset.name] = input.value;
  }
  if (!Object.keys(updated).length && !removed.length) { notice("No property changed."); return; }
  const ok = await attempt(() => api("PATCH", imagePath(state.image.id, "properties/"), {updated, removed}));
  if (ok === undefined) return;
  notice("Properties saved.");
  await openDetail(state.image.id);
}

// Metadata definitions for images, offered as property names.
let suggestions = null;
async function loadSuggestions() {
  if (suggestions) return;
  const answer = await attempt(() => api("GET", "glance/metadefs/namespaces/?resource_type=OS::Glance::Image"));
  if (!answer) return;
  suggestions = {};
  for (const namespace of answer.items) {
    for (const [name, definition] of Object.entries(namespace.properties || {})) {
      suggestions[name] = {...definition, namespace: namespace.display_name || namespace.namespace};
    }
    for (const object of namespace.objects || []) {
      for (const [name, definition] of Object.entries(object.properties || {})) {
        suggestions[name] ??= {...definition, namespace: namespace.display_name || namespace.namespace};
      }
    }
  }
  $("property-suggestions").replaceChildren(...Object.keys(suggestions).sort().map((name) =>
    h("option", {value: name, label: `${suggestions[name].title || name} (${suggestions[name].namespace})`})));
}

function describeSuggestion() {
  const found = suggestions && suggestions[$("property-new-name").value.trim()];
  $("property-hint").textContent = found
    ? `${found.title || ""}: ${found.description || ""}${found.enum ? " Values: " + found.enum.join(", ") : ""}`
    : "";
}

function renderTags(image) {
  $("tags-list").replaceChildren(...(image.tags || []).map((tag) => h("li", {},
    h("span", {text: tag}),
    h("button", {type: "button", "aria-label": `Remove tag ${tag}`, text: "×",
                 onclick: () => changeTag("DELETE", tag)}))));
}

async function changeTag(method, tag) {
  const ok = await attempt(() => api(method, imagePath(state.image.id, `tags/${seg(tag)}/`)));
  if (ok === undefined) return;
  notice(method === "PUT" ? `Tag ${tag} added.` : `Tag ${tag} removed.`);
  const image = await attempt(() => api("GET", imagePath(state.image.id)));
  if (image) { state.image = image; renderTags(image); }
}

// Sharing: the owner manages members; a member project answers.
async function loadMembers(image) {
  const owner = mine(image);
  $("sharing-owner").hidden = !owner;
  $("sharing-member").hidden = owner || image.visibility !== "shared";
  if (!owner && image.visibility !== "shared") return;
  const answer = await attempt(() => api("GET", imagePath(image.id, "members/")));
  if (!answer) return;
  if (owner) {
    $("sharing-hint").textContent = image.visibility === "shared" ? ""
      : "Glance shares only images whose visibility is “shared”: change it in Edit first.";
    $("members-body").replaceChildren(...answer.items.map((member) => h("tr", {"data-member": member.member_id},
      h("td", {text: member.member_id}), h("td", {text: member.status}), h("td", {text: when(member.updated_at)}),
      h("td", {}, h("button", {type: "button", "aria-label": `Stop sharing with ${member.member_id}`, text: "Remove",
                               onclick: () => removeMember(member.member_id)})))));
  } else {
    const me = answer.items.find((member) => member.member_id === state.me.project.id);
    $("sharing-owner-id").textContent = image.owner;
    $("my-member-status").textContent = me ? me.status : "not shared with you";
  }
}

async function addMember(event) {
  event.preventDefault();
  const member = $("member-new").value.trim();
  const ok = await attempt(() => api("POST", imagePath(state.image.id, "members/"), {member}));
  if (!ok) return;
  $("member-new").value = "";
  notice(`Shared with ${member}; it waits for that project's answer.`);
  await loadMembers(state.image);
}

async function removeMember(member) {
  const ok = await attempt(() => api("DELETE", imagePath(state.image.id, `members/${seg(member)}/`)));
  if (ok === undefined) return;
  notice(`No longer shared with ${member}.`);
  await loadMembers(state.image);
}

async function answerShare(status) {
  const path = imagePath(state.image.id, `members/${seg(state.me.project.id)}/`);
  const ok = await attempt(() => api("PUT", path, {status}));
  if (!ok) return;
  notice(`Share ${status}.`);
  await loadMembers(state.image);
}

// Stores: where the data is, copy to another (copy-image), remove from one.
function renderStores(image, info) {
  $("stores-card").hidden = info.stores.length === 0;
  const held = image.stores || [];
  $("stores-list").replaceChildren(...held.map((store) => h("li", {"data-store": store},
    h("span", {text: store}), " ",
    h("button", {type: "button", text: `Remove from ${store}`, onclick: () => removeFromStore(store)}))));
  const others = info.stores.map((store) => store.id).filter((id) => !held.includes(id));
  fillSelect($("copy-store"), others, others[0]);
  $("copy-form").hidden = !info.import_methods.includes("copy-image") || !others.length
    || image.status !== "active";
}

async function copyToStore(event) {
  event.preventDefault();
  const store = $("copy-store").value;
  awaitImport(state.image.id);
  const ok = await attempt(() => api("POST", imagePath(state.image.id, "import/"),
                                     {method: "copy-image", stores: [store]}));
  if (ok === undefined) { state.awaited = null; return; }
  notice(`Copying to ${store}.`);
  await refreshDetail();
}

async function removeFromStore(store) {
  if (!await confirmDialog(`Remove the image's data from store ${store}? It stays in its other stores.`, "Remove")) return;
  const ok = await attempt(() => api("DELETE", imagePath(state.image.id, `stores/${seg(store)}/`)));
  if (ok === undefined) return;
  notice(`Removed from ${store}.`);
  await refreshDetail();
}

// Tasks, refreshed while the image or one of its tasks is still moving.
async function loadTasks(image) {
  const answer = await attempt(() => api("GET", imagePath(image.id, "tasks/")));
  if (!answer) return [];
  state.tasks = answer.items;
  $("tasks-body").replaceChildren(...answer.items.map((task) => h("tr", {"data-task": task.id},
    h("td", {text: task.type}), h("td", {text: task.status}),
    h("td", {text: task.message || ""}), h("td", {text: when(task.updated_at)}))));
  if (!answer.items.length) {
    $("tasks-body").replaceChildren(h("tr", {}, h("td", {colspan: 4, text: "No tasks."})));
  }
  return answer.items;
}

async function refreshDetail() {
  const image = await attempt(() => api("GET", imagePath(state.image.id)));
  if (!image) return;
  state.image = image;
  renderImage(image);
  renderStores(image, state.info);
  pollWhileMoving(image, await loadTasks(image));
}

const isRunning = (task) => ["pending", "processing"].includes(task.status);

// An import was just asked for: its task may not be listed at once, so the
// view keeps refreshing until a task it did not know before has ended.
function awaitImport(imageId) {
  const known = state.image && state.image.id === imageId ? state.tasks.map((task) => task.id) : [];
  state.awaited = {imageId, known: new Set(known), until: Date.now() + 120000};
}

function awaitingImport(image, tasks) {
  const awaited = state.awaited;
  if (!awaited || awaited.imageId !== image.id) return false;
  const ended = tasks.some((task) => !awaited.known.has(task.id) && !isRunning(task));
  if (ended || Date.now() > awaited.until) { state.awaited = null; return false; }
  return true;
}

function pollWhileMoving(image, tasks) {
  stopPolling();
  if ($("detail-view").hidden || state.image.id !== image.id) return;
  const moving = tasks.some(isRunning) || MOVING.has(image.status);
  if (awaitingImport(image, tasks) || moving) state.poll = setTimeout(refreshDetail, 1500);
}

async function imageAction(action) {
  const ok = await attempt(() => api("POST", imagePath(state.image.id, `actions/${action}`)));
  if (ok === undefined) return;
  notice(`Image ${action}d.`);
  await openDetail(state.image.id);
}

async function download() {
  const image = state.image;
  notice(`Downloading ${image.name || image.id}…`);
  const data = await attempt(async () => {
    const response = await fetch("/api/" + imagePath(image.id, "data/"),
                                 {credentials: "same-origin", headers: apiHeaders("GET")});
    if (!response.ok) throw await failure(response);
    return response.blob();
  });
  if (!data) return;
  const link = h("a", {href: URL.createObjectURL(data), download: image.name || image.id});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  notice(`Downloaded ${humanSize(data.size)}.`);
}

async function deleteImage() {
  const image = state.image;
  if (!await confirmDialog(`Delete image “${image.name || image.id}”? This cannot be undone.`, "Delete")) return;
  const ok = await attempt(() => api("DELETE", imagePath(image.id)));
  if (ok === undefined) return;
  notice(`Image ${image.name || image.id} deleted.`);
  location.hash = listHash();
}

// ----------------------------------------------------------------- wiring --
function tabKeys(event) {
  const tabs = [...document.querySelectorAll("#scopes [role=tab]")];
  const at = tabs.indexOf(event.target);
  const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
  if (at < 0 || !step) return;
  const next = tabs[(at + step + tabs.length) % tabs.length];
  next.focus();
  setScope(next.dataset.scope);
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  $("project-menu").addEventListener("change", switchProject);
  $("alert-close").addEventListener("click", clearError);
  for (const tab of document.querySelectorAll("#scopes [role=tab]")) {
    tab.addEventListener("click", () => setScope(tab.dataset.scope));
  }
  $("scopes").addEventListener("keydown", tabKeys);
  $("filter-form").addEventListener("submit", filter);
  $("filter-form").addEventListener("reset", () => setTimeout(() => filter(new Event("submit")), 0));
  for (const th of document.querySelectorAll("#images-table th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => sortBy(th.dataset.sort));
  }
  $("select-all").addEventListener("change", (event) => selectAll(event.target.checked));
  $("batch-delete").addEventListener("click", deleteSelected);
  $("page-prev").addEventListener("click", () => turnPage(false));
  $("page-next").addEventListener("click", () => turnPage(true));
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", showSource);
  $("create-form").addEventListener("submit", create);
  $("create-cancel").addEventListener("click", cancelCreate);
  $("edit-form").addEventListener("submit", saveEdit);
  $("properties-form").addEventListener("submit", saveProperties);
  $("property-add").addEventListener("click", addPropertyRow);
  $("property-new-name").addEventListener("input", describeSuggestion);
  $("tag-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const tag = $("tag-new").value.trim();
    $("tag-new").value = "";
    if (tag) changeTag("PUT", tag);
  });
  $("member-form").addEventListener("submit", addMember);
  $("member-accept").addEventListener("click", () => answerShare("accepted"));
  $("member-reject").addEventListener("click", () => answerShare("rejected"));
  $("copy-form").addEventListener("submit", copyToStore);
  $("tasks-refresh").addEventListener("click", refreshDetail);
  $("action-download").addEventListener("click", download);
  $("action-deactivate").addEventListener("click", () => imageAction("deactivate"));
  $("action-reactivate").addEventListener("click", () => imageAction("reactivate"));
  $("action-delete").addEventListener("click", deleteImage);
  window.addEventListener("hashchange", route);
  route();
});
