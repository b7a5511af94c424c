// Paint a label map: for texture a doodle of the output (neural doodle), for a transfer the content's map painted
// over the content, and for either a style image's (example's) map painted over it. A content's map or doodle is
// painted in the colours of the style images' label maps, read here by the server's rule (stylegram.labels): the
// colours covering at least 1 % of a map, less near variants (under 40 apart) of commoner ones. A style image's map
// (or a first map, before any style image has one) takes the colours of the maps there are and a few more.
// "Use this label map" uploads it as that image's label map (app.js: attach). Uses app.js's and painter.js's globals.
"use strict";

const LABEL_SHARE = 0.01;  // stylegram.labels.MIN_SHARE
const LABEL_MERGE = 40;  // stylegram.labels.MERGE
const MAX_LABELS = 16;  // stylegram.labels.MAX_LABELS
const LABEL_COLOURS = ["#87ceeb", "#228b22", "#8b4513", "#ffd700", "#dc143c", "#4b0082", "#ffffff", "#000000"];  // far apart

const doodle = {
  colours: [],   // the palette, most common first, as "#rrggbb"
  blank: null,   // what a new map of the target starts filled with (blankColour)
  active: 0,     // index of the colour the brush paints
  target: null,  // whose map is painted: page.output (texture's doodle), the content's record or a style's
  backdrop: null,  // the target's picture as an <img> under its map; null for the doodle
};

function doodleTexture() { return $("#method").value === "texture"; }

function doodleOffered() {
  return doodleTexture() ? page.styles.length > 0 : page.content !== null;
}

function updateDoodleButton() {
  $("#doodle-open").hidden = !doodleOffered();
  $("#doodle-open").textContent = doodleTexture() ? "Paint a doodle…" : "Paint the content's label map…";
  if (doodle.target && !stillPainted(doodle.target)) closeDoodle();
}

function stillPainted(target) {
  // Whether the map being painted still belongs to the page: its image is there, and the method has such maps.
  if (target === page.output) return doodleTexture();
  return page.styles.includes(target) || (target === page.content && !doodleTexture());
}

function closeDoodle() { $("#doodle-painter").hidden = true; }

const counted = new Map();  // a label map's source -> (a promise of) its colours' shares, counted once

function mapColours(source) {
  // Colour -> share of one label map's pixels (paletteFor and blankColour both ask, for every map, at each opening).
  if (!counted.has(source)) {
    counted.set(source, countColours(source).catch((err) => { counted.delete(source); throw err; }));
  }
  return counted.get(source);
}

