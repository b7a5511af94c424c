// stylegram's page: uploads, settings, a job's live events (server-sent), the preview and the loss curve.
// Plain JavaScript, no libraries: everything comes from the server that serves this file.
"use strict";

const $ = (selector) => document.querySelector(selector);
const SVG = "http://www.w3.org/2000/svg";
const FIELDS = ["size", "height", "tileable", "iterations", "content_weight", "style_weight", "tv_weight", "alpha",
  "colors", "init", "statistic", "seed", "style_blend", "style_scale", "style_layers", "min_size", "upscale", "temporal",
  "temporal_weight", "tile"];
const COLOURS = { total: "#1d2228", content: "#1f77b4", style: "#d62728", texture: "#d62728", tv: "#2ca02c" };
const TERM_NAMES = { init: "frame hold" };  // the loss curve's names for terms whose own name says little
const DECADES = 6;  // the loss curve spans at most this many powers of ten below its largest value
const TERMINAL = ["done", "stopped", "cancelled", "failed"];
const JOB_GONE = "The job this tab showed is gone: the server was restarted since, and it keeps jobs and their "
  + "results only while it runs. Press Start to make it again.";
// what a null default, or an "auto" one that depends on other settings, comes to
const AUTO = { size: "the content's, at most 512", height: "the width's", style_blend: "equal", tile: "none: one piece",
               style_layers: "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1 (mrf: relu3_1,relu4_1)" };

const page = {
  config: null,
  content: null,   // {id, name, width, height, source: the picture as a blob: URL, for the painters}
  contentTicket: null,  // the latest content upload's token (see upload)
  contentPending: null,  // that upload's slot while it is on its way
  contentKept: null,  // {record, items}: the content in place, hidden until the new one is accepted (setAsideContent)
  lastState: null,  // the watched job's latest state event (onState)
  unanswered: null,  // that state, while the server does not answer (the events' error), to show again when it does
  styles: [],      // the same, in order; a style's mask and region, if it has them, as its .mask and .region
  attachFor: null,  // {record, kind}: the style and the attachment the file dialog is choosing
  output: { boxes: {}, words: { labels: "doodle" } },  // texture's output: its label map (the doodle) as .labels
  job: null,
  source: null,
  points: [],      // progress records of the job being watched (of a video: of the frame being made)
  curveFrame: null,  // the video frame whose loss curve is drawn
  previews: 0,
  drawing: false,
  restoring: true,  // until init has put back the form the tab had before a reload (restore)
};

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) throw new Error((body && body.detail) || `${response.status} ${response.statusText}`);
  return body;
}

// An error shows under the form, scrolled into view (it floated over the window's bottom, Start included, before).
function showError(message) {
  const el = $("#error");
  el.textContent = message;
  el.hidden = false;
  el.scrollIntoView({ block: "nearest" });
}
function clearError() { $("#error").hidden = true; $("#error").textContent = ""; }
const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
const percent = (share) => `${Math.round(share * 100)} %`;

