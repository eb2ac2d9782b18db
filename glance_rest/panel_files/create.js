// Creating an image: from a file (upload, or stage and import) or a URL.
import {api, imagePath, sendFile, seg} from "./api.js";
import {awaitImport} from "./detail.js";
import {listHash} from "./list.js";
import {loadInfo, state} from "./state.js";
import {$, FAILED, attempt, fillSelect, notice, showView} from "./ui.js";

export async function openCreate() {
  showView("create");
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
  $("upload").hidden = true;
}

export function showSource() {
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

export async function create(event) {
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
    if (image === FAILED) return;
    const done = await attempt(() => fromUrl ? importUrl(image, form.get("url"), store)
                                             : sendData(image, file, form.get("method"), store));
    if (done === FAILED) {
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

export async function cancelCreate() {
  if (state.upload) { state.upload.abort(); return; }
  location.hash = listHash();
}