async function countColours(source) {
  const img = await decoded(source);
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

async function labelPalette(sources, more = []) {
  // The colours of the maps at ``sources``, the most common first, then those of ``more`` far from them (while there
  // are fewer than MAX_LABELS).
  const shares = new Map();
  for (const source of sources) {
    for (const [key, share] of await mapColours(source)) {
      if (share >= LABEL_SHARE) shares.set(key, Math.max(shares.get(key) || 0, share));
    }
  }
  const keys = [...shares.keys()].sort((a, b) => shares.get(b) - shares.get(a));
  const found = keys.map((key) => [(key >> 16) & 255, (key >> 8) & 255, key & 255]);
  const extra = more.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  const kept = [];
  for (const rgb of [...found, ...extra.slice(0, Math.max(0, MAX_LABELS - found.length))]) {
    if (kept.every((k) => Math.hypot(k[0] - rgb[0], k[1] - rgb[1], k[2] - rgb[2]) >= LABEL_MERGE)) kept.push(rgb);
  }
  return kept.map((rgb) => `#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`);  // as the server names them
}

function paletteFor(target) {
  // A content's map or a doodle: the style images' (examples') colours, all the server accepts; a style image's map,
  // or a first map: the colours of every map there is, and a few more.
  const first = doodleTexture() ? page.output : page.content;
  const styleMaps = page.styles.filter((s) => s.labels).map((s) => s.labels.source);
  if (target === first && styleMaps.length) return labelPalette(styleMaps);
  const maps = [first, ...page.styles].filter((r) => r && r.labels).map((r) => r.labels.source);
  return labelPalette(maps, LABEL_COLOURS);
}

async function blankColour(target) {
  // What a new map is filled with before any stroke: a content's or a doodle's, the commonest label (every part of
  // it needs a style); a style image's, a label no map has yet, so that what is left unpainted lends to no part (it
  // was the commonest label, and an example's unpainted rest grew in another example's part).
  if (target === page.content || target === page.output) return doodle.colours[0];
  const maps = [page.content, page.output, ...page.styles].filter((r) => r && r.labels).map((r) => r.labels.source);
  const used = await labelPalette(maps);
  return doodle.colours.find((colour) => !used.includes(colour)) || doodle.colours[0];
}

function doodleSize() {
  // The output's size as asked (texture), or the target's picture's, at most PAINT_SIDE on its long side (the
  // server scales).
  if (doodle.backdrop) return paintSize(doodle.backdrop);
  const side = (id, fallback) => Math.max(16, Math.min(2048, Math.round(Number($(id).value) || fallback)));
  return [side("#doodle-width", 384), side("#doodle-height", 256)];
}

function newCanvas(from = null) {
  // The target's map afresh: in the first colour, or the decoded label map ``from`` (a file it was given) scaled.
  const labels = blankMask(doodleSize());
  const ctx = labels.getContext("2d");
  ctx.fillStyle = doodle.blank || doodle.colours[0];
  ctx.fillRect(0, 0, labels.width, labels.height);
  ctx.imageSmoothingEnabled = false;  // no blended colours at the labels' edges
  if (from) ctx.drawImage(from, 0, 0, labels.width, labels.height);
  doodle.target.painted = labels;
  redrawDoodle();
}

function redrawDoodle() {
  const canvas = $("#doodle-canvas");
  const { width, height } = doodle.target.painted;
  if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
  const ctx = canvas.getContext("2d");
  ctx.globalAlpha = 1;
  if (doodle.backdrop) ctx.drawImage(doodle.backdrop, 0, 0, canvas.width, canvas.height);
  ctx.globalAlpha = doodle.backdrop ? 0.6 : 1;  // the picture shows through its map
  ctx.drawImage(doodle.target.painted, 0, 0);
  ctx.globalAlpha = 1;
}

function painterTitle(target) {
  if (target === page.output) return "Paint a doodle: each colour grows the parts of the examples with that colour";
  if (target === page.content) return "Paint the content's label map, in the colours of the style images' maps";
  return `Paint the label map of ${target.name}: the same colour for the same kind of thing in every map`;
}

async function openDoodle(target) {
  clearError();
  let given = null;  // a map file the target was given, to start from
  try {
    doodle.colours = await paletteFor(target);
    doodle.blank = await blankColour(target);
    doodle.backdrop = target === page.output ? null : await decoded(target.source);
    if (!target.painted && target.labels) given = await decoded(target.labels.source);
  } catch {
    showError("This browser cannot show this picture or a label map (TIFF, for one, it does not), so the map cannot "
      + "be painted here; give it a label map file with + labels instead.");
    return;
  }
  doodle.target = target;
  if (doodle.active >= doodle.colours.length) doodle.active = 0;
  const [width, height] = doodleSize();
  const painted = target.painted;
  if (!painted || painted.width !== width || painted.height !== height) newCanvas(given);
  else redrawDoodle();
  $("#doodle-title").textContent = painterTitle(target);
  $("#doodle-size").hidden = target !== page.output;  // a picture's map has the picture's shape
  colourChoices();
  $("#doodle-painter").hidden = false;
}

// A colour in words, as the server names it in messages (stylegram.labels.colour_name): the nearest named colour.
function colourWord(hex) {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const distance = ([, named]) => named.reduce((sum, v, i) => sum + (v - rgb[i]) ** 2, 0);
  return Object.entries(page.config.colour_names).reduce((best, entry) => (distance(entry) < distance(best) ? entry : best))[0];
}

function colourChoices() {
  const words = doodle.colours.map(colourWord);
  const once = (word) => words.indexOf(word) === words.lastIndexOf(word);  // two greens: each with its code
  const choices = doodle.colours.map((colour, i) => [i, once(words[i]) ? words[i] : `${words[i]} ${colour}`, colour]);
  choiceButtons($("#doodle-colours"), choices, doodle.active, (index) => { doodle.active = index; colourChoices(); });
}

function doodleStroke(from, to, pixels) {
  const ctx = doodle.target.painted.getContext("2d");
  ctx.strokeStyle = doodle.colours[doodle.active];
  ctx.lineWidth = Number($("#doodle-brush").value) * pixels;  // the brush's size is in screen px
  ctx.lineCap = "round";
  ctx.beginPath();
  ctx.moveTo(from[0], from[1]);
  ctx.lineTo(to[0] + 0.01, to[1]);  // a zero-length line draws no round cap
  ctx.stroke();
  redrawDoodle();
}

function mapName(target) {
  if (target === page.output) return "doodle.png";
  if (target === page.content) return "content-labels.png";
  return `style-${page.styles.indexOf(target) + 1}-labels.png`;
}

async function useDoodle() {
  clearError();
  $("#doodle-use").disabled = true;
  try {
    const { target } = doodle;
    const painted = target.painted;  // attach forgets it, as it does for a map file given instead
    const blob = await new Promise((resolve) => painted.toBlob(resolve, "image/png"));
    if (await attach(target, new File([blob], mapName(target), { type: "image/png" }), "labels")) {
      target.painted = painted;
      closeDoodle();
    }
  } finally {
    $("#doodle-use").disabled = false;
  }
}

function paintLabelsButton(record) {
  // A style image's (example's) "paint" button beside its label map: opens the painter over it.
  const button = document.createElement("button");
  button.type = "button";
  button.className = "labels-paint";
  button.textContent = "✎";
  button.title = "paint this image's label map over it";
  button.setAttribute("aria-label", button.title);
  button.addEventListener("click", () => openDoodle(record).catch((error) => showError(error.message)));
  return button;
}

function initDoodle() {
  strokesOn($("#doodle-canvas"), doodleStroke);
  $("#doodle-open").addEventListener("click", () => {
    openDoodle(doodleTexture() ? page.output : page.content).catch((error) => showError(error.message));
  });
  $("#doodle-new").addEventListener("click", () => newCanvas());
  $("#doodle-close").addEventListener("click", closeDoodle);
  $("#doodle-use").addEventListener("click", useDoodle);
}