function seconds(s) {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function number(x) {
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(2) : x.toPrecision(3);
}

// ----------------------------------------------------------------------------------- settings

// The settings offered: the method's, or for a video as the content those `stylegram batch` has (video_fields).
function offeredFields(method) {
  if (!page.config) return FIELDS;
  return isVideo(page.content) && method !== "texture" ? page.config.video_fields[method] : page.config.fields[method];
}

// A video, or an animated GIF, WebP or PNG: as the content, stylized frame by frame.
const isVideo = (record) => Boolean(record && (record.kind === "video" || record.kind === "animation"));
// What a job's result is: an image, a video (MP4) or an animation (of the content's kind).
const resultNoun = (job) => job.kind !== "video" ? "image" : job.urls.result.endsWith(".mp4") ? "video" : "animation";

// A menu's first choice, the default, named by the choice it stands for, which is hidden: "default (gram)" above
// "Gram matrices (Gatys et al.)" read as two different statistics. A choice's short name, where it has one, so that
// the closed menu shows it whole ("default: the content, recoloure" was cut, on a phone "default: the conte").
function defaultChoice(select, value) {
  const same = [...select.options].find((option) => option.value && option.value === value);
  for (const option of select.options) option.hidden = option === same;
  select.options[0].textContent = same ? `default: ${same.dataset.short || same.textContent}` : `default (${value})`;
  if (same && select.value === value) select.value = "";  // chosen by name before: the default, as it is now
}

function methodChanged() {
  const method = $("#method").value;
  const offered = offeredFields(method);
  const video = isVideo(page.content) && method !== "texture";
  const defaults = page.config ? { ...page.config.defaults[method], ...(video ? page.config.video_defaults[method] : {}) } : {};
  for (const name of FIELDS) {
    const label = document.querySelector(`[data-field="${name}"]`);
    label.hidden = !offered.includes(name);
    const input = $(`#${name}`);
    const value = defaults[name];
    if (input.type === "checkbox") input.checked = false;
    else if (input.tagName === "SELECT") defaultChoice(input, value ?? "style");
    else input.placeholder = value === null || value === undefined || value === "auto" ? AUTO[name] || "auto" : String(value);
  }
  const texture = method === "texture";
  sizeFields();
  document.body.dataset.method = method;  // texture hides the mask controls (style.css)
  $("#content-drop").hidden = texture;
  $("#style-title").textContent = texture ? "Example textures" : "Style images";
  $("#blend-name").textContent = texture ? "Example blend" : "Style blend";
  $("#layers-name").textContent = texture ? "Layers" : "Style layers";
  $("#scale-name").textContent = texture ? "Example scale (× its own size)" : "Style scale (× the output's size)";
  $("#layers-hint").textContent = texture
    ? "(one group per example split by /: the first example's fine texture, the second's coarse structure, e.g. "
      + "conv1_1,pool1/pool2,pool3,pool4)"
    : "(one group per style split by /: the first style's fine texture, the second's coarse structure, e.g. "
      + "relu1_1,relu2_1/relu3_1,relu4_1,relu5_1)";
  for (const button of document.querySelectorAll("button.labels-add")) button.title = attachTitle("labels");
  if (!page.job) drawCurve();  // what the curve will show for these settings
  toolsChanged();
}

function settings() {
  const method = $("#method").value;
  const body = { method, styles: page.styles.map((s) => s.id) };
  if (method !== "texture" && page.content) body.content = page.content.id;
  const first = method === "texture" ? page.output : page.content;  // label maps: the content's (output's) first
  for (const [kind, { field, content }] of Object.entries(ATTACHMENTS)) {
    const records = content ? [first, ...page.styles] : page.styles;
    if ((method !== "texture" || kind === "labels") && records.some((r) => r && r[kind])) {
      body[field] = records.map((r) => (r && r[kind] ? r[kind].id : null));  // the server names an image without one
    }
  }
  for (const name of sentFields(method)) {
    const input = $(`#${name}`);
    if (input.type === "checkbox") { if (input.checked) body[name] = true; continue; }
    const value = input.value.trim();
    if (value === "") continue;
    body[name] = input.type === "number" ? Number(value) : value;
  }
  return body;
}

// ------------------------------------------------------------------------------------ uploads

// What a thumbnail shows of a file being uploaded: its name, the file itself, and whether it is a video.
function shownFile(file) {
  const lower = file.name.toLowerCase();
  const video = file.type.startsWith("video/") || page.config.video_types.some((ext) => lower.endsWith(ext));
  return { name: file.name, src: URL.createObjectURL(file), video };
}

function thumbnail(shown, box, onRemove) {
  const item = document.createElement("div");
  item.className = "thumb pending";
  const media = document.createElement(shown.video ? "video" : "img");  // a video plays, muted, as its own thumbnail
  if (shown.video) Object.assign(media, { muted: true, loop: true, autoplay: true, playsInline: true });
  if (shown.video) media.setAttribute("aria-label", shown.name);
  else media.alt = shown.name;
  media.src = shown.src;
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = shown.name;
  const size = document.createElement("span");
  size.className = "name";
  size.textContent = "uploading…";
  const remove = document.createElement("button");
  remove.type = "button";
  remove.title = `remove ${shown.name}`;  // a screen reader heard "remove" for every picture alike
  remove.textContent = "×";
  remove.addEventListener("click", (event) => { event.stopPropagation(); item.remove(); onRemove(); });
  item.append(media, name, size, remove);
  item.addEventListener("click", (event) => event.stopPropagation());
  item.addEventListener("keydown", (event) => event.stopPropagation());  // Enter on its buttons is not the drop zone's
  box.append(item);
  const view = { item, size, media, unshown: false };
  media.addEventListener("error", () => { view.unshown = true; }, { once: true });  // a format it cannot show
  return view;
}

function toolsChanged() {
  // The painters offered depend on the method, the images and (the doodle) the examples' label maps.
  updatePaintButton();
  updateDoodleButton();
  sizeFields();
  showReadiness();
  remember();
}

// A transfer's size is its long side; a texture's, Width and Height, but with a doodle its long side alone, the
// doodle giving the shape: the painter's own Width and Height (the map's) read as the output's beside Settings' Width.
function doodled() { return $("#method").value === "texture" && Boolean(page.output && page.output.labels); }

function sizeFields() {
  const texture = $("#method").value === "texture";
  $("#size-name").textContent = doodled() ? "Size (long side, px; the doodle gives the shape)"
    : texture ? "Width (px)" : "Size (long side, px)";
  $('[data-field="height"]').hidden = !sentFields($("#method").value).includes("height");
}

// The fields a job of ``method`` sends: those offered, less texture's Height while a doodle gives the shape.
function sentFields(method) { return offeredFields(method).filter((name) => !(name === "height" && doodled())); }

// Before any job, the result panel says what is still missing, or that Start is ready ("Add images, then press
// Start." stayed up with the pictures in place).
function showReadiness() {
  if (page.job) return;
  const texture = $("#method").value === "texture";
  const missing = !texture && !page.content ? "a content image"
    : !page.styles.length ? (texture ? "an example texture" : "a style image") : null;
  $("#job-status").textContent = missing ? `Add ${missing}, then press Start.` : "Ready: press Start.";
}

// ------------------------------------------------------------------------- the form across a reload

// The tab keeps the method, the settings and which uploads (and their attachments) are in use, so that a reload,
// or coming back to the page, finds the form as it was: the server still holds the pictures (UploadStore keeps the
// latest 64).
const REMEMBERED = "stylegram.form";
const WATCHED = "stylegram.job";  // the id of the job this tab started or watched: a reload watches it again

// An upload's id and its attachments' ({id, mask, region, labels}, those it has).
function uploadIds(record) {
  // What a reload needs of an upload: its id, its name (to name it if the server has lost it), the sample it is (to
  // fetch it again), and its attachments' ids and names.
  const ids = record.id ? { id: record.id, name: record.name, ...(record.sample ? { sample: record.sample } : {}) } : {};
  for (const kind of Object.keys(ATTACHMENTS)) {
    if (!record[kind]) continue;
    ids[kind] = record[kind].id;
    ids[`${kind}Name`] = record[kind].name;
  }
  return ids;
}

function remember() {
  if (page.restoring) return;  // the page is still putting back what it had (init: restore)
  const fields = {};
  for (const name of FIELDS) {
    const input = $(`#${name}`);
    fields[name] = input.type === "checkbox" ? input.checked : input.value;
  }
  const form = { method: $("#method").value, fields, content: page.content && uploadIds(page.content),
    styles: page.styles.map(uploadIds), output: uploadIds(page.output) };
  try { sessionStorage.setItem(REMEMBERED, JSON.stringify(form)); } catch { /* storage off: nothing is kept */ }
}

async function restore() {
  let form = null;
  try { form = JSON.parse(sessionStorage.getItem(REMEMBERED)); } catch { form = null; }
  const gone = [];
  try {
    if (!form) return;
    if ([...$("#method").options].some((o) => o.value === form.method)) $("#method").value = form.method;
    methodChanged();
    if (form.content) await restoreUpload(form.content, "content", gone);
    for (const style of form.styles || []) await restoreUpload(style, "style", gone);
    await restoreAttachments(page.output, form.output || {}, gone);
    for (const [name, value] of Object.entries(form.fields || {})) {
      const input = $(`#${name}`);
      if (!input) continue;
      if (input.type === "checkbox") input.checked = value === true;
      else input.value = value;
    }
  } finally {
    page.restoring = false;
  }
  remember();
  if (gone.length) {
    const one = gone.length === 1;
    showError(`${listed(gone)} from before the reload ${one ? "is" : "are"} no longer on the server (it was `
      + `restarted, or has dropped older uploads): add ${one ? "it" : "them"} again.`);
  }
}

function listed(names) {
  // "a.png", "a.png and b.png", "a.png, b.png and c.png"
  return names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

// An upload the server may still hold: its description, or null (its ``name`` noted in ``gone``) when it is gone.
async function described(id, gone, name) {
  try { return await api(`/api/uploads/${encodeURIComponent(id)}`); } catch { gone.push(name || "a picture"); return null; }
}

async function restoreUpload(saved, role, gone) {
  const record = await described(saved.id, saved.sample ? [] : gone, saved.name);
  if (!record) {
    if (saved.sample) await useSample(saved.sample, role);  // a sample is fetched again, not asked for
    return;  // what was attached to it went with it
  }
  const box = role === "content" ? $("#content-thumbs") : $("#style-thumbs");
  const slot = { record, removed: false };
  const shown = { name: record.name, src: `/api/uploads/${record.id}/frame.png`, video: false };  // a video: its first frame
  placeUpload(thumbnail(shown, box, () => removeUpload(slot, role)), record, role);
  await restoreAttachments(record, saved, gone);
}

async function restoreAttachments(record, saved, gone) {
  for (const kind of Object.keys(ATTACHMENTS)) {
    if (!saved[kind] || !record.boxes[kind]) continue;
    const upload = await described(saved[kind], gone, saved[`${kind}Name`]);
    if (!upload) continue;
    record[kind] = upload;
    showAttached(record, kind, `/api/uploads/${upload.id}/frame.png`);
  }
}

function discard(record) {
  // Best effort: an upload a waiting job still needs is kept by the server (409).
  if (record) fetch(`/api/uploads/${record.id}`, { method: "DELETE" }).catch(() => {});
}

async function upload(file, role, sample = null) {
  const limit = page.config.limits.upload_bytes;
  if (file.size > limit) {
    showError(`${file.name} is ${mb(file.size)}, over this server's upload limit of ${mb(limit)}; use a smaller file `
      + `(or start the server with stylegram serve --max-upload-mb ${Math.floor(file.size / 1e6) + 1})`);
    return;
  }
  const box = role === "content" ? $("#content-thumbs") : $("#style-thumbs");
  // An upload counts only if it is still wanted when it finishes: its thumbnail may have been removed, or
  // (content) another picture dropped, while it was on its way.
  const ticket = {};
  const slot = { record: null, removed: false };
  if (role === "content") {
    setAsideContent(box);
    page.contentTicket = ticket;
  }
  const view = thumbnail(shownFile(file), box, () => removeUpload(slot, role));
  if (role === "content") page.contentPending = slot;
  let record = null;
  try {
    record = await api(`/api/uploads?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: { "content-type": file.type || "application/octet-stream" },
    });
  } catch (error) {
    view.item.remove();
    const current = role !== "content" || page.contentTicket === ticket;
    if (role === "content" && current && !slot.removed) contentBack();  // a refused file took the good one with it
    if (!slot.removed && current) showError(error.message);
    return;
  }
  if (slot.removed || (role === "content" && page.contentTicket !== ticket)) {
    discard(record);
    return;
  }
  if (role !== "content" && record.kind === "video") {  // it showed '6 frames' and + mask, and failed at Start
    view.item.remove();
    discard(record);
    showError(`${record.name} is a video: only the content can be one. Give a picture as a style `
      + `(a frame of the video, saved as an image, will do).`);
    return;
  }
  if (role === "content") contentReplaced();
  if (sample) record.sample = sample;
  slot.record = record;
  placeUpload(view, record, role);
}

// A new content picture on its way: the one in place is hidden, not thrown away, until the server has accepted the new
// one (a text file dropped on a good picture left the box empty); a picture still on its way is replaced outright.
function setAsideContent(box) {
  if (page.contentPending) {
    page.contentPending.removed = true;
    box.querySelectorAll(".thumb.pending").forEach((item) => item.remove());
  } else page.contentKept = { record: page.content, items: [...box.children] };
  page.contentKept.items.forEach((item) => { item.hidden = true; });
  page.content = null;
  closePainter();
  toolsChanged();
}

// The new content was refused, or its upload removed: the one set aside comes back, with what was painted on it.
function contentBack() {
  const kept = page.contentKept;
  page.contentKept = page.contentPending = null;
  if (!kept) return;
  kept.items.forEach((item) => { item.hidden = false; });
  page.content = kept.record;
  toolsChanged();
}

// The new content was accepted: the one set aside leaves the page and the server, and strokes painted on it go.
function contentReplaced() {
  const kept = page.contentKept;
  page.contentKept = page.contentPending = null;
  if (kept) {
    kept.items.forEach((item) => item.remove());
    discard(kept.record);
    if (kept.record) discard(kept.record.labels);
  }
  forgetPaint();
}

// A thumbnail's remove button: the upload (and what is attached to it) leaves the page and the server.
function removeUpload(slot, role) {
  slot.removed = true;
  const record = slot.record;
  if (role === "content" && page.contentPending === slot) {  // removed on its way: the picture before it comes back
    contentBack();
    return;
  }
  if (role === "content") {
    page.content = null;
    forgetPaint();
    methodChanged();
  } else page.styles = page.styles.filter((s) => s !== record);
  discard(record);
  if (record) Object.keys(ATTACHMENTS).forEach((kind) => discard(record[kind]));
  closePainter();
  toolsChanged();
}

// An upload the server holds, in its thumbnail: its size, its attachment controls, and its place as the content or
// the last style.
function placeUpload(view, record, role) {
  view.item.classList.remove("pending");
  view.size.textContent = `${record.width}×${record.height}`;
  if (isVideo(record)) view.size.after(Object.assign(document.createElement("span"), {
    className: "name frames", textContent: plural(record.frames, "frame") }));
  record.boxes = {};
  // What the painters paint over: the picture, or a video's first frame (its masks and label map hold for every frame).
  // A picture the browser cannot show (TIFF, HEIC) is shown, and painted over, as the server's PNG of it.
  const served = `/api/uploads/${record.id}/frame.png`;
  record.source = isVideo(record) ? served : view.media.src;
  if (!isVideo(record)) {
    const fallback = () => { view.media.src = served; record.source = served; };
    if (view.unshown) fallback();
    else view.media.addEventListener("error", fallback, { once: true });
  }
  if (role === "content") page.content = record;
  else page.styles.push(record);
  for (const [kind, { content }] of Object.entries(ATTACHMENTS)) {
    if (role !== "content" || content) view.item.append(attachControl(record, kind));
  }
  if (role === "content") methodChanged();  // a video offers batch's settings
  closePainter();
  toolsChanged();
}

// What a style image can have attached: a mask of the content's shape (where in the picture it paints) and a region
// of its own shape (the part of it whose style it lends), each white where it applies, black or transparent
// elsewhere; and, like the content, a label map of its own shape (content: true) in flat colours, one per kind of
// thing, so that like colours of the content's map and a style's paint alike.
const ATTACHMENTS = {
  mask: { field: "style_masks", title: "choose a mask of the content's shape: white where this style paints, "
    + "black or transparent where it does not" },
  region: { field: "style_regions", title: "choose a region of this style image's shape: white over the part "
    + "whose style it lends, black or transparent elsewhere" },
  labels: { field: "labels", content: true, title: "choose a label map of this image's shape, painted in a few "
    + "flat colours (sky blue, grass green, ...): each colour of the content's map is painted by the parts of the "
    + "style images with that colour" },
};
const TEXTURE_LABELS_TITLE = "choose a label map of this example's shape, painted in a few flat colours (sky blue, "
  + "grass green, ...): each colour of the doodle (the output's map) grows from the parts of the examples with that "
  + "colour";

function attachTitle(kind) {
  // An attachment button's tooltip; a texture's label maps pair with the doodle, not with a content's map.
  return kind === "labels" && $("#method").value === "texture" ? TEXTURE_LABELS_TITLE : ATTACHMENTS[kind].title;
}

function wordFor(record, kind) {
  // What the page calls an attachment of this record: its kind, or the record's own word (the output's "doodle").
  return (record.words || {})[kind] || kind;
}

function attachControl(record, kind) {
  const box = document.createElement("div");
  box.className = `attached ${kind}`;
  const add = document.createElement("button");
  add.type = "button";
  add.className = `${kind}-add`;
  add.textContent = `+ ${wordFor(record, kind)}`;
  add.title = attachTitle(kind);
  add.addEventListener("click", () => { page.attachFor = { record, kind }; $("#mask-input").click(); });
  box.append(add, ...paintButtons(record, kind));
  record.boxes[kind] = box;
  return box;
}

function paintButtons(record, kind) {
  // A style image's label map can be painted over it, given or not (doodle.js).
  return kind === "labels" && page.styles.includes(record) ? [paintLabelsButton(record)] : [];
}

function showAttached(record, kind, src) {
  const box = record.boxes[kind];
  const upload = record[kind];
  const img = document.createElement("img");
  img.alt = `${kind} ${upload.name}`;
  img.src = src;
  upload.source = img.src;  // the doodle painter reads the examples' label maps' colours from it
  img.addEventListener("error", () => {  // a format the browser cannot show (TIFF, HEIC): the server's PNG of it
    img.src = `/api/uploads/${upload.id}/frame.png`;
    upload.source = img.src;
  }, { once: true });
  const link = document.createElement("a");  // a painted mask exists nowhere else: keep it for the command line
  link.className = `${kind}-file`;
  link.href = img.src;
  link.download = upload.name;
  link.title = `download ${upload.name}`;
  link.append(img);
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = wordFor(record, kind);  // which it is; the file's own name shows on hover
  name.title = upload.name;
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = `${kind}-remove`;
  remove.title = `remove the ${kind}`;
  remove.textContent = "×";
  remove.addEventListener("click", () => {
    discard(record[kind]);
    record[kind] = null;
    box.replaceWith(attachControl(record, kind));
    toolsChanged();
  });
  box.replaceChildren(link, name, ...paintButtons(record, kind), remove);
  box.classList.add(`has-${kind}`);
}

// Upload a file and make it the record's attachment of this kind (ATTACHMENTS); false (with the message shown) when
// the upload fails.
async function attach(record, file, kind) {
  let upload = null;
  try {
    upload = await api(`/api/uploads?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: { "content-type": file.type || "application/octet-stream" },
    });
  } catch (error) {
    showError(error.message);
    return false;
  }
  if (!page.styles.includes(record) && page.content !== record && page.output !== record) {  // the image went
    discard(upload);
    return true;
  }
  const misfit = attachmentMisfit(record, kind, upload);
  if (misfit) {  // said at Start, as 'style mask 1 is 128x128 px', before
    discard(upload);
    showError(misfit);
    return false;
  }
  discard(record[kind]);
  record[kind] = upload;
  if (kind === "labels") record.painted = null;  // the painter starts from this map now
  showAttached(record, kind, URL.createObjectURL(file));
  toolsChanged();
  return true;
}

// Why an attachment does not fit its image, as the server would say at Start, or "": a mask has the content's shape,
// a region its style image's, a label map its own image's (within 2 %, as the server allows).
function attachmentMisfit(record, kind, upload) {
  const texture = $("#method").value === "texture";
  const image = kind === "mask" ? (texture ? null : page.content) : record;
  if (!image || image === page.output || !upload.width || !image.width) return "";  // the doodle sets the output's
  const ratio = (upload.width * image.height) / (upload.height * image.width);
  if (Math.abs(ratio - 1) <= 0.02) return "";
  const what = { mask: "a mask", region: "a region", labels: "a label map" }[kind];
  return `${upload.name} is ${upload.width}×${upload.height} and ${image.name} ${image.width}×${image.height}: `
    + `${what} needs the shape of ${kind === "mask" ? "the content" : "its image"} (it is scaled to its size); `
    + `choose one of that shape.`;
}

function uploadAttachment(file) {
  clearError();
  const chosen = page.attachFor;
  page.attachFor = null;
  if (chosen) attach(chosen.record, file, chosen.kind);
}

async function addFiles(files, role) {
  clearError();
  const list = Array.from(files);
  const left = role === "content" ? list.splice(1) : [];  // one content: the rest were dropped without a word
  for (const file of list) await upload(file, role);
  if (left.length) {
    showError(`One content picture at a time: ${list[0].name} is the content, and ${left.map((f) => f.name).join(", ")} `
      + `${left.length === 1 ? "was" : "were"} not used (drop ${left.length === 1 ? "it" : "them"} on the style `
      + `images to use ${left.length === 1 ? "it as a style" : "them as styles"}).`);
  }
}

function dropZone(zone, input, role) {
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") input.click(); });
  input.addEventListener("change", () => { addFiles(input.files, role); input.value = ""; });
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer && !received(event.dataTransfer, role)) {
      showError("That was neither a file nor a picture from a web page: drop a picture file, or a picture from "
        + "another tab.");
    }
  });
}

