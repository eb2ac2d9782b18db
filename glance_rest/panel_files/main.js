// The images panel: a client of the documented /api/ endpoints only. This
// module logs in and out, follows the address to the view it names, and
// wires the page's controls.
import {ApiError, api} from "./api.js";
import {addMetadata, cancelCreate, chooseFiles, create, describeMetadata, dropTarget, openCreate,
  showSource} from "./create.js";
import {addMember, addPropertyRow, answerShare, changeTag, copyCommand, copyToStore, deleteImage,
  describeSuggestion, download, imageAction, openDetail, refreshDetail, saveEdit,
  saveProperties} from "./detail.js";
import {askList, deleteSelected, filter, listNeedsSession, openList, readListHash, searchPage,
  selectAll, setScope, showOwners, sortBy, turnPage} from "./list.js";
import {associate, deleteNamespace, deleteSelectedNamespaces, exportNamespace, filterAdminImages,
  importDropTarget, importFiles, importNamespace, openAdmin, readImportChoices, saveContent,
  saveNamespace, searchNamespaces, selectAllNamespaces, showAdminNav, showDefinitionField,
  stopEditing} from "./admin.js";
import {state} from "./state.js";
import {$, FAILED, attempt, clearError, notice, showError, showLogin} from "./ui.js";

function showWho() {
  $("who").hidden = false;
  $("who-user").textContent = state.me.user.name;
  $("who-project").textContent = state.me.project.name;
  state.projectNames = {[state.me.project.id]: state.me.project.name};
  state.projectsAsked = false;
  showAdminNav();
}

// A menu of the user's projects, offered only when there is more than one.
async function showProjects() {
  let found = null;
  try { found = await api("GET", "auth/projects/"); } catch (error) {
    // Without the list the menu stays hidden; the page works on.
    if (!(error instanceof ApiError)) throw error;
  }
  if (found) {
    state.projectNames = Object.fromEntries(found.items.map((project) => [project.id, project.name]));
  }
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

// What the user must know when Keystone did not revoke the token left behind.
const NOT_REVOKED = "Your previous token was not revoked: it works until it expires.";

async function switchProject() {
  const me = await attempt(() => api("POST", "auth/switch/", {project: $("project-menu").value}));
  if (me === FAILED) { await showProjects(); return; }
  await enter(me, `Switched to project ${me.project.name}.` + (me.revoked ? "" : ` ${NOT_REVOKED}`));
}

// After a login or a project switch: the list from its first page ("#/").
async function enter(me, message) {
  state.me = me;
  showWho();
  notice(message);
  if (location.hash !== "#/") location.hash = "#/"; else await route();
}

async function route() {
  clearError();
  // In-page anchors (the skip link's #main) are not views.
  const view = !location.hash || location.hash.startsWith("#/");
  const [path, queryText = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [where, id, ...rest] = path.split("/");
  const isList = view && where !== "create" && where !== "admin"
    && !((where === "images" || where === "image") && id);
  if (isList) readListHash(queryText);
  let early = null;
  if (!state.me) {
    // The list is asked for beside the session when it does not depend on it.
    if (isList && !listNeedsSession()) {
      early = askList();
      early.answer.catch(() => null);  // a 401 is the session's to tell
    }
    try { state.me = await api("GET", "auth/session/"); } catch (error) {
      if (error.status === 401) { showLogin(); return; }
      showError(error); return;
    }
    showWho();
  }
  if (!view) return;
  if (where === "create") await openCreate();
  else if (where === "admin") await openAdmin([id, ...rest], queryText);
  // "#/image/<id>": the address this page gave images before.
  else if (!isList) await openDetail(decodeURIComponent(id));
  else await openList(early);
  // The user's projects (the switch menu, the owners' names) once the view is
  // shown: Keystone's answer would only hold it back.
  if (!state.projectsAsked) {
    state.projectsAsked = true;
    showProjects().then(showOwners);
  }
}

async function logIn(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = {username: form.get("username"), password: form.get("password"),
                domain: form.get("domain")};
  if (form.get("project")) body.project = form.get("project");
  const me = await attempt(() => api("POST", "auth/login/", body));
  $("login-password").value = "";
  if (me === FAILED) return;
  await enter(me, `Logged in as ${me.user.name}, project ${me.project.name}.`);
}

async function logOut() {
  const answer = await attempt(() => api("POST", "auth/logout/"));
  state.me = null;
  notice(answer !== FAILED && answer.revoked === false ? `Logged out. ${NOT_REVOKED}` : "Logged out.");
  showLogin();
}

function tabKeys(event) {
  const tabs = [...document.querySelectorAll("#scopes [role=tab]")];
  const at = tabs.indexOf(event.target);
  const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
  if (at < 0 || !step) return;
  const next = tabs[(at + step + tabs.length) % tabs.length];
  next.focus();
  setScope(next.dataset.scope);
}

// A module runs once the document is parsed.
{
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
  $("page-search").addEventListener("input", searchPage);
  $("select-all").addEventListener("change", (event) => selectAll(event.target.checked));
  $("batch-delete").addEventListener("click", deleteSelected);
  $("page-prev").addEventListener("click", () => turnPage(false));
  $("page-next").addEventListener("click", () => turnPage(true));
  for (const radio of document.querySelectorAll("input[name=source]")) radio.addEventListener("change", showSource);
  $("create-form").addEventListener("submit", create);
  $("create-file").addEventListener("change", chooseFiles);
  dropTarget($("create-form"));
  $("metadata-add").addEventListener("click", addMetadata);
  $("metadata-new-name").addEventListener("input", describeMetadata);
  for (const input of [$("metadata-new-name"), $("metadata-new-value")]) {
    // Enter adds the property; it does not send the form.
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); addMetadata(); }
    });
  }
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
  for (const button of document.querySelectorAll("[data-copy]")) button.addEventListener("click", copyCommand);
  $("action-download").addEventListener("click", download);
  $("action-deactivate").addEventListener("click", () => imageAction("deactivate"));
  $("action-reactivate").addEventListener("click", () => imageAction("reactivate"));
  $("action-delete").addEventListener("click", deleteImage);
  $("admin-filter-form").addEventListener("submit", filterAdminImages);
  $("admin-filter-form").addEventListener("reset", () => setTimeout(() => filterAdminImages(new Event("submit")), 0));
  $("namespace-search").addEventListener("input", searchNamespaces);
  $("namespace-select-all").addEventListener("change", (event) => selectAllNamespaces(event.target.checked));
  $("namespace-batch-delete").addEventListener("click", deleteSelectedNamespaces);
  $("namespace-import-form").addEventListener("submit", importNamespace);
  $("namespace-file").addEventListener("change", (event) => {
    if (event.target.files.length) importFiles(event.target.files);
  });
  $("namespace-json").addEventListener("input", readImportChoices);
  importDropTarget($("namespace-import-form"));
  $("namespace-edit-form").addEventListener("submit", saveNamespace);
  $("namespace-export").addEventListener("click", exportNamespace);
  $("namespace-delete").addEventListener("click", deleteNamespace);
  $("association-form").addEventListener("submit", associate);
  $("content-form").addEventListener("submit", saveContent);
  $("content-kind").addEventListener("change", showDefinitionField);
  $("content-cancel").addEventListener("click", stopEditing);
  window.addEventListener("hashchange", route);
  route();
}
