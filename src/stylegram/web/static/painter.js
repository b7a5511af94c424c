// Paint the style masks on the content: each style image gets a tint, the brush paints the chosen style's region
// (and takes it from the others), the eraser leaves no style. "Use these masks" uploads one black-and-white PNG per
// style and attaches it as that style's mask (app.js: attach). Loaded after app.js, whose globals it uses.
"use strict";

const TINTS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324"];
const PAINT_SIDE = 512;  // long side of the painted masks in px; the server scales a mask to every stage's size
const ERASER = -1;

const painter = {
  image: null,     // the content as an <img>, decoded
  size: null,      // [width, height] of the masks being painted
  active: 0,       // index of the style being painted, or ERASER
  queued: false,   // a redraw is requested
};

function paintingOffered() {
  return $("#method").value !== "texture" && page.content !== null && page.styles.length > 0;
}

function updatePaintButton() {
  $("#paint-open").hidden = !paintingOffered();
  if (!paintingOffered()) closePainter();
}

function forgetPaint() {
  // The content changed: strokes drawn on another picture mean nothing on this one, nor the masks made of them (they
  // went on to paint the new picture, a photo of one shape taking the last one's masks unsaid).
  const dropped = page.styles.filter((style) => style.mask && style.mask.painted);
  for (const style of dropped) {
    discard(style.mask);
    style.mask = null;
    style.boxes.mask.replaceWith(attachControl(style, "mask"));
  }
  for (const style of page.styles) style.paint = null;
  painter.image = null;
  painter.size = null;
  closePainter();
  if (dropped.length) {
    showError(`The masks painted on the earlier content were removed with it: paint them again on this one `
      + `(masks chosen as files stay).`);
    toolsChanged();
  }
}

function closePainter() { $("#painter").hidden = true; }

async function decoded(source) {
  // An <img> of a blob: URL, decoded (rejects where the browser cannot show the format).
  const img = new Image();
  img.src = source;
  await img.decode();
  return img;
}

function paintSize(img) {
  // [width, height] of a picture painted over: its own, at most PAINT_SIDE on the long side (the server scales).
  const scale = Math.min(1, PAINT_SIDE / Math.max(img.naturalWidth, img.naturalHeight));
  return [Math.max(1, Math.round(img.naturalWidth * scale)), Math.max(1, Math.round(img.naturalHeight * scale))];
}

function blankMask([width, height]) {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

async function openPainter() {
  clearError();
  if (!painter.image) {
    try {
      painter.image = await decoded(page.content.source);
    } catch {
      showError(`This browser cannot show ${page.content.name} (TIFF, for one, it does not), so masks cannot be `
        + "painted on it; give each style a mask file with + mask instead.");
      return;
    }
    painter.size = paintSize(painter.image);
  }
  for (const style of page.styles) style.paint ||= blankMask(painter.size);
  const canvas = $("#painter-canvas");
  [canvas.width, canvas.height] = painter.size;
  if (painter.active >= page.styles.length) painter.active = 0;
  styleChoices();
  redraw();
  $("#painter").hidden = false;
}

function choiceButtons(box, choices, active, choose) {
  // One radio button per [index, name, tint] in box, the active one checked; choose(index) on a click.
  box.replaceChildren();
  for (const [index, name, tint] of choices) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "painter-choice";
    button.dataset.index = String(index);
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", String(index === active));
    button.style.setProperty("--tint", tint);
    button.textContent = name;
    button.addEventListener("click", () => choose(index));
    box.append(button);
  }
}

function styleChoices() {
  const choices = page.styles.map((style, i) => [i, style.name, TINTS[i % TINTS.length]]);
  choices.push([ERASER, "eraser (no style)", "#ffffff"]);
  choiceButtons($("#painter-styles"), choices, painter.active, (index) => { painter.active = index; styleChoices(); });
}