// What a drop or a paste brings: files, or (a picture dragged from another tab, an address copied) its web address,
// which the server fetches, since the page may not read another site's pictures.
function received(data, role) {
  if (data.files.length) { addFiles(data.files, role); return true; }
  const image = /<img[^>]*\ssrc="([^"]+)"/i.exec(data.getData("text/html"));  // the picture, not the link around it
  const address = webAddress(image && image[1].replaceAll("&amp;", "&")) || webAddress(data.getData("text/uri-list"))
    || webAddress(data.getData("text/plain"));
  if (address) { useAddress(address, role); return true; }
  return false;
}

function webAddress(text) {
  const line = (text || "").split(/\r?\n/).map((l) => l.trim()).find((l) => l && !l.startsWith("#"));
  return line && /^https?:\/\//i.test(line) ? line : null;
}

function useAddress(address, role) {
  return uploadFetched(`/api/remote?url=${encodeURIComponent(address)}`, role, (type) => addressName(address, type));
}

function addressName(address, type) {
  let name = "";
  try { name = decodeURIComponent(new URL(address).pathname.split("/").pop()); } catch { /* a name is only shown */ }
  if (/\.\w+$/.test(name)) return name;
  const extension = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif" }[type];
  return `${name || "picture"}.${extension || "png"}`;
}

