// The drawing pad: strokes drawn with mouse, finger or pen, kept as point lists.
//
// All drawing happens here, in JavaScript, so a stroke stays smooth however busy
// Python is. Python is told about changes through one `mnist-sorter:pad-change`
// event on the canvas, at most every THROTTLE_MS while a stroke goes on, and once
// more when it ends (or on Clear / Undo); it then reads the pixels itself. Ink is
// black on a transparent canvas, so the alpha channel is the ink.

const THROTTLE_MS = 250; // a few predictions a second while drawing, no more
const STROKE_SHARE = 0.075; // line width as a share of the pad's side: an MNIST-like stroke
const MAX_SCALE = 2; // backing pixels per CSS pixel, as the charts use

class DrawingPad {
  constructor(canvas, clearButton, undoButton) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d", { willReadFrequently: true });
    this.clearButton = clearButton;
    this.undoButton = undoButton;
    this.strokes = []; // each a list of [x, y] in CSS pixels
    this.current = null; // the stroke being drawn
    this.pointerId = null;
    this.lastSent = 0;
    this.pending = null; // timer of a throttled change event
    this.version = 0; // counts change events: Python records which one it read (data-version)

    canvas.addEventListener("pointerdown", (event) => this.down(event));
    canvas.addEventListener("pointermove", (event) => this.move(event));
    canvas.addEventListener("pointerup", (event) => this.up(event));
    canvas.addEventListener("pointercancel", (event) => this.up(event));
    clearButton.addEventListener("click", () => this.clear());
    undoButton.addEventListener("click", () => this.undo());
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
  }

  /** Match the backing store to the CSS size (times the pixel ratio) and redraw. */
  resize() {
    const box = this.canvas.getBoundingClientRect();
    if (box.width === 0) return; // not laid out (hidden)
    const scale = Math.min(window.devicePixelRatio || 1, MAX_SCALE);
    const width = Math.round(box.width * scale);
    const height = Math.round(box.height * scale);
    if (this.canvas.width === width && this.canvas.height === height) return;
    const old = this.size;
    this.canvas.width = width;
    this.canvas.height = height;
    this.size = box.width;
    if (old && old !== box.width) { // keep the drawing when a phone rotates
      const ratio = box.width / old;
      this.strokes = this.strokes.map((stroke) => stroke.map(([x, y]) => [x * ratio, y * ratio]));
    }
    this.redraw();
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  down(event) {
    if (this.pointerId !== null || (event.pointerType === "mouse" && event.button !== 0)) return;
    event.preventDefault();
    this.pointerId = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.current = [this.point(event)];
    this.strokes.push(this.current);
    this.redraw();
    this.changed(false);
  }

  move(event) {
    if (event.pointerId !== this.pointerId) return;
    event.preventDefault();
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const each of events.length ? events : [event]) this.current.push(this.point(each));
    this.redraw();
    this.changed(false);
  }

  up(event) {
    if (event.pointerId !== this.pointerId) return;
    this.pointerId = null;
    this.current = null;
    this.changed(true);
  }

  clear() {
    this.strokes = [];
    this.redraw();
    this.changed(true);
  }

  undo() {
    this.strokes.pop();
    this.redraw();
    this.changed(true);
  }

  /** Draw every stroke again: smooth curves through the midpoints of the points. */
  redraw() {
    const { canvas, context } = this;
    const scale = canvas.width / (this.size || canvas.width);
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.lineWidth = (this.size || canvas.width) * STROKE_SHARE;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#000";
    for (const stroke of this.strokes) {
      context.beginPath();
      const [x0, y0] = stroke[0];
      context.moveTo(x0, y0);
      if (stroke.length === 1) context.lineTo(x0 + 0.01, y0); // a dot
      for (let i = 1; i < stroke.length - 1; i++) {
        const [x, y] = stroke[i];
        const [nx, ny] = stroke[i + 1];
        context.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
      }
      if (stroke.length > 1) context.lineTo(...stroke[stroke.length - 1]);
      context.stroke();
    }
    const empty = this.strokes.length === 0;
    this.undoButton.disabled = empty;
    this.clearButton.disabled = empty;
    this.canvas.dataset.strokes = String(this.strokes.length);
  }

  /** Tell Python the drawing changed: now if `final`, else at most every THROTTLE_MS. */
  changed(final) {
    const now = performance.now();
    clearTimeout(this.pending);
    this.pending = null;
    const wait = THROTTLE_MS - (now - this.lastSent);
    if (final || wait <= 0) {
      this.lastSent = now;
      this.canvas.dataset.version = String(++this.version);
      this.canvas.dispatchEvent(new CustomEvent("mnist-sorter:pad-change", { detail: { final } }));
    } else {
      this.pending = setTimeout(() => this.changed(false), wait);
    }
  }
}

function start() {
  const canvas = document.getElementById("drawing-pad");
  if (!canvas) return;
  window.mnistSorterPad = new DrawingPad(canvas, document.getElementById("pad-clear"),
    document.getElementById("pad-undo"));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
