// Creating images: from files, or from a URL Glance downloads. Files wait in
// a queue (chosen, or dropped on the form): each becomes its own image, sent
// one after another with its progress, speed and time left, and each can be
// cancelled. An image the form made whose data did not arrive is deleted.
import {ApiError, api, imagePath, sendFile, seg} from "./api.js";
import {awaitImport} from "./detail.js";
import {listHash} from "./list.js";
import {describe, loadSuggestions} from "./metadata.js";
import {loadInfo, state} from "./state.js";
import {$, FAILED, attempt, clearError, fileDropTarget, fillSelect, h, humanSize, notice,
  showError, showView} from "./ui.js";

// An item of the queue: {file, status, image, upload, row, cancelled}.
// Statuses: waiting, creating, sending, importing, done, failed, cancelled.
// A failed file is sent again by the next Create, with the form as it is then.
const ENDED = new Set(["done", "failed", "cancelled"]);
const TO_SEND = new Set(["waiting", "failed"]);
const running = () => state.queue.some((item) => !["waiting", ...ENDED].includes(item.status));

export async function openCreate() {
  showView("create");
  if (!running()) {
    state.queue = state.queue.filter((item) => TO_SEND.has(item.status));
    renderQueue();
  }
  loadSuggestions();
  const info = await attempt(loadInfo);
  if (info === FAILED) return;
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
}

export function showSource() {
  const fromUrl = sourceIsUrl();
  $("create-file-fields").hidden = fromUrl;
  $("create-url-fields").hidden = !fromUrl;
  $("create-url").required = fromUrl;
  $("create-name").required = fromUrl;
  $("queue-title").hidden = fromUrl || !state.queue.length;
  $("queue").hidden = fromUrl;
}

const sourceIsUrl = () => document.querySelector("input[name=source]:checked").value === "url";

// --- the queue ---------------------------------------------------------------
export function addFiles(files) {
  for (const file of files) state.queue.push({file, status: "waiting"});
  renderQueue();
}

export function chooseFiles(event) {
  addFiles(event.target.files);
  event.target.value = "";  // the same file may be chosen again
}

// Files dropped anywhere on the form join the queue.
export function dropTarget(form) {
  fileDropTarget(form, $("drop-zone"), (files) => {
    if (sourceIsUrl()) { document.querySelector("input[name=source][value=file]").checked = true; showSource(); }
    addFiles(files);
  });
}

function renderQueue() {
  $("queue").replaceChildren(...state.queue.map((item) => item.row || (item.row = queueRow(item))));
  for (const item of state.queue) showItem(item);
  const toSend = state.queue.filter((item) => TO_SEND.has(item.status)).length;
  $("queue-summary").textContent = state.queue.length ? `(${state.queue.length}, ${toSend} to send)` : "";
  $("queue-title").hidden = !state.queue.length || sourceIsUrl();
}

function queueRow(item) {
  const name = item.file.name;
  return h("li", {"data-file": name},
    h("span", {class: "queue-file", text: `${name} (${humanSize(item.file.size)})`}),
    h("progress", {max: 100, value: 0, "aria-label": `Sent of ${name}`}),
    h("span", {class: "queue-percent", text: "0%"}),
    h("span", {class: "queue-rate"}),
    h("span", {class: "queue-status", role: "status"}),
    h("button", {type: "button", class: "queue-cancel", "aria-label": `Cancel ${name}`, text: "Cancel",
                 onclick: () => cancelItem(item)}));
}

const STATUS_TEXT = {waiting: "waiting", creating: "creating the image", sending: "sending",
                     importing: "importing", done: "created", cancelled: "cancelled"};

function showItem(item) {
  const row = item.row;
  row.dataset.status = item.status;
  const status = row.querySelector(".queue-status");
  if (item.status === "done") {
    status.replaceChildren("created: ", h("a", {href: `#/images/${seg(item.image.id)}`,
                                               text: item.image.name || item.image.id}));
  } else {
    status.textContent = item.status === "failed" ? `failed: ${item.message} (Create sends it again)`
      : STATUS_TEXT[item.status];
  }
  if (ENDED.has(item.status)) row.querySelector(".queue-rate").textContent = "";
  // An import Glance has started cannot be called back; an ended item can only go.
  const button = row.querySelector(".queue-cancel");
  button.hidden = item.status === "importing";
  button.textContent = ENDED.has(item.status) ? "Remove" : "Cancel";
  button.setAttribute("aria-label", `${button.textContent} ${item.file.name}`);
}

// Bytes sent, their rate since the start, and the time left at that rate.
function showProgress(item, sent, total) {
  const row = item.row;
  showPercent(row, Math.floor((total ? sent / total : 1) * 100));
  const seconds = (performance.now() - item.started) / 1000;
  if (seconds < 0.2 || sent === 0) return;
  const rate = sent / seconds;
  const left = Math.ceil((total - sent) / rate);
  row.querySelector(".queue-rate").textContent = `${humanSize(Math.round(rate))}/s · ${left} s left`;
}

function showPercent(row, percent) {
  row.querySelector("progress").value = percent;
  row.querySelector(".queue-percent").textContent = `${percent}%`;
}

function cancelItem(item) {
  if (ENDED.has(item.status)) {
    state.queue = state.queue.filter((other) => other !== item);
  } else if (item.status === "waiting") {
    item.status = "cancelled";
  } else {
    item.cancelled = true;
    if (item.upload) item.upload.abort();
  }
  renderQueue();
}

