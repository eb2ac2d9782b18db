// The list: scopes, filters, sorting, pages both ways, expandable rows,
// batch selection; its view lives in the address.
import {ApiError, api, imagePath, seg} from "./api.js";
import {FIRST_PAGE, LIST_DEFAULTS, loadInfo, state} from "./state.js";
import {$, FAILED, attempt, clearError, confirmDialog, errorText, fillSelect, h, humanSize, notice,
  showView, when} from "./ui.js";

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

// Asks Glance for the list as state.list says; only the newest answer asked
// for is shown (a slower, older one is dropped).
export function askList() {
  const asked = ++state.list.asked;
  return {asked, answer: api("GET", "glance/images/?" + listQuery())};
}

// Whether the list can be asked for before the session is known.
export const listNeedsSession = () => state.list.scope === "mine";

export async function openList(early = null) {
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
  const {asked, answer: asking} = early || askList();
  const answer = await attempt(() => asking);
  if (answer === FAILED || asked !== list.asked) return;
  list.items = answer.items;
  list.selected.clear();
  showSelection();
  $("images-body").replaceChildren(...answer.items.map((image) => h("tr", {"data-id": image.id},
    h("td", {"data-label": "Select"}, h("input", {
      type: "checkbox", class: "select-row", "aria-label": `Select ${image.name || image.id}`,
      onchange: (event) => select(image.id, event.target.checked)})),
    h("td", {"data-label": "Owner", "data-owner": image.owner, text: ownerName(image.owner)}),
    h("td", {"data-label": "Name"},
      h("button", {type: "button", class: "expand", "aria-expanded": "false",
                   "aria-label": `Details of ${image.name || image.id}`, text: "▸",
                   onclick: (event) => toggleDetails(event.currentTarget, image)}),
      " ", h("a", {href: `#/images/${seg(image.id)}`, text: image.name || image.id})),
    h("td", {"data-label": "Type", text: imageType(image)}),
    ...imageCells(image))));
  $("images-empty").hidden = answer.items.length > 0;
  $("page-prev").disabled = !answer.has_prev_data;
  $("page-next").disabled = !answer.has_more_data;
  $("page-number").textContent = `Page ${list.page}`;
  searchPage();
  offerFormats();
}

// An image's cells from Status to Created, in every table of images.
export const imageCells = (image) => [
  h("td", {"data-label": "Status", text: image.status}),
  h("td", {"data-label": "Visibility", text: image.visibility}),
  h("td", {"data-label": "Protected", text: image.protected ? "Yes" : "No"}),
  h("td", {"data-label": "Disk format", text: image.disk_format || ""}),
  h("td", {"data-label": "Size", text: humanSize(image.size), "data-bytes": image.size ?? ""}),
  h("td", {"data-label": "Created", text: when(image.created_at)}),
];

// The disk formats this cloud takes, asked for after the rows are shown.
async function offerFormats() {
  const select = $("filter-disk_format");
  if (select.dataset.offered) return;
  let info;
  try { info = await loadInfo(); } catch (error) {
    // Without them the filter keeps "any" and the address's format.
    if (!(error instanceof ApiError)) throw error;
    return;
  }
  fillSelect(select, ["", ...info.disk_formats], "", {"": "any"});
  keepAddressFormat(select);
  select.dataset.offered = "true";
}

// The address's disk format stays chosen, one this cloud does not list too.
function keepAddressFormat(select) {
  const chosen = state.list.filters.disk_format || "";
  if (![...select.options].some((option) => option.value === chosen)) {
    select.append(h("option", {text: chosen}));
  }
  select.value = chosen;
}

// Horizon's free-text search: the shown page's rows only (Glance filters by
// exact name, not by text), by any cell's text.
export function searchPage() {
  const text = $("page-search").value.trim().toLowerCase();
  let shown = 0;
  for (const row of $("images-body").querySelectorAll("tr[data-id]")) {
    const match = !text || row.textContent.toLowerCase().includes(text);
    row.hidden = !match;
    if (!match && row.nextElementSibling && row.nextElementSibling.classList.contains("details")) {
      row.querySelector("button.expand").click();
    }
    if (!match && state.list.selected.has(row.dataset.id)) {
      row.querySelector(".select-row").checked = false;
      select(row.dataset.id, false);
    }
    shown += match;
  }
  const total = state.list.items.length;
  $("page-search-count").textContent = text ? `${shown} of ${total} rows on this page match.` : "";
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

// Every row shown (a page search hides some), or none.
export function selectAll(selected) {
  state.list.selected.clear();
  for (const row of $("images-body").querySelectorAll("tr[data-id]:not([hidden])")) {
    row.querySelector(".select-row").checked = selected;
    if (selected) state.list.selected.add(row.dataset.id);
  }
  showSelection();
}

function showSelection() {
  const count = state.list.selected.size;
  $("batch-delete").disabled = count === 0;
  $("batch-count").textContent = count ? `${count} selected` : "";
  $("select-all").checked = count > 0 &&
    count === $("images-body").querySelectorAll("tr[data-id]:not([hidden])").length;
}

export async function deleteSelected() {
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

// Once the user's projects are known: their names wherever an owner is shown.
export function showOwners() {
  for (const cell of document.querySelectorAll("[data-owner]")) {
    cell.textContent = ownerName(cell.dataset.owner);
  }
}

// Nova marks the images it snapshots with image_type "snapshot", as Horizon reads it.
function imageType(image) {
  return (image.properties || {}).image_type === "snapshot" ? "Snapshot" : "Image";
}

// The list's view lives in the address (#/images?scope=...&name=...&marker=...):
// a reload, back and forward, or a pasted link shows the same page.
const FILTERS = ["name", "status", "visibility", "tag", "protected", "disk_format", "size_min", "size_max"];

export function listHash() {
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

export function readListHash(queryText) {
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
  // The cloud's formats arrive after the rows: the address's one is kept till then.
  keepAddressFormat($("filter-disk_format"));
}

// Show the list as state.list now says, through the address.
function showList() {
  const hash = listHash();
  if (location.hash !== hash) location.hash = hash; else openList();
}

export function setScope(scope) {
  Object.assign(state.list, {scope, ...FIRST_PAGE});
  showList();
}

export function turnPage(forward) {
  const list = state.list;
  if (!list.items.length) return;
  list.marker = forward ? list.items[list.items.length - 1].id : list.items[0].id;
  list.reversed = !forward;
  list.page += forward ? 1 : -1;
  showList();
}

export function sortBy(key) {
  const list = state.list;
  list.sortDir = list.sortKey === key && list.sortDir === "asc" ? "desc" : "asc";
  list.sortKey = key;
  Object.assign(list, FIRST_PAGE);
  showList();
}

export function filter(event) {
  event.preventDefault();
  const form = new FormData($("filter-form"));
  state.list.filters = Object.fromEntries([...form.entries()].filter(([, value]) => value));
  Object.assign(state.list, FIRST_PAGE);
  showList();
}
