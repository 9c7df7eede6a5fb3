// The console's only script: the drop zone of the upload page and the
// live progress of a run. Every page works without it.
"use strict";

function setupDrop() {
  const drop = document.getElementById("drop");
  const input = document.getElementById("file");
  const label = document.getElementById("file-name");
  if (!drop || !input) return;
  const show = () => {
    if (input.files.length > 0) {
      const f = input.files[0];
      label.textContent = "Selected: " + f.name + " (" + Math.ceil(f.size / 1024) + " KB)";
      drop.classList.add("chosen");
    }
  };
  input.addEventListener("change", show);
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, () => drop.classList.remove("over")));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length > 0) {
      input.files = e.dataTransfer.files;
      show();
    }
  });
}

function setText(id, v) {
  const el = document.getElementById(id);
  if (el) el.textContent = v;
}

function setupProgress() {
  const box = document.getElementById("progress");
  if (!box || !window.EventSource) return;
  const src = new EventSource(box.dataset.events);
  const update = (ev) => {
    const s = JSON.parse(ev.data);
    setText("processed", s.processed);
    setText("total", s.total);
    setText("done", s.done);
    setText("failed", s.failed);
    setText("unknown", s.unknown);
    setText("rate", s.rate.toFixed(1));
    setText("left", s.secondsLeft >= 0 ? s.secondsLeft + " s" : "—");
    setText("message", s.message || "");
    setText("phase", s.phaseLabel || s.phase);
    const bar = document.getElementById("bar");
    if (bar) {
      bar.value = s.percent;
      bar.textContent = s.percent + "%";
    }
    if (s.finished) {
      src.close();
      document.getElementById("finished-actions").hidden = false;
      box.classList.add("finished");
    }
  };
  src.addEventListener("progress", update);
  src.addEventListener("finished", update);
}

document.addEventListener("DOMContentLoaded", () => {
  setupDrop();
  setupProgress();
});