// Ctrl-V of a picture (a screenshot, "Copy Image") or of its address: into the drop zone that has the focus, else the
// content while there is none (not for a texture), else the styles. Pasting into a setting's field is left alone.
function pasted(event) {
  const target = event.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target.isContentEditable) return;
  const zone = target.closest && target.closest(".drop");
  const texture = $("#method").value === "texture";
  const role = zone ? (zone.id === "content-drop" ? "content" : "style")
    : (!texture && !page.content ? "content" : "style");
  if (event.clipboardData && received(event.clipboardData, role)) event.preventDefault();
}

// No pictures at hand: the sample pictures (sample:NAME on the command line), each uploaded with one click as if it
// had been dropped: photos for the content, style images and textures for the styles (a texture's examples).
const SAMPLE_KINDS = { content: ["photo"], style: ["style", "texture"] };

async function showSamples() {
  let listed = [];
  try { listed = await api("/api/samples"); } catch { return; }
  for (const [role, kinds] of Object.entries(SAMPLE_KINDS)) {
    const names = listed.filter((s) => kinds.includes(s.kind)).map((s) => s.name);
    if (!names.length) continue;
    const links = names.map((name) => {
      const link = Object.assign(document.createElement("button"), { type: "button", textContent: name });
      link.dataset.sample = name;
      link.addEventListener("click", () => useSample(name, role));
      return link;
    });
    const line = $(`#${role}-samples`);
    line.replaceChildren("or a sample: ", ...links.flatMap((link, i) => (i ? [" · ", link] : [link])));
    line.hidden = false;
  }
}

function useSample(name, role) {
  return uploadFetched(`/api/samples/${encodeURIComponent(name)}`, role,
    (type) => `${name}.${type === "image/jpeg" ? "jpg" : "png"}`, `sample ${name}: `, name);
}