function redraw() {
  painter.queued = false;
  const canvas = $("#painter-canvas");
  const ctx = canvas.getContext("2d");
  const [width, height] = painter.size;
  ctx.globalAlpha = 1;
  ctx.drawImage(painter.image, 0, 0, width, height);
  page.styles.forEach((style, i) => {
    if (!style.paint) return;
    const tinted = blankMask(painter.size);
    const t = tinted.getContext("2d");
    t.fillStyle = TINTS[i % TINTS.length];
    t.fillRect(0, 0, width, height);
    t.globalCompositeOperation = "destination-in";  // the tint where the mask is painted
    t.drawImage(style.paint, 0, 0);
    ctx.globalAlpha = 0.55;
    ctx.drawImage(tinted, 0, 0);
  });
  ctx.globalAlpha = 1;
}

function canvasPoint(canvas, event) {
  // The event's point in the canvas's own pixels, and how many of them one screen pixel spans.
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height,
    canvas.width / box.width];
}

function stroke(from, to, pixels) {
  const width = Number($("#brush").value) * pixels;  // the brush's size is in screen px
  page.styles.forEach((style, i) => {
    const ctx = style.paint.getContext("2d");
    ctx.globalCompositeOperation = i === painter.active ? "source-over" : "destination-out";
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = width;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0] + 0.01, to[1]);  // a zero-length line draws no round cap
    ctx.stroke();
  });
  if (!painter.queued) {
    painter.queued = true;
    requestAnimationFrame(redraw);
  }
}

function fillRest() {
  // The chosen style takes every pixel no other style has (the eraser has nothing to fill).
  if (painter.active === ERASER) return;
  const [width, height] = painter.size;
  const ctx = page.styles[painter.active].paint.getContext("2d");
  ctx.globalCompositeOperation = "source-over";
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, height);
  ctx.globalCompositeOperation = "destination-out";
  page.styles.forEach((style, i) => { if (i !== painter.active) ctx.drawImage(style.paint, 0, 0); });
  redraw();
}

function painted(canvas) {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let k = 3; k < pixels.length; k += 4) if (pixels[k] > 0) return true;
  return false;
}

async function usePainted() {
  clearError();
  const bare = page.styles.filter((style) => !style.paint || !painted(style.paint));
  if (bare.length) {
    showError(`Paint a region for every style image: ${bare.map((s) => s.name).join(", ")} `
      + `${bare.length === 1 ? "has" : "have"} none.`);
    return;
  }
  $("#painter-use").disabled = true;
  try {
    for (const style of page.styles) {
      const out = blankMask(painter.size);
      const ctx = out.getContext("2d");
      ctx.fillStyle = "#000000";  // unpainted: no style there
      ctx.fillRect(0, 0, out.width, out.height);
      ctx.drawImage(style.paint, 0, 0);
      const blob = await new Promise((resolve) => out.toBlob(resolve, "image/png"));
      const name = `mask-${style.name.replace(/\.[^.]*$/, "")}.png`;
      if (!await attach(style, new File([blob], name, { type: "image/png" }), "mask")) return;
      if (style.mask) style.mask.painted = true;  // it goes with the content it was painted on (forgetPaint)
    }
    closePainter();
  } finally {
    $("#painter-use").disabled = false;
  }
}

function strokesOn(canvas, draw) {
  // Pointer strokes on a canvas: draw(from, to, pixels) for every move while pressed, and a dot at the press.
  let last = null;
  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    const [x, y, pixels] = canvasPoint(canvas, event);
    last = [x, y];
    draw(last, last, pixels);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const [x, y, pixels] = canvasPoint(canvas, event);
    draw(last, [x, y], pixels);
    last = [x, y];
  });
  const end = () => { last = null; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

function initPainter() {
  strokesOn($("#painter-canvas"), stroke);
  $("#paint-open").addEventListener("click", () => openPainter().catch((error) => showError(error.message)));
  $("#painter-close").addEventListener("click", closePainter);
  $("#painter-clear").addEventListener("click", () => {
    for (const style of page.styles) style.paint = blankMask(painter.size);
    redraw();
  });
  $("#painter-fill").addEventListener("click", fillRest);
  $("#painter-use").addEventListener("click", usePainted);
}
