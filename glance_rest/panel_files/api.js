// The API as the panel calls it: a session caller sends X-Requested-With on
// every call and the CSRF token on unsafe ones; a failure is an ApiError
// carrying the API's own status, code and message.

export class ApiError extends Error {
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

export function apiHeaders(method, extra) {
  const headers = {"X-Requested-With": "XMLHttpRequest", ...extra};
  if (!["GET", "HEAD"].includes(method)) headers["X-CSRFToken"] = csrfToken();
  return headers;
}

export async function failure(response) {
  let body = null;
  try { body = await response.json(); } catch (e) { /* not JSON: keep the status */ }
  return new ApiError(response.status, body);
}

export async function api(method, path, body) {
  const options = {method, credentials: "same-origin",
                   headers: apiHeaders(method, body === undefined ? {} : {"Content-Type": "application/json"})};
  if (body !== undefined) options.body = JSON.stringify(body);
  const response = await fetch("/api/" + path, options);
  if (!response.ok) throw await failure(response);
  if (method !== "GET") remember({method, path, body});
  return response.status === 204 ? null : response.json();
}

// The changes this page made, newest last, so that an image's last one can
// be shown as a curl command: {method, path, body} or {method, path, file}.
export const changes = [];

function remember(change) {
  if (change.path.startsWith("auth/")) return;  // logins hold passwords
  changes.push(change);
  if (changes.length > 100) changes.shift();
}

// A path segment as the API takes it.
export const seg = (value) => encodeURIComponent(value);
export const imagePath = (id, rest = "") => `glance/images/${seg(id)}/${rest}`;

// Sends a file as the body of a PUT with upload progress (bytes sent, of
// how many); XHR, since fetch reports none. Returns {promise, abort}.
export function sendFile(path, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open("PUT", "/api/" + path);
    const headers = apiHeaders("PUT", {"Content-Type": "application/octet-stream"});
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded, event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size, file.size);
        remember({method: "PUT", path, file: file.name});
        resolve();
        return;
      }
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
