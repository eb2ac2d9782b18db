// Everything the panel remembers, in one object.
import {api} from "./api.js";

export const LIST_DEFAULTS = {scope: "all", sortKey: "created_at", sortDir: "desc"};
// Where a list starts again after its scope, order or filters change.
export const FIRST_PAGE = {marker: null, reversed: false, page: 1};
export const state = {
  me: null,          // GET /api/auth/session/
  projectNames: {},  // the user's own projects: id -> name (GET /api/auth/projects/)
  projectsAsked: false,  // whether they were asked for since the login or switch
  info: null,        // GET /api/glance/info/
  list: {...LIST_DEFAULTS, ...FIRST_PAGE, filters: {}, items: [], asked: 0,
         selected: new Set()},  // ids of the shown images chosen for a batch
  image: null,       // the image on the detail view
  detailAsked: 0,    // counts detail loads: only the newest is shown
  poll: null,        // the detail view's refresh timer
  detailLoads: 0,    // counts loads of the detail's data: only the newest decides polling
  tasks: [],         // the detail view's image's tasks, as last listed
  tasksFor: null,    // the id of the image those tasks are of
  awaited: null,     // {imageId, known, until}: an import just asked for
  queue: [],         // the create form's files, each to become an image (create.js)
  suggestions: null, // metadata definitions' properties by name, once loaded
};

export async function loadInfo() {
  if (!state.info) state.info = await api("GET", "glance/info/");
  return state.info;
}

export function stopPolling() {
  if (state.poll) clearTimeout(state.poll);
  state.poll = null;
}
