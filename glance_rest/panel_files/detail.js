// One image: its facts, edit, custom properties, tags, sharing, stores,
// tasks (refreshed while something moves), actions, download, delete.
import {api, apiHeaders, changes, failure, imagePath, seg} from "./api.js";
import {listHash} from "./list.js";
import {describe, loadSuggestions} from "./metadata.js";
import {loadInfo, state, stopPolling} from "./state.js";
import {$, FAILED, attempt, confirmDialog, fillSelect, h, humanSize, notice, showView,
  when} from "./ui.js";

// Custom properties the edit form shows as fields of their own.
const EDITED_AS_FIELDS = new Set(["description", "architecture", "kernel_id", "ramdisk_id"]);
// Statuses an image leaves by itself (a queued one waits for data: it does
// not): the view refreshes while the image has one or a task runs.
const MOVING = new Set(["saving", "importing", "uploading"]);

export async function openDetail(id) {
  showView("detail");
  stopPolling();
  const asked = ++state.detailAsked;
  const load = ++state.detailLoads;
  const [info, image] = await Promise.all([attempt(loadInfo), attempt(() => api("GET", imagePath(id)))]);
  if (info === FAILED || image === FAILED || asked !== state.detailAsked) return;
  state.image = image;
  renderImage(image);
  renderEdit(image, info);
  renderProperties(image);
  renderTags(image);
  renderStores(image, info);
  const [, tasks] = await Promise.all([loadMembers(image), loadTasks(image), loadSuggestions()]);
  pollWhileMoving(image, tasks, load);
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
    "Owner": state.projectNames[image.owner] || image.owner,
    "Created": when(image.created_at), "Updated": when(image.updated_at),
    "Checksum (sha512)": image.os_hash_value, "ID": image.id,
  };
  $("detail-facts").replaceChildren(...Object.entries(facts).flatMap(([name, value]) =>
    [h("dt", {text: name}), h("dd", {text: value ?? "", "data-fact": name,
                                     "data-owner": name === "Owner" ? image.owner : null})]));
  $("action-download").disabled = image.status !== "active";
  $("action-deactivate").hidden = image.status !== "active";
  $("action-reactivate").hidden = image.status !== "deactivated";
  renderCurl(image);
}

// "Copy as curl": the image's download, and the last change this page made
// to it, as the README writes such calls (the token in $TOKEN).
const quoted = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;
const curl = (...parts) => ["curl -s -H \"X-Auth-Token: $TOKEN\"", ...parts].join(" ");

function asCurl(change) {
  const url = quoted(`${location.origin}/api/${change.path}`);
  if (change.file !== undefined) {
    return curl("-T", quoted(change.file), "-H 'Content-Type: application/octet-stream'", url);
  }
  if (change.body === undefined) return curl("-X", change.method, url);
  return curl("-X", change.method, "-H 'Content-Type: application/json'", "-d",
              quoted(JSON.stringify(change.body)), url);
}

function renderCurl(image) {
  $("curl-download").value = curl("-OJ", quoted(`${location.origin}/api/${imagePath(image.id, "data/")}`));
  const last = changes.findLast((change) => change.path.startsWith(imagePath(image.id)));
  $("curl-no-change").hidden = !!last;
  $("curl-change-row").hidden = !last;
  $("curl-change").value = last ? asCurl(last) : "";
}

