// The page's building blocks: elements, formats, views, messages, dialogs.
import {ApiError} from "./api.js";
import {state, stopPolling} from "./state.js";

export const $ = (id) => document.getElementById(id);

// Builds an element; text is always set as text, never parsed as HTML.
export function h(tag, attrs = {}, ...children) {
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

export function humanSize(bytes) {
  if (bytes === null || bytes === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes, unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

export const when = (iso) => iso ? iso.replace("T", " ").replace(/(\.\d+)?(Z|\+00:00)$/, " UTC") : "";

export function fillSelect(select, values, selected, labels = {}) {
  select.replaceChildren(...values.map((value) =>
    h("option", {value, text: labels[value] || value || "(none)", selected: value === selected})));
}

// Files dragged over ``form`` light ``zone`` up; dropped, they go to onFiles.
export function fileDropTarget(form, zone, onFiles) {
  const over = (on) => (event) => {
    if (![...event.dataTransfer.types].includes("Files")) return;
    event.preventDefault();
    zone.classList.toggle("over", on);
  };
  form.addEventListener("dragover", over(true));
  form.addEventListener("dragleave", over(false));
  form.addEventListener("drop", (event) => {
    over(false)(event);
    if (event.dataTransfer.files.length) onFiles(event.dataTransfer.files);
  });
}

export function showView(name) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== name + "-view";
  if (name !== "detail") stopPolling();
}

export function showLogin() {
  showView("login");
  $("who").hidden = true;
  state.me = null;
  $("login-username").focus();
}


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

export function errorText(error) {
  return error.status ? `Error ${error.status}: ${error.message}` : error.message;
}

export function showError(error) {
  if (error.status === 401) { showLogin(); }
  $("alert-text").textContent = errorText(error);
  $("alert-help").textContent = HELP[error.status] || "";
  $("alert").hidden = false;
}

export function clearError() { $("alert").hidden = true; }

export function notice(text) { $("notice").textContent = text; }

// What attempt() gives when the action failed (the error is shown): the one
// way the panel's code learns of a failure.
export const FAILED = Symbol("failed");

// Runs an action: clears the last error, shows the new one if it fails.
export async function attempt(action) {
  clearError();
  try { return await action(); } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showError(error);
    return FAILED;
  }
}

export function confirmDialog(text, okLabel) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
  });
}