// A picture the server hands over (a sample, or one it fetched from the web), uploaded as if it had been dropped;
// ``nameOf(type)`` names it, ``what`` heads an error; ``sample``: the sample it is.
async function uploadFetched(path, role, nameOf, what = "", sample = null) {
  clearError();
  let blob;
  try {
    const response = await fetch(path);
    if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
    blob = await response.blob();
  } catch (error) {
    showError(`${what}${error.message}`);
    return;
  }
  await upload(new File([blob], nameOf(blob.type), { type: blob.type }), role, sample);
}

// ---------------------------------------------------------------------------------------- jobs

// A field the method uses whose value the browser finds out of range, in words; null when all are fine. The form is
// novalidate: the browser's own check showed a bubble only on a visible field, and a bad value in a field of another
// method (hidden) stopped Start with nothing on the screen. A hidden field is not sent, so it is not checked.
function invalidSetting(method) {
  // Every mark cleared first: one set on a field fixed since stayed while an earlier field was still wrong.
  for (const marked of $("#settings").querySelectorAll("[aria-invalid]")) marked.removeAttribute("aria-invalid");
  for (const name of sentFields(method)) {
    const input = $(`#${name}`);
    const v = input.validity;
    if (input.checkValidity() || (onlyStepMismatch(v) && input.step !== "1")) continue;  // alpha 0.33 is fine
    const problem = v.badInput ? "is not a number"
      : v.rangeUnderflow ? `must be at least ${input.min}`
      : v.rangeOverflow ? `must be at most ${input.max}`
      : v.stepMismatch && input.step === "1" ? "must be a whole number"
      : v.patternMismatch ? `should be ${input.title}` : input.validationMessage;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    const shown = input.value.trim() ? ` (it is ${input.value.trim()})` : "";
    return `${fieldName(input)} ${problem}${shown}.`;
  }
  return null;
}

function onlyStepMismatch(v) {
  return v.stepMismatch && !v.badInput && !v.rangeUnderflow && !v.rangeOverflow && !v.patternMismatch;
}

// The words of a field's label, without its hint.
function fieldName(input) {
  const label = input.closest("label").cloneNode(true);
  for (const extra of label.querySelectorAll("input, select, small")) extra.remove();
  return label.textContent.replace(/\s+/g, " ").trim();
}

// A comma typed in a number field is a decimal point: Chromium took "2,5" as 25 (a thousands separator), and the
// job ran ten times the weight meant, unsaid.
function decimalPoint(event) {
  if (event.key !== "," || event.target.type !== "number") return;
  event.preventDefault();
  document.execCommand("insertText", false, ".");
}

