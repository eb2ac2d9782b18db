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
  return response.status === 204 ? null : response.json();
}

// A path segment as the API takes it.
export const seg = (value) => encodeURIComponent(value);
export const imagePath = (id, rest = "") => `glance/images/${seg(id)}/${rest}`;

// Sends a file as the body of a PUT with upload progress; XHR, since fetch
// reports none. Returns {promise, abort}.
export function sendFile(path, file, onProgress) {
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