// --- create -------------------------------------------------------------------
export async function create(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const store = state.info && state.info.stores.length ? form.get("store") : "";
  const fields = {disk_format: form.get("disk_format"), visibility: form.get("visibility"),
                  protected: $("create-protected").checked,
                  min_disk: Number(form.get("min_disk") || 0), min_ram: Number(form.get("min_ram") || 0)};
  if (form.get("description")) fields.description = form.get("description");
  if (form.get("container_format")) fields.container_format = form.get("container_format");
  const properties = chosenMetadata();
  if (Object.keys(properties).length) fields.properties = properties;
  if (sourceIsUrl()) { await createFromUrl({...fields, name: form.get("name")}, form.get("url"), store); return; }

  const waiting = state.queue.filter((item) => TO_SEND.has(item.status));
  if (!waiting.length) {
    showError(new ApiError(0, {error: {message: "Choose a file, or drop one on the form."}}));
    return;
  }
  clearError();
  $("create-submit").disabled = true;
  const name = waiting.length === 1 ? form.get("name") : "";
  for (const item of waiting) {
    if (!TO_SEND.has(item.status)) continue;  // cancelled while it waited
    await sendItem(item, {...fields, name: name || item.file.name}, form.get("method"), store);
  }
  $("create-submit").disabled = false;
  const done = waiting.filter((item) => item.status === "done");
  if (!done.length) return;
  notice(`${done.length} of ${waiting.length} images created.`);
  // Kept as it is for the failed files, to be sent again.
  if (state.queue.some((item) => item.status === "failed")) return;
  clearForm();
  if (waiting.length === 1) location.hash = `#/images/${seg(done[0].image.id)}`;
}

async function sendItem(item, body, method, store) {
  const update = (status) => { item.status = status; showItem(item); };
  Object.assign(item, {image: null, cancelled: false, message: ""});
  showPercent(item.row, 0);
  update("creating");
  try {
    item.image = await api("PUT", "glance/images/", body);
    if (item.cancelled) throw new ApiError(0, {error: {code: "cancelled", message: "The upload was cancelled."}});
    update("sending");
    item.started = performance.now();
    const staged = method === "glance-direct";
    const target = staged ? imagePath(item.image.id, "stage/")
                          : imagePath(item.image.id, "data/") + (store ? `?store=${seg(store)}` : "");
    item.upload = sendFile(target, item.file, (sent, total) => showProgress(item, sent, total));
    await item.upload.promise;
    item.upload = null;
    if (staged) {
      update("importing");
      await startImport(item.image.id, {method: "glance-direct"}, store);
    }
    update("done");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    item.upload = null;
    item.message = error.message;
    update(error.code === "cancelled" ? "cancelled" : "failed");
    showError(error);
    if (item.image) await removeNewImage(item.image);
  }
}

// Glance's import into the chosen store; the image's view follows its task.
async function startImport(imageId, body, store) {
  awaitImport(imageId);
  await api("POST", imagePath(imageId, "import/"), {...body, ...(store ? {stores: [store]} : {})});
}

// The image the form made holds nothing: do not leave it behind.
async function removeNewImage(image) {
  await api("DELETE", imagePath(image.id)).catch(() => null);
  $("alert-help").textContent += " The new image was removed.";
}

function clearForm() {
  $("create-form").reset();
  $("metadata-body").replaceChildren();
  showSource();
}

async function createFromUrl(body, url, store) {
  $("create-submit").disabled = true;
  try {
    const image = await attempt(() => api("PUT", "glance/images/", body));
    if (image === FAILED) return;
    const done = await attempt(() => startImport(image.id, {method: "web-download", uri: url}, store));
    if (done === FAILED) { await removeNewImage(image); return; }
    notice(`Image ${image.name} created.`);
    clearForm();
    location.hash = `#/images/${seg(image.id)}`;
  } finally {
    $("create-submit").disabled = false;
  }
}

// Cancel: every upload still to come or under way; with none, back to the list.
export function cancelCreate() {
  if (!running() && !state.queue.some((item) => item.status === "waiting")) {
    location.hash = listHash();
    return;
  }
  for (const item of state.queue) if (!ENDED.has(item.status)) cancelItem(item);
}

// --- the metadata step -----------------------------------------------------------
export function addMetadata() {
  const name = $("metadata-new-name").value.trim();
  if (!name) { $("metadata-new-name").focus(); return; }
  const value = $("metadata-new-value").value;
  const existing = [...$("metadata-body").rows].find((row) => row.dataset.name === name);
  if (existing) existing.querySelector("td").textContent = value;
  else {
    $("metadata-body").append(h("tr", {"data-name": name},
      h("th", {scope: "row", text: name}), h("td", {text: value}),
      h("td", {}, h("button", {type: "button", "aria-label": `Remove ${name}`, text: "Remove",
                               onclick: (event) => event.target.closest("tr").remove()}))));
  }
  $("metadata-new-name").value = "";
  $("metadata-new-value").value = "";
  $("metadata-hint").textContent = "";
  $("metadata-new-name").focus();
}

export function describeMetadata() {
  describe($("metadata-new-name").value, $("metadata-hint"));
}

function chosenMetadata() {
  return Object.fromEntries([...$("metadata-body").rows].map((row) =>
    [row.dataset.name, row.querySelector("td").textContent]));
}