export async function copyCommand(event) {
  const field = $(event.currentTarget.dataset.copy);
  field.select();
  try { await navigator.clipboard.writeText(field.value); } catch (error) {
    notice("Copying was refused: the command is selected, copy it with Ctrl+C.");
    return;
  }
  notice("Copied.");
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

export async function saveEdit(event) {
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
  if (ok === FAILED) return;
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

export function addPropertyRow() {
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

export async function saveProperties(event) {
  event.preventDefault();
  const updated = {}, removed = [];
  for (const row of $("properties-body").rows) {
    const input = row.querySelector("input");
    if (row.classList.contains("removed")) removed.push(row.dataset.name);
    else if (row.dataset.new || input.value !== input.dataset.original) updated[row.dataset.name] = input.value;
  }
  if (!Object.keys(updated).length && !removed.length) { notice("No property changed."); return; }
  const ok = await attempt(() => api("PATCH", imagePath(state.image.id, "properties/"), {updated, removed}));
  if (ok === FAILED) return;
  notice("Properties saved.");
  await openDetail(state.image.id);
}

export function describeSuggestion() {
  describe($("property-new-name").value, $("property-hint"));
}

function renderTags(image) {
  $("tags-list").replaceChildren(...(image.tags || []).map((tag) => h("li", {},
    h("span", {text: tag}),
    h("button", {type: "button", "aria-label": `Remove tag ${tag}`, text: "×",
                 onclick: () => changeTag("DELETE", tag)}))));
}

export async function changeTag(method, tag) {
  const ok = await attempt(() => api(method, imagePath(state.image.id, `tags/${seg(tag)}/`)));
  if (ok === FAILED) return;
  notice(method === "PUT" ? `Tag ${tag} added.` : `Tag ${tag} removed.`);
  const image = await attempt(() => api("GET", imagePath(state.image.id)));
  if (image !== FAILED) { state.image = image; renderTags(image); renderCurl(image); }
}

// Sharing: the owner manages members; a member project answers.
async function loadMembers(image) {
  renderCurl(image);
  const owner = mine(image);
  $("sharing-owner").hidden = !owner;
  $("sharing-member").hidden = owner || image.visibility !== "shared";
  if (!owner && image.visibility !== "shared") return;
  const answer = await attempt(() => api("GET", imagePath(image.id, "members/")));
  if (answer === FAILED) return;
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

export async function addMember(event) {
  event.preventDefault();
  const member = $("member-new").value.trim();
  const ok = await attempt(() => api("POST", imagePath(state.image.id, "members/"), {member}));
  if (ok === FAILED) return;
  $("member-new").value = "";
  notice(`Shared with ${member}; it waits for that project's answer.`);
  await loadMembers(state.image);
}

async function removeMember(member) {
  const ok = await attempt(() => api("DELETE", imagePath(state.image.id, `members/${seg(member)}/`)));
  if (ok === FAILED) return;
  notice(`No longer shared with ${member}.`);
  await loadMembers(state.image);
}

export async function answerShare(status) {
  const path = imagePath(state.image.id, `members/${seg(state.me.project.id)}/`);
  const ok = await attempt(() => api("PUT", path, {status}));
  if (ok === FAILED) return;
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

export async function copyToStore(event) {
  event.preventDefault();
  const store = $("copy-store").value;
  // The tasks known before the copy, so that its own is recognised when it ends.
  if (state.tasksFor !== state.image.id) await loadTasks(state.image);
  awaitImport(state.image.id);
  const ok = await attempt(() => api("POST", imagePath(state.image.id, "import/"),
                                     {method: "copy-image", stores: [store]}));
  if (ok === FAILED) { state.awaited = null; return; }
  notice(`Copying to ${store}.`);
  await refreshDetail();
}

async function removeFromStore(store) {
  if (!await confirmDialog(`Remove the image's data from store ${store}? It stays in its other stores.`, "Remove")) return;
  const ok = await attempt(() => api("DELETE", imagePath(state.image.id, `stores/${seg(store)}/`)));
  if (ok === FAILED) return;
  notice(`Removed from ${store}.`);
  await refreshDetail();
}

// Tasks, refreshed while the image or one of its tasks is still moving.
async function loadTasks(image) {
  const answer = await attempt(() => api("GET", imagePath(image.id, "tasks/")));
  if (answer === FAILED) return [];
  state.tasks = answer.items;
  state.tasksFor = image.id;
  $("tasks-body").replaceChildren(...answer.items.map((task) => h("tr", {"data-task": task.id},
    h("td", {text: task.type}), h("td", {text: task.status}),
    h("td", {text: task.message || ""}), h("td", {text: when(task.updated_at)}))));
  if (!answer.items.length) {
    $("tasks-body").replaceChildren(h("tr", {}, h("td", {colspan: 4, text: "No tasks."})));
  }
  return answer.items;
}

// The tasks before the image: a task seen ended has its result in the image
// read after it (a copy's new store, say).
export async function refreshDetail() {
  const load = ++state.detailLoads;
  const tasks = await loadTasks(state.image);
  const image = await attempt(() => api("GET", imagePath(state.image.id)));
  if (image === FAILED || load !== state.detailLoads) return;
  state.image = image;
  renderImage(image);
  renderStores(image, state.info);
  pollWhileMoving(image, tasks, load);
}

const isRunning = (task) => ["pending", "processing"].includes(task.status);

// An import was just asked for: its task may not be listed at once, so the
// view keeps refreshing until a task it did not know before has ended.
export function awaitImport(imageId) {
  const known = state.tasksFor === imageId ? state.tasks.map((task) => task.id) : [];
  state.awaited = {imageId, known: new Set(known), until: Date.now() + 120000};
}

function awaitingImport(image, tasks) {
  const awaited = state.awaited;
  if (!awaited || awaited.imageId !== image.id) return false;
  const ended = tasks.some((task) => !awaited.known.has(task.id) && !isRunning(task));
  if (ended || Date.now() > awaited.until) { state.awaited = null; return false; }
  return true;
}

// Decided by the newest load only: an older one's answers may predate a change.
function pollWhileMoving(image, tasks, load) {
  if (load !== state.detailLoads) return;
  stopPolling();
  if ($("detail-view").hidden || state.image.id !== image.id) return;
  const moving = tasks.some(isRunning) || MOVING.has(image.status);
  if (awaitingImport(image, tasks) || moving) state.poll = setTimeout(refreshDetail, 1500);
}

export async function imageAction(action) {
  const ok = await attempt(() => api("POST", imagePath(state.image.id, `actions/${action}`)));
  if (ok === FAILED) return;
  notice(`Image ${action}d.`);
  await openDetail(state.image.id);
}

export async function download() {
  const image = state.image;
  notice(`Downloading ${image.name || image.id}…`);
  const data = await attempt(async () => {
    const response = await fetch("/api/" + imagePath(image.id, "data/"),
                                 {credentials: "same-origin", headers: apiHeaders("GET")});
    if (!response.ok) throw await failure(response);
    return response.blob();
  });
  if (data === FAILED) return;
  const link = h("a", {href: URL.createObjectURL(data), download: image.name || image.id});
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  notice(`Downloaded ${humanSize(data.size)}.`);
}

export async function deleteImage() {
  const image = state.image;
  if (!await confirmDialog(`Delete image “${image.name || image.id}”? This cannot be undone.`, "Delete")) return;
  const ok = await attempt(() => api("DELETE", imagePath(image.id)));
  if (ok === FAILED) return;
  notice(`Image ${image.name || image.id} deleted.`);
  location.hash = listHash();
}
