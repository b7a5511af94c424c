// Paint a doodle for texture synthesis (neural doodle): a label map of the output in the colours of the examples'
// label maps. The palette is read from those maps here by the server's rule (stylegram.labels): the colours covering
// at least 1 % of a map, less near variants (under 40 apart) of commoner ones. "Use this doodle" uploads the canvas
// as doodle.png, the output's label map (app.js: attach). Uses app.js's and painter.js's globals.
"use strict";

const LABEL_SHARE = 0.01;  // stylegram.labels.MIN_SHARE
const LABEL_MERGE = 40;  // stylegram.labels.MERGE

const doodle = {
  colours: [],   // the palette, most common first, as "#rrggbb"
  active: 0,     // index of the colour the brush paints
  fresh: true,   // no stroke yet on the canvas of this size
};

function doodleOffered() {
  return $("#method").value === "texture" && page.styles.some((s) => s.labels);
}

function updateDoodleButton() {
  $("#doodle-open").hidden = !doodleOffered();
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
  const side = (id, fallback) => Math.max(16, Math.min(2048, Math.round(Number($(id).value) || fallback)));
  return [side("#doodle-width", 384), side("#doodle-height", 256)];
}

function newCanvas() {
  const canvas = $("#doodle-canvas");
  [canvas.width, canvas.height] = doodleSize();
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = doodle.colours[0];
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  doodle.fresh = true;
}

async function openDoodle() {
  clearError();
  const sources = page.styles.filter((s) => s.labels).map((s) => s.labels.source);
  try {
    doodle.colours = await labelPalette(sources);
  } catch {
    showError("This browser cannot show one of the examples' label maps, so its colours cannot be read; give the "
      + "output a doodle file with + doodle instead.");
    return;
  }
  if (doodle.active >= doodle.colours.length) doodle.active = 0;
  const [width, height] = doodleSize();
  const canvas = $("#doodle-canvas");
  if (doodle.fresh || canvas.width !== width || canvas.height !== height) newCanvas();
  colourChoices();
  $("#doodle-painter").hidden = false;
}

function colourChoices() {
  const choices = doodle.colours.map((colour, i) => [i, colour, colour]);
  choiceButtons($("#doodle-colours"), choices, doodle.active, (index) => { doodle.active = index; colourChoices(); });
}

function doodleStroke(from, to, pixels) {
  const ctx = $("#doodle-canvas").getContext("2d");
  ctx.strokeStyle = doodle.colours[doodle.active];
  ctx.lineWidth = Number($("#doodle-brush").value) * pixels;  // the brush's size is in screen px
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0] + 0.01, to[1]);  // a zero-length line draws no round cap
  ctx.stroke();
  doodle.fresh = false;
}

async function useDoodle() {
  clearError();
  $("#doodle-use").disabled = true;
  try {
    const blob = await new Promise((resolve) => $("#doodle-canvas").toBlob(resolve, "image/png"));
    if (await attach(page.output, new File([blob], "doodle.png", { type: "image/png" }), "labels")) closeDoodle();
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
