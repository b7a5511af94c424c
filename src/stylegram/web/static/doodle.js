// Paint a label map in the colours of the style images' (examples') label maps: for texture a doodle of the output
// (neural doodle), for a transfer the content's map, painted over the content. The palette is read from the maps
// here by the server's rule (stylegram.labels): the colours covering at least 1 % of a map, less near variants
// (under 40 apart) of commoner ones. "Use this label map" uploads it as the output's (content's) label map
// (app.js: attach). Uses app.js's and painter.js's globals.
"use strict";

const LABEL_SHARE = 0.01;  // stylegram.labels.MIN_SHARE
const LABEL_MERGE = 40;  // stylegram.labels.MERGE

const doodle = {
  colours: [],   // the palette, most common first, as "#rrggbb"
  active: 0,     // index of the colour the brush paints
  labels: null,  // the label map being painted (a canvas)
  backdrop: null,  // the content as an <img> under a transfer's map; null for texture
  source: null,  // what the map was started for: "texture", or the content's blob: URL
};

function doodleTexture() { return $("#method").value === "texture"; }

function doodleOffered() {
  return (doodleTexture() || page.content !== null) && page.styles.some((s) => s.labels);
}

function updateDoodleButton() {
  $("#doodle-open").hidden = !doodleOffered();
  $("#doodle-open").textContent = doodleTexture() ? "Paint a doodle…" : "Paint the content's label map…";
  $("#doodle-size").hidden = !doodleTexture();  // a content's map has the content's shape
  if (!doodleOffered()) closeDoodle();
}

function closeDoodle() { $("#doodle-painter").hidden = true; }

async function mapColours(source) {
  // Colour -> share of one label map's pixels.
  const img = new Image();
  img.src = source;
  await img.decode();
  const canvas = document.createElement("canvas");
  [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = new Map();
  for (let k = 0; k < data.length; k += 4) {
    const key = data[k + 3] ? (data[k] << 16) | (data[k + 1] << 8) | data[k + 2] : 0;  // clear is black, as there
    counts.set(key, (counts.get(key) || 0) + 4 / data.length);
  }
  return counts;
}

async function labelPalette(sources) {
  const shares = new Map();
  for (const source of sources) {
    for (const [key, share] of await mapColours(source)) {
      if (share >= LABEL_SHARE) shares.set(key, Math.max(shares.get(key) || 0, share));
    }
  }
  const kept = [];
  for (const key of [...shares.keys()].sort((a, b) => shares.get(b) - shares.get(a))) {
    const rgb = [(key >> 16) & 255, (key >> 8) & 255, key & 255];
    if (kept.every((k) => Math.hypot(k[0] - rgb[0], k[1] - rgb[1], k[2] - rgb[2]) >= LABEL_MERGE)) kept.push(rgb);
  }
  return kept.map((rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`);  // as the server names them
}

function doodleSize() {
  // The output's size as asked (texture), or the content's, at most PAINT_SIDE on its long side (the server scales).
  if (doodle.backdrop) {
    const { naturalWidth: w, naturalHeight: h } = doodle.backdrop;
    const scale = Math.min(1, PAINT_SIDE / Math.max(w, h));
    return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
  }
  const side = (id, fallback) => Math.max(16, Math.min(2048, Math.round(Number($(id).value) || fallback)));
  return [side("#doodle-width", 384), side("#doodle-height", 256)];
}

function newCanvas() {
  doodle.labels = blankMask(doodleSize());
  const ctx = doodle.labels.getContext("2d");
  ctx.fillStyle = doodle.colours[0];
  ctx.fillRect(0, 0, doodle.labels.width, doodle.labels.height);
  const canvas = $("#doodle-canvas");
  [canvas.width, canvas.height] = [doodle.labels.width, doodle.labels.height];
  redrawDoodle();
}

function redrawDoodle() {
  const canvas = $("#doodle-canvas");
  const ctx = canvas.getContext("2d");
  ctx.globalAlpha = 1;
  if (doodle.backdrop) ctx.drawImage(doodle.backdrop, 0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = doodle.backdrop ? 0.6 : 1;  // the content shows through its map
  ctx.drawImage(doodle.labels, 0, 0);
  ctx.globalAlpha = 1;
}

async function openDoodle() {
  clearError();
  const source = doodleTexture() ? "texture" : page.contentSource;
  try {
    doodle.colours = await labelPalette(page.styles.filter((s) => s.labels).map((s) => s.labels.source));
    if (source !== doodle.source && source !== "texture") {
      doodle.backdrop = new Image();
      doodle.backdrop.src = source;
      await doodle.backdrop.decode();
    }
  } catch {
    showError("This browser cannot show the content or a label map (TIFF, for one, it does not), so the map cannot "
      + "be painted here; give it a label map file with + labels instead.");
    return;
  }
  if (source === "texture") doodle.backdrop = null;
  if (doodle.active >= doodle.colours.length) doodle.active = 0;
  const [width, height] = doodleSize();
  if (source !== doodle.source || !doodle.labels || doodle.labels.width !== width || doodle.labels.height !== height) {
    doodle.source = source;
    newCanvas();
  }
  colourChoices();
  $("#doodle-painter").hidden = false;
}

function colourChoices() {
  const choices = doodle.colours.map((colour, i) => [i, colour, colour]);
  choiceButtons($("#doodle-colours"), choices, doodle.active, (index) => { doodle.active = index; colourChoices(); });
}

function doodleStroke(from, to, pixels) {
  const ctx = doodle.labels.getContext("2d");
  ctx.strokeStyle = doodle.colours[doodle.active];
  ctx.lineWidth = Number($("#doodle-brush").value) * pixels;  // the brush's size is in screen px
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0] + 0.01, to[1]);  // a zero-length line draws no round cap
  ctx.stroke();
  redrawDoodle();
}

async function useDoodle() {
  clearError();
  $("#doodle-use").disabled = true;
  try {
    const texture = doodle.source === "texture";
    const [target, name] = texture ? [page.output, "doodle.png"] : [page.content, "content-labels.png"];
    const blob = await new Promise((resolve) => doodle.labels.toBlob(resolve, "image/png"));
    if (target && await attach(target, new File([blob], name, { type: "image/png" }), "labels")) closeDoodle();
  } finally {
    $("#doodle-use").disabled = false;
  }
}

function initDoodle() {
  strokesOn($("#doodle-canvas"), doodleStroke);
  $("#doodle-open").addEventListener("click", () => openDoodle().catch((error) => showError(error.message)));
  $("#doodle-new").addEventListener("click", newCanvas);
  $("#doodle-close").addEventListener("click", closeDoodle);
  $("#doodle-use").addEventListener("click", useDoodle);
}