async function start(event) {
  event.preventDefault();
  clearError();
  const body = settings();
  if (body.method !== "texture" && !page.content) { notStarted("Add a content image first."); return; }
  if (!body.styles.length) {
    notStarted(body.method === "texture" ? "Add at least one example texture." : "Add at least one style image.");
    return;
  }
  const invalid = invalidSetting(body.method);
  if (invalid) { notStarted(invalid); return; }
  $("#start").disabled = true;
  try {
    const job = await api("/api/jobs", {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    watch(job);
  } catch (error) {
    notStarted(error.message);
  }
}

// A job refused, by the page's checks or the server's: the message under the settings, and the result panel saying
// so (it went on saying "Done after 5 iterations" of the last job, or "Ready", while the message sat far below).
function notStarted(message) {
  showError(message);
  $("#start").disabled = false;
  $("#job-status").textContent = "Not started: see the message under the settings."
    + (page.job ? " Below, the last job." : "");
}

async function stop() {
  if (!page.job) return;
  $("#stop").disabled = true;
  try { await api(page.job.urls.stop, { method: "POST" }); } catch (error) { showError(error.message); }
}

// ``owned``: started by this tab (or watched by it before a reload); another's is said to be so, and Start stays free
// (a tab opened while another's job ran showed that job as its own, Start disabled).
function watch(job, owned = true) {
  if (page.source) page.source.close();
  page.job = job;
  page.jobOwned = owned;
  $("#job-owner").hidden = owned;
  if (owned) {
    try { sessionStorage.setItem(WATCHED, job.id); } catch { /* storage off: a reload watches the live job */ }
  }
  pollStatus();  // the header said "ready" for up to its 3 s poll while the job ran
  page.points = [];
  page.curveFrame = null;
  page.previews = 0;
  const img = $("#preview");
  img.hidden = true;
  img.removeAttribute("src");
  img.dataset.updates = "0";
  $("#preview-caption").textContent = "The picture appears here while it forms.";
  $("#stats").textContent = "";
  page.statsDone = "";
  $("#progress").value = 0;
  $("#download-result").textContent = `Download ${resultNoun(job)}`;
  $("#explain-result").hidden = !job.urls.explain;  // a video's: of its last frame
  $("#compare-result").hidden = true;  // shown once it is done, if earlier results were made from the same pictures
  $("#measured").hidden = true;
  for (const id of ["#download-result", "#download-params", "#download-inputs", "#explain-result"]) {
    const link = $(id);
    link.classList.add("disabled");
    link.setAttribute("aria-disabled", "true");
    link.removeAttribute("href");
  }
  drawCurve();
  showRecent();  // the job watched before joins the earlier results
  onState({ state: job.state, ahead: job.ahead, message: job.message, iteration: 0, total: 0, has_result: false,
    explainable: false });
  const source = new EventSource(job.urls.events);
  page.source = source;
  source.addEventListener("state", (e) => onState(JSON.parse(e.data)));
  source.addEventListener("progress", (e) => onProgress(JSON.parse(e.data)));
  source.addEventListener("preview", (e) => onPreview(JSON.parse(e.data)));
  source.addEventListener("open", () => {  // back after a break: the status said so until the next progress
    if (page.source === source && page.unanswered) onState(page.unanswered);
    page.unanswered = null;
  });
  source.addEventListener("error", () => {
    if (page.source !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      connectionLost(page.job);
    } else if (page.lastState && !TERMINAL.includes(page.lastState.state)) {  // the browser tries again by itself
      page.unanswered = page.lastState;  // "Running: iteration 40 of 300." stood while the server was down
      $("#job-status").textContent = "The server does not answer; trying again every 2 s. If it was stopped, the "
        + "job stopped with it: start the server again (stylegram serve), then press Start.";
    }
  });
}

// The events were refused: a server restarted since forgot the job (it said "reload the page", which then said so).
async function connectionLost(job) {
  let gone = false;
  try { gone = (await fetch(`/api/jobs/${job.id}`)).status === 404; } catch { gone = false; }
  if (page.job !== job) return;
  if (!gone) {
    $("#job-status").textContent = "Lost the connection to the server; reload the page.";
    return;
  }
  try { sessionStorage.removeItem(WATCHED); } catch { /* storage off */ }
  page.unanswered = null;
  document.body.dataset.jobState = "gone";
  showButtons(false);
  $("#job-status").textContent = JOB_GONE;
}

// Stop while the job runs (another tab's too: it may be this page's own, from before it was closed); Start unless
// this page's own job runs (a second Start queued a job the page could no longer stop).
function showButtons(running) {
  $("#stop").disabled = !running;
  $("#start").disabled = running && page.jobOwned;
}

function onState(s) {
  page.lastState = s;
  const status = $("#job-status");
  const step = page.job.kind === "video" ? "frame" : "iteration";
  const running = s.state === "queued" || s.state === "running";
  showButtons(running);
  document.body.dataset.jobState = s.state;
  showLabelsRead(s.labels_read);
  showWarnings(s.warnings);
  if (s.state === "queued") {
    status.textContent = s.ahead > 0
      ? `Waiting in the queue: ${plural(s.ahead, "job")} ahead of this one.`
      : "Starting…";
  } else if (s.state === "running") {
    status.textContent = s.total ? `Running: ${plural(s.total, step)} planned.` : "Running…";
  } else if (s.state === "done") {
    status.textContent = (s.total ? `Done after ${plural(s.iteration, step)}.` : "Done.")
      + (s.message ? ` ${s.message.charAt(0).toUpperCase()}${s.message.slice(1)}.` : "");  // e.g. the start auto chose
  } else if (s.state === "stopped") {
    status.textContent = `${s.message.charAt(0).toUpperCase()}${s.message.slice(1)}`
      + (s.has_result ? "; the image so far can be downloaded." : ".");
  } else if (s.state === "cancelled") {
    status.textContent = `Cancelled (${s.message}).`;
  } else if (s.state === "failed") {
    status.textContent = "Failed.";
    showError(s.message);
  }
  if (TERMINAL.includes(s.state)) {
    if (page.source) page.source.close();
    // Not "so far" once ended, and the job's whole time, which its card under Earlier results shows too (the
    // optimization's own time, 5.7 s, stood here beside the card's 6.3 s).
    const took = s.seconds === undefined ? "" : ` ${seconds(s.seconds)}`;
    if (page.statsDone) $("#stats").textContent = page.statsDone.replace(took ? /[^·]* so far$/ : / so far$/, `${took} in all`);
    pollStatus();
    showRecent();
    $("#progress").value = s.state === "done" ? 1 : $("#progress").value;
    if (s.explainable && page.job.urls.measured) showMeasured(page.job);
    if (s.has_result || s.explainable) {  // a stopped video: no video to download, but its frames can be explained
      const links = { "#download-result": s.has_result && page.job.urls.result,
        "#download-params": page.job.urls.params, "#download-inputs": page.job.urls.inputs,
        "#explain-result": s.explainable && page.job.urls.explain };
      for (const [id, url] of Object.entries(links)) {
        if (!url) continue;
        const link = $(id);
        link.href = url;
        if (id !== "#explain-result") link.setAttribute("download", "");  // the explanation opens in a new tab
        link.classList.remove("disabled");
        link.removeAttribute("aria-disabled");
      }
    }
  }
}

// What the label maps were read as (the CLI's "--labels:" line): a swatch per label, its share of the content (or
// texture's output) and of each picture that paints it. A colour the painter did not mean is a stray edge or JPEG.
// What the library warned of as the job ran (a style image enlarged many times, ...): it went on, but may not give
// what was meant.
function showWarnings(warnings) {
  const box = $("#job-warnings");
  box.hidden = !warnings || !warnings.length;
  box.textContent = box.hidden ? "" : warnings.map((w) => `Warning: ${w.charAt(0).toUpperCase()}${w.slice(1)}.`).join(" ");
}

function showLabelsRead(parts) {
  const box = $("#labels-read");
  box.replaceChildren();
  box.hidden = !parts;
  if (!parts) return;
  const texture = page.job.method === "texture";
  const names = page.job.inputs.styles;
  box.append(`Label maps read as ${plural(parts.length, "label")}:`);
  for (const part of parts) {
    const item = document.createElement("span");
    item.className = "label-part";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = part.colour;
    swatch.title = part.name;
    const sources = part.sources.map((s) => `${percent(s.share)} of ${names[s.image - 1]}`).join(", ");
    item.append(swatch, `${part.name}: ${percent(part.share)} of the ${texture ? "output" : "content"}, from ${sources}`);
    box.append(item);
  }
}

function onFrame(p) {
  // A video's progress: frames written (p.frame of p.total) and, while a Gatys frame is optimized, its iteration
  // (p.step, a picture's progress record): the loss curve is that frame's.
  const making = p.frame + 1;
  const within = p.step ? p.step.iteration / p.step.total : 0;
  $("#progress").value = p.total ? Math.min(1, (p.frame + within) / p.total) : 0;
  if (!p.step) {
    $("#job-status").textContent = `Running: frame ${p.frame} of ${p.total}.`;
    showStats(`${seconds(p.elapsed)} so far`, p.estimated_left === null  // the first frame's time holds the start
      ? "the time left is known after the next frame" : `about ${seconds(p.estimated_left)} left`);
    return;
  }
  // a later frame starts from the one before, moved along the motion, and runs half the finest scale's iterations:
  // 'of 40', then 'of 20', read as a count changed without a word
  const later = making > 1 ? " (a later frame starts from the one before, so it runs fewer)" : "";
  $("#job-status").textContent = `Running: frame ${making} of ${p.total}, iteration ${p.step.iteration} of `
    + `${p.step.total}${later}.`;
  const left = p.estimated_left === null
    ? `about ${seconds(p.step.estimated_left)} left in this frame`
    : `about ${seconds(p.estimated_left)} left`;
  showStats(`frame ${making}: ${stageText(p.step)} · ${seconds(p.elapsed)} so far`, left);
  if (page.curveFrame !== making) {
    page.curveFrame = making;
    page.points = [];
  }
  page.points.push(p.step);
  redrawCurve();
}

function onTile(p) {
  // A run in tiles, after its whole picture: a tile of a level done (p.tile of p.tiles), p.done of p.count in all.
  $("#progress").value = p.count ? p.done / p.count : 0;
  $("#job-status").textContent = `Running: level ${p.level} of ${p.levels} (${p.size[0]}×${p.size[1]}), tile `
    + `${p.tile} of ${p.tiles}.`;
  showStats(`${p.done} of ${plural(p.count, "tile")} · ${seconds(p.elapsed)} so far`,
    `about ${seconds(p.estimated_left)} left`);
}

// The progress line: where the job stands and, while it runs, the time left (dropped once it ends: "about 15 s
// left" stayed under "Stopped after 26 iterations").
function showStats(done, left) {
  page.statsDone = done;
  $("#stats").textContent = `${done} · ${left}`;
}

function onProgress(p) {
  if (p.frame !== undefined) { onFrame(p); return; }
  if (p.tile !== undefined) { onTile(p); return; }
  page.points.push(p);
  $("#progress").value = p.total ? p.iteration / p.total : 0;
  $("#job-status").textContent = `Running: iteration ${p.iteration} of ${p.total}.`;
  showStats(`${stageText(p)} · ${seconds(p.elapsed)} so far`, `about ${seconds(p.estimated_left)} left`);
  redrawCurve();
}

function stageText(p) {
  // An optimization's stage, size and loss, from its progress record.
  return `${p.stage} (${p.size[0]}×${p.size[1]}) · loss ${number(p.loss)}`;
}

function redrawCurve() {
  // At most once per animation frame, however many records arrive.
  if (!page.drawing) {
    page.drawing = true;
    requestAnimationFrame(() => { page.drawing = false; drawCurve(); });
  }
}

function onPreview(p) {
  const img = $("#preview");
  img.src = p.image;
  img.hidden = false;
  page.previews += 1;
  img.dataset.updates = String(page.previews);
  const step = page.job && page.job.kind === "video" ? "frame" : "iteration";
  const what = p.caption || (p.iteration ? `${step} ${p.iteration}${p.forming ? " as it forms" : ""}` : "");
  $("#preview-caption").textContent = what ? `${what} · ${p.width}×${p.height} px` : `${p.width}×${p.height} px`;
}

// ---------------------------------------------------------------------------------- loss curve

function element(name, attributes = {}, text = null) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

function series(points) {
  // The total and one line per kind of term (content, style, texture, tv), each summed over its layers.
  const lines = { total: [] };
  for (const p of points) {
    lines.total.push([p.iteration, p.loss]);
    const groups = {};
    for (const [name, value] of Object.entries(p.losses)) {
      const group = name.split(".")[0];
      groups[group] = (groups[group] || 0) + value;
    }
    for (const [group, value] of Object.entries(groups)) (lines[group] ||= []).push([p.iteration, value]);
  }
  return lines;
}

function niceStep(range, count) {
  const raw = range / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || power * 10;
}

function emptyCurve() {
  // What the empty loss curve says: why there is none, or that it is coming (for the job, or before one the form).
  const method = page.job ? page.job.method : $("#method").value;
  const video = page.job ? page.job.kind === "video" : isVideo(page.content) && method !== "texture";
  if (video) {
    return method === "gatys"
      ? "each frame is a run of its own: the loss curve of the frame being made appears here"
      : "one pass per frame: no loss curve";
  }
  if (page.job && !page.job.total && ["adain", "wct"].includes(method)) return "one pass: no loss curve";
  return "the loss curve appears here while the job runs";
}

// The curve's drawing is as wide as it shows (in CSS px, 300 to 560), so that its labels keep their size on a
// narrow screen: a fixed 560 wide drawing, scaled to a phone's 330 px, had 6 px labels.
const CURVE_WIDTHS = [300, 560];

function drawCurve() {
  const svg = $("#loss-curve");
  const W = Math.round(Math.min(CURVE_WIDTHS[1], Math.max(CURVE_WIDTHS[0], svg.clientWidth || CURVE_WIDTHS[1])));
  const H = 250;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const box = { left: 58, right: W - 100, top: 26, bottom: H - 34 };
  const title = page.curveFrame ? `Loss of frame ${page.curveFrame} (log scale)` : "Loss (log scale)";
  svg.replaceChildren(element("text", { x: box.left, y: 16, class: "title" }, title));
  const points = page.points;
  if (!points.length) {
    svg.append(element("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" },
      emptyCurve()));
    return;
  }
  const lines = series(points);
  const values = Object.values(lines).flat().map(([, v]) => v).filter((v) => v > 0);
  let high = Math.ceil(Math.log10(Math.max(...values)));
  // a term that starts at 0 (a video frame's hold on its start) would stretch the scale down to 1e-13: clipped
  let low = Math.max(Math.floor(Math.log10(Math.min(...values))), high - DECADES);
  if (high <= low) high = low + 1;
  const last = Math.max(points[points.length - 1].total || 0, points[points.length - 1].iteration, 2);
  const x = (i) => box.left + ((i - 1) / (last - 1)) * (box.right - box.left);
  const y = (v) => Math.min(box.bottom, box.bottom - ((Math.log10(v) - low) / (high - low)) * (box.bottom - box.top));

  const decade = Math.max(1, Math.ceil((high - low) / 6));
  for (let e = low; e <= high; e += decade) {
    svg.append(element("line", { x1: box.left, x2: box.right, y1: y(10 ** e), y2: y(10 ** e), class: "grid" }));
    svg.append(element("text", { x: box.left - 6, y: y(10 ** e) + 4, "text-anchor": "end" }, `1e${e}`));
  }
  const step = niceStep(last - 1 || 1, 5);
  for (let i = step; i <= last; i += step) {
    svg.append(element("line", { x1: x(i), x2: x(i), y1: box.bottom, y2: box.bottom + 4, class: "axis" }));
    svg.append(element("text", { x: x(i), y: box.bottom + 16, "text-anchor": "middle" }, String(i)));
  }
  const stageLabels = [];  // drawn last, over the curves, with a halo: on a phone "pixel polish" sat under them
  for (let k = 1; k < points.length; k++) {
    if (points[k].scale !== points[k - 1].scale) {
      const at = x(points[k].iteration - 0.5);
      svg.append(element("line", { x1: at, x2: at, y1: box.top, y2: box.bottom, class: "scale-mark" }));
      // what begins there, beside the line, which stood unexplained: "scale 2", "pixel polish"
      const stage = points[k].stage || "";
      const begins = stage.includes("polish") ? "pixel polish" : stage.replace(/ of \d+.*$/, "");
      if (begins) {
        const left = at > box.right - 80;  // near the right edge: on the line's left, inside the plot
        stageLabels.push(element("text", { x: left ? at - 3 : at + 3, y: box.top + 10,
          "text-anchor": left ? "end" : "start", class: "scale-label" }, begins));
      }
    }
  }
  svg.append(element("line", { x1: box.left, x2: box.left, y1: box.top, y2: box.bottom, class: "axis" }));
  svg.append(element("line", { x1: box.left, x2: box.right, y1: box.bottom, y2: box.bottom, class: "axis" }));
  svg.append(element("text", { x: (box.left + box.right) / 2, y: H - 4, "text-anchor": "middle" }, "iteration"));

  let row = 0;
  for (const [name, line] of Object.entries(lines)) {
    const shown = line.filter(([, v]) => v > 0);
    if (!shown.length) continue;
    const colour = COLOURS[name] || "#9467bd";
    const path = shown.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    svg.append(element(shown.length > 1 ? "polyline" : "circle", shown.length > 1
      ? { points: path, class: "series", stroke: colour }
      : { cx: x(shown[0][0]), cy: y(shown[0][1]), r: 3, fill: colour }));
    const ly = box.top + 6 + row * 18;
    svg.append(element("line", { x1: box.right + 12, x2: box.right + 32, y1: ly, y2: ly, stroke: colour, "stroke-width": 3 }));
    svg.append(element("text", { x: box.right + 38, y: ly + 4 }, TERM_NAMES[name] || name));
    row += 1;
  }
  svg.append(...stageLabels);
}

// The picture's headline numbers (stylegram.analysis.explain), under it once it is done: how far its Gram matrices
// went towards the style's, per layer, and how closely it keeps the content's maps.
async function showMeasured(job) {
  let n;
  try { n = await api(job.urls.measured); } catch { return; }
  if (!page.job || page.job.id !== job.id) return;  // another job is shown by now
  const pct = (x) => `${Math.round(100 * x)}%`;
  const each = Object.keys(n.parts).length ? n.parts : n.layers;  // placed styles: per part, over its layers
  const layers = Object.entries(each).map(([name, moved]) => `${name} ${pct(moved)}`).join(", ");
  // "the blend of the styles' Gram matrices" with two (measures kept by an older version have no goal)
  const goal = n.goal || `${n.texture ? "the example's" : "the style's"} Gram matrices`;
  const on = n.frame ? ` on frame ${n.frame}` : "";  // a video: its last frame, against the video's
  let text = `Measured${on}: ${pct(n.moved)} of the way to ${goal} (${layers})`;
  if (n.moved < 0) {  // "-167% of the way" said it in a riddle
    text = `Measured${on}: further from ${goal} than the ${n.texture ? "noise" : "content"} it started `
      + `from (${pct(n.moved)} of the way: ${layers}); the run stopped before it settled, or went astray: more `
      + "iterations may help";
  }
  if (!n.texture) {
    text += `; content kept: r ${n.kept.toFixed(2)} (the style's own maps: ${Math.abs(n.chance).toFixed(2)})`;
  }
  const box = $("#measured");
  box.textContent = `${text}.`;
  box.hidden = false;
}

// ------------------------------------------------------------------------------- server status

// The server's other finished jobs with a result, newest first: a thumbnail and links to the result, parameters and,
// where there is one, the explanation page.
async function showRecent() {
  const call = (page.recentCalls = (page.recentCalls || 0) + 1);
  let jobs = [];
  try { jobs = await api("/api/jobs"); } catch { return; }
  if (call !== page.recentCalls) return;  // a later call's answer is newer: an earlier one arriving last is stale
  const earlier = jobs.filter((j) => j.has_result && j.finished && !(page.job && j.id === page.job.id))
    .sort((a, b) => b.finished - a.finished);
  const shown = page.job && jobs.find((j) => j.id === page.job.id);
  const compare = $("#compare-result");  // the server offers it once others were made from the same pictures
  compare.hidden = !(shown && shown.urls.compare);
  if (!compare.hidden) compare.href = shown.urls.compare;
  const list = $("#recent-list");
  list.replaceChildren(...earlier.map(recentItem));
  $("#recent").hidden = earlier.length === 0;
}

function recentItem(job) {
  const item = document.createElement("div");
  item.className = "recent-item";
  const result = Object.assign(document.createElement("a"), { href: job.urls.result, className: "recent-result" });
  result.setAttribute("download", "");
  result.append(Object.assign(document.createElement("img"), { src: job.urls.preview, alt: `result of ${job.method}` }));
  const made = job.inputs.content ? `${job.inputs.content} + ${job.inputs.styles.join(", ")}` : job.inputs.styles.join(", ");
  const took = job.started && job.finished ? ` · ${seconds(job.finished - job.started)}` : "";
  const ended = { stopped: " (stopped)", failed: " (failed: its last good picture)" }[job.state] || "";
  const what = `${job.method} · ${made}${ended}`;
  const how = `${job.settings || "default settings"}${took}`;  // what tells alike results apart
  const caption = Object.assign(document.createElement("div"), { className: "name", textContent: what,
    title: `${what}\n${how}` });
  const details = Object.assign(document.createElement("div"), { className: "name settings", textContent: how,
    title: how });
  const params = Object.assign(document.createElement("a"), { href: job.urls.params, textContent: "parameters" });
  params.setAttribute("download", "");
  const download = Object.assign(document.createElement("a"), { href: job.urls.result,
    textContent: resultNoun(job) });
  download.setAttribute("download", "");
  const inputs = Object.assign(document.createElement("a"), { href: job.urls.inputs, textContent: "inputs",
    title: "the files it read, with its parameters file, to make it again with its command" });
  inputs.setAttribute("download", "");
  item.append(result, caption, details, download, params, inputs);
  if (job.urls.explain) {  // why it looks as it does, in a new tab as the result's button opens it
    item.append(Object.assign(document.createElement("a"), { href: job.urls.explain, textContent: "why",
      target: "_blank", rel: "noopener",
      title: job.kind === "video" ? "why its last frame looks as it does" : "why this picture looks as it does" }));
  }
  return item;
}

async function pollStatus() {
  try {
    const status = await api("/api/status");
    const waiting = status.queue.length;
    $("#server-status").textContent = status.running
      ? `busy: 1 job running${waiting ? `, ${waiting} waiting` : ""}`
      : "ready";
  } catch {
    $("#server-status").textContent = "the server does not answer";
  }
}

async function init() {
  page.config = await api("/api/config");
  const limits = page.config.limits;
  const formats = `PNG, JPEG, TIFF, WebP, BMP, GIF${page.config.reads_heic ? ", AVIF or HEIC" : " or AVIF"}`;
  const video = Object.assign(document.createElement("span"), { className: "video-hint",  // not for a texture
    textContent: " (the content may be a video: MP4, MOV, WebM, ..., or an animated GIF, WebP or PNG)" });
  $("#limits").replaceChildren(formats, video, `; up to ${mb(limits.upload_bytes)} and `
    + `${(limits.max_pixels / 1e6).toFixed(0)} megapixels per file. Output up to ${limits.max_size} px.`);
  $("#size").max = limits.max_size;
  dropZone($("#content-drop"), $("#content-input"), "content");
  $("#doodle-box").append(attachControl(page.output, "labels"));
  dropZone($("#style-drop"), $("#style-input"), "style");
  document.addEventListener("paste", pasted);
  $("#mask-input").addEventListener("change", () => {
    const input = $("#mask-input");
    if (input.files.length) uploadAttachment(input.files[0]);
    input.value = "";
  });
  $("#method").addEventListener("change", methodChanged);
  initPainter();
  initDoodle();
  $("#settings").addEventListener("keydown", decimalPoint);
  $("#settings").addEventListener("submit", start);
  $("#settings").addEventListener("input", clearError);  // a setting changed: the error about it may be gone
  $("#settings").addEventListener("input", remember);
  $("#settings").addEventListener("change", remember);  // a select or checkbox, in browsers that fire no input
  $("#stop").addEventListener("click", stop);
  methodChanged();
  drawCurve();
  await showSamples();
  await restore();
  pollStatus();
  await watchLive();
  showRecent();
  setInterval(pollStatus, 3000);
  window.addEventListener("resize", redrawCurve);  // its drawing follows its width (drawCurve)
  document.body.dataset.ready = "true";
}

async function watchLive() {
  // A reloaded tab watches its own job again (running, waiting or done), not another tab's; a tab opened anew the job
  // still running (else the newest waiting). Its events come from the start, so progress, loss curve and Stop are back.
  let jobs = [];
  try { jobs = await api("/api/jobs"); } catch { return; }
  let own = null;
  try { own = sessionStorage.getItem(WATCHED); } catch { own = null; }
  const mine = own && jobs.find((j) => j.id === own);
  if (mine) { watch(mine); return; }
  if (own) {  // after a restart the page said "Ready: press Start." as if nothing had been running
    try { sessionStorage.removeItem(WATCHED); } catch { /* storage off */ }
    $("#job-status").textContent = JOB_GONE;
  }
  const live = jobs.filter((j) => j.state === "running" || j.state === "queued")
    .sort((a, b) => (a.state === "running") - (b.state === "running") || a.created - b.created);
  if (live.length && !page.job) watch(live[live.length - 1], false);
}

init().catch((error) => showError(`The page could not start: ${error.message}`));
