// PixelRNN in the browser: sample, complete and score with ONNX Runtime Web.
//
// The graphs (sample, complete, log_prob, logits) are the package's ONNX
// exports, checked against Keras; `model.json` says the image shape, the
// levels, the class labels and where the runtime is. Every button calls the
// functions of `window.pixelrnn`, which tests call too.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const page = { manifest: null, sessions: {}, queue: Promise.resolve(), ink: null, tool: "pen" };

  // --- errors and status -------------------------------------------------

  function showError(message) {
    const box = $("error");
    box.hidden = false;
    box.textContent += (box.textContent ? "\n" : "") + message;
    $("status").textContent = "Something went wrong (see above).";
  }
  window.addEventListener("error", (e) => showError(`Error: ${e.message}`));
  window.addEventListener("unhandledrejection", (e) => showError(`Error: ${e.reason && e.reason.message || e.reason}`));

  async function fetchOk(url, options) {
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      throw new Error(`could not load ${url}: ${error.message}`);
    }
    if (!response.ok) throw new Error(`model file missing: ${url} (HTTP ${response.status})`);
    return response;
  }

  // --- runtime and sessions ------------------------------------------------

  function threadCount() {
    const asked = Number(new URLSearchParams(location.search).get("threads"));
    if (!self.crossOriginIsolated) return 1;  // threads need SharedArrayBuffer
    const cores = navigator.hardwareConcurrency || 1;
    return asked > 0 ? Math.min(asked, cores) : Math.min(cores, 4);
  }

  async function startRuntime(manifest) {
    if (typeof WebAssembly !== "object") {
      throw new Error("this browser has no WebAssembly, which ONNX Runtime Web needs");
    }
    if (window.pixelrnnRuntimeFailed || typeof ort === "undefined") {
      throw new Error(`ONNX Runtime Web ${manifest.runtime.version} failed to load from ${manifest.runtime.base}`);
    }
    // The module and the wasm binary are fetched here, checked against
    // their hashes, and handed over: ONNX Runtime's own fetches carry none.
    const base = new URL(manifest.runtime.base, location.href).href;  // must be absolute
    const checked = (name) => fetchOk(base + name, { integrity: manifest.runtime.integrity[name] })
      .catch((error) => {
        throw new Error(`ONNX Runtime Web failed to load: ${error.message} (offline, blocked, or not the file that its hash pins)`);
      });
    const [module, binary] = await Promise.all([
      checked("ort-wasm-simd-threaded.mjs").then((r) => r.blob()),
      checked("ort-wasm-simd-threaded.wasm").then((r) => r.arrayBuffer()),
    ]);
    const mjs = URL.createObjectURL(new Blob([module], { type: "text/javascript" }));
    ort.env.wasm.wasmPaths = { mjs, wasm: base + "ort-wasm-simd-threaded.wasm" };
    ort.env.wasm.wasmBinary = binary;
    ort.env.wasm.numThreads = threadCount();
    ort.env.logLevel = "error";
  }

  async function loadSessions(manifest) {
    const entries = Object.entries(manifest.graphs);
    const bytes = await Promise.all(entries.map(([, file]) => fetchOk(file).then((r) => r.arrayBuffer())));
    for (let k = 0; k < entries.length; k++) {
      page.sessions[entries[k][0]] = await ort.InferenceSession.create(bytes[k], { executionProviders: ["wasm"] });
    }
  }

  // One run at a time: a session does not run twice at once.
  function run(name, feeds) {
    const job = page.queue.then(() => page.sessions[name].run(feeds));
    page.queue = job.catch(() => {});
    return job;
  }

  // --- the model's inputs ---------------------------------------------------

  function shape() { return page.manifest.image_shape; }
  function size() { const [h, w, c] = shape(); return h * w * c; }

  function batchOf(flat) { return flat.length / size(); }

  function tensor(type, data, dims) {
    const Type = { uint8: Uint8Array, int32: Int32Array, float32: Float32Array }[type];
    return new ort.Tensor(type, data instanceof Type ? data : Type.from(data), dims);
  }

  function feeds(inputs, batch, label) {
    const [h, w, c] = shape();
    const out = {};
    for (const [name, [type, data]] of Object.entries(inputs)) {
      out[name] = tensor(type, data, name === "keep_rows" ? [batch] : [batch, h, w, c]);
    }
    if (page.manifest.num_classes) {
      const labels = Array.isArray(label) ? label : new Array(batch).fill(Number(label || 0));
      out.labels = tensor("int32", labels, [batch]);
    }
    return out;
  }

  // --- the test API: the code paths of the buttons ------------------------

  async function logProb(pixels, label) {
    const batch = batchOf(pixels);
    const out = await run("log_prob", feeds({ images: ["uint8", pixels] }, batch, label));
    return { log_prob: Array.from(out.log_prob.data), bits_per_dim: Array.from(out.bits_per_dim.data) };
  }

  async function sample(noise, label) {
    const batch = batchOf(noise);
    const out = await run("sample", feeds({ noise: ["float32", noise] }, batch, label));
    return Array.from(out.images.data);
  }

  async function complete(images, keepRows, noise, label) {
    const batch = batchOf(images);
    const rows = Array.isArray(keepRows) ? keepRows : new Array(batch).fill(keepRows);
    const inputs = { images: ["uint8", images], keep_rows: ["int32", rows], noise: ["float32", noise] };
    const out = await run("complete", feeds(inputs, batch, label));
    return Array.from(out.completions.data);
  }

  // -log p of every sub-pixel of one image, from the logits (float64 sums).
  async function surprise(pixels, label) {
    const levels = page.manifest.levels;
    const out = await run("logits", feeds({ images: ["uint8", pixels] }, 1, label));
    const logits = out.logits.data;
    const map = new Float64Array(pixels.length);
    for (let k = 0; k < pixels.length; k++) {
      let top = -Infinity;
      for (let v = 0; v < levels; v++) top = Math.max(top, logits[k * levels + v]);
      let total = 0;
      for (let v = 0; v < levels; v++) total += Math.exp(logits[k * levels + v] - top);
      map[k] = top + Math.log(total) - logits[k * levels + pixels[k]];
    }
    const scored = await logProb(pixels, label);
    return { nll: -scored.log_prob[0], bits_per_dim: scored.bits_per_dim[0], map: Array.from(map) };
  }

  // Uniform noise in [0, 1) from a seed (mulberry32; 24 bits, exact in float32).
  function noiseFromSeed(seed, count) {
    let a = (Number(seed) >>> 0) || 0;
    const out = new Float32Array(count);
    for (let k = 0; k < count; k++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      out[k] = (((t ^ (t >>> 14)) >>> 0) >>> 8) / 16777216;
    }
    return out;
  }

  // --- drawing: ink 0..255 on an H x W grid ---------------------------------

  function stamp(row, col, erase) {
    const [h, w] = shape();
    const cells = erase
      ? [[-1, -1], [-1, 0], [-1, 1], [0, -1], [0, 0], [0, 1], [1, -1], [1, 0], [1, 1]]
      : [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]];
    for (const [dr, dc] of cells) {
      const r = row + dr, c = col + dc;
      if (r >= 0 && r < h && c >= 0 && c < w) page.ink[r * w + c] = erase ? 0 : 255;
    }
  }

  function cellAt(event) {
    const pad = $("pad"), box = pad.getBoundingClientRect();
    const [h, w] = shape();
    return [
      Math.min(h - 1, Math.max(0, Math.floor((event.clientY - box.top) / box.height * h))),
      Math.min(w - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * w))),
    ];
  }

  function strokeTo(from, to, erase) {
    const steps = Math.max(Math.abs(to[0] - from[0]), Math.abs(to[1] - from[1]), 1);
    for (let s = 0; s <= steps; s++) {
      stamp(Math.round(from[0] + (to[0] - from[0]) * s / steps),
            Math.round(from[1] + (to[1] - from[1]) * s / steps), erase);
    }
  }

  function setUpPad() {
    const pad = $("pad");
    let last = null;
    pad.addEventListener("pointerdown", (e) => {
      pad.setPointerCapture(e.pointerId);
      last = cellAt(e);
      strokeTo(last, last, page.tool === "eraser");
      redrawPad();
    });
    pad.addEventListener("pointermove", (e) => {
      if (last === null) return;
      const here = cellAt(e);
      strokeTo(last, here, page.tool === "eraser");
      last = here;
      redrawPad();
    });
    const end = () => { last = null; };
    pad.addEventListener("pointerup", end);
    pad.addEventListener("pointercancel", end);
    for (const tool of ["pen", "eraser"]) {
      $(tool).addEventListener("click", () => {
        page.tool = tool;
        for (const t of ["pen", "eraser"]) {
          $(t).classList.toggle("active", t === tool);
          $(t).setAttribute("aria-pressed", String(t === tool));
        }
      });
    }
    $("clear").addEventListener("click", () => { page.ink.fill(0); redrawPad(); });
    $("centre").addEventListener("change", redrawPad);
  }

  // --- what the model sees ---------------------------------------------------

  function binarize(ink) {
    const threshold = page.manifest.binarize_threshold;
    return Uint8Array.from(ink, (v) => (v >= threshold ? 1 : 0));
  }

  // MNIST's preprocessing: the ink's bounding box scaled into 20 x 20
  // (aspect kept, bilinear), then moved so its centre of mass is the centre.
  function centred(ink) {
    const [h, w] = shape();
    let top = h, bottom = -1, left = w, right = -1;
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) {
      if (ink[r * w + c] > 0) { top = Math.min(top, r); bottom = Math.max(bottom, r); left = Math.min(left, c); right = Math.max(right, c); }
    }
    if (bottom < 0) return Float64Array.from(ink);
    const bh = bottom - top + 1, bw = right - left + 1;
    const box = 20 * Math.min(h, w) / 28;
    const scale = box / Math.max(bh, bw);
    const ph = Math.max(1, Math.round(bh * scale)), pw = Math.max(1, Math.round(bw * scale));
    const at = (r, c) => ink[Math.min(bottom, Math.max(top, r)) * w + Math.min(right, Math.max(left, c))];
    const patch = new Float64Array(ph * pw);
    let mass = 0, mr = 0, mc = 0;
    for (let r = 0; r < ph; r++) for (let c = 0; c < pw; c++) {
      const y = top + (r + 0.5) / ph * bh - 0.5, x = left + (c + 0.5) / pw * bw - 0.5;
      const y0 = Math.floor(y), x0 = Math.floor(x), fy = y - y0, fx = x - x0;
      const v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
      patch[r * pw + c] = v;
      mass += v; mr += v * (r + 0.5); mc += v * (c + 0.5);
    }
    const r0 = Math.min(h - ph, Math.max(0, Math.round(h / 2 - mr / mass)));
    const c0 = Math.min(w - pw, Math.max(0, Math.round(w / 2 - mc / mass)));
    const out = new Float64Array(h * w);
    for (let r = 0; r < ph; r++) for (let c = 0; c < pw; c++) out[(r0 + r) * w + c0 + c] = patch[r * pw + c];
    return out;
  }

  // The drawing as the model gets it: binarized, and centred if asked.
  function drawnPixels(centre) {
    if (page.manifest.draw !== "pen") return Uint8Array.from(page.ink);
    return binarize(centre ? centred(page.ink) : page.ink);
  }

  // --- pictures ---------------------------------------------------------------

  function paint(canvas, pixels, offset = 0) {
    const [h, w, c] = shape(), levels = page.manifest.levels;
    canvas.width = w; canvas.height = h;
    const context = canvas.getContext("2d"), picture = context.createImageData(w, h);
    for (let k = 0; k < h * w; k++) {
      for (let ch = 0; ch < 3; ch++) {
        const v = pixels[offset + k * c + (c === 3 ? ch : 0)] * 255 / (levels - 1);
        picture.data[4 * k + ch] = page.manifest.draw === "pen" ? 255 - v : v;
      }
      picture.data[4 * k + 3] = 255;
    }
    context.putImageData(picture, 0, 0);
  }

  function images(container, flat) {
    container.replaceChildren();
    for (let n = 0; n < batchOf(flat); n++) {
      const canvas = document.createElement("canvas");
      paint(canvas, flat, n * size());
      container.append(canvas);
    }
  }

  function redrawPad() {
    const [h, w] = shape();
    const raw = page.manifest.draw === "pen" ? binarize(page.ink) : page.ink;
    paint($("pad"), page.manifest.draw === "pen" ? raw : raw);
    paint($("seen"), drawnPixels($("centre").checked));
    const keep = Number($("keep-rows").value), context = $("pad").getContext("2d");
    context.fillStyle = "rgba(36, 87, 197, 0.12)";
    context.fillRect(0, keep, w, h - keep);
  }

  function heatMap(pixels, map) {
    const [h, w, c] = shape();
    const canvas = $("heat");
    paint(canvas, pixels);
    const context = canvas.getContext("2d"), picture = context.getImageData(0, 0, w, h);
    const perPixel = Array.from({ length: h * w }, (_, k) => map.slice(k * c, k * c + c).reduce((a, b) => a + b, 0));
    const top = Math.max(...perPixel, 1e-9);
    const red = [220, 30, 30];
    for (let k = 0; k < h * w; k++) {
      const t = Math.sqrt(Math.min(1, perPixel[k] / top));  // the drawing shows through where sure
      for (let ch = 0; ch < 3; ch++) {
        const base = 0.25 * picture.data[4 * k + ch] + 0.75 * 255;  // the drawing, faded
        picture.data[4 * k + ch] = base * (1 - t) + red[ch] * t;
      }
    }
    context.putImageData(picture, 0, 0);
    $("heat-scale").textContent = `Brightest red: ${top.toFixed(2)} nats.`;
  }

  // --- the buttons --------------------------------------------------------------

  function label(select) { return page.manifest.num_classes ? Number(select.value) : undefined; }

  async function onSample() {
    const count = Number($("sample-count").value);
    const started = performance.now();
    const flat = await sample(noiseFromSeed($("seed").value, count * size()), label(document.querySelector("#sample-section .label-select")));
    const seconds = (performance.now() - started) / 1000;
    images($("sample-grid"), flat);
    $("sample-time").textContent = `${count} images in ${seconds.toFixed(2)} s (seed ${$("seed").value}, ${page.threads} thread${page.threads > 1 ? "s" : ""}).`;
    return seconds;
  }

  async function onComplete() {
    const count = 4, pixels = drawnPixels(false);
    const batch = new Uint8Array(count * size());
    for (let n = 0; n < count; n++) batch.set(pixels, n * size());
    const started = performance.now();
    const seed = Number($("seed").value) + 1;
    const flat = await complete(batch, Number($("keep-rows").value), noiseFromSeed(seed, batch.length), label(document.querySelector("#draw-section .label-select")));
    images($("completions"), flat);
    $("complete-time").textContent = `${count} completions in ${((performance.now() - started) / 1000).toFixed(2)} s.`;
  }

  async function onSurprise() {
    const pixels = drawnPixels($("centre").checked);
    const given = label(document.querySelector("#draw-section .label-select"));
    const scored = await surprise(pixels, given);
    page.last = { pixels: Array.from(pixels), label: given, ...scored };
    heatMap(pixels, scored.map);
    const condition = given === undefined ? "" : ` (label ${given})`;
    $("nll").textContent = `NLL ${scored.nll.toFixed(2)} nats, ${scored.bits_per_dim.toFixed(4)} bits/dim${condition}`;
    return scored;
  }

  function onUpload(file) {
    const [h, w, c] = shape(), levels = page.manifest.levels;
    const picture = new Image();
    picture.onload = () => {
      const canvas = document.createElement("canvas");
      canvas.width = w; canvas.height = h;
      const context = canvas.getContext("2d");
      context.drawImage(picture, 0, 0, w, h);
      const data = context.getImageData(0, 0, w, h).data;
      for (let k = 0; k < h * w; k++) for (let ch = 0; ch < c; ch++) {
        const v = c === 3 ? data[4 * k + ch] : (data[4 * k] + data[4 * k + 1] + data[4 * k + 2]) / 3;
        page.ink[k * c + ch] = Math.min(levels - 1, Math.floor(v * levels / 256));
      }
      redrawPad();
    };
    picture.onerror = () => showError(`could not read ${file.name} as an image`);
    picture.src = URL.createObjectURL(file);
  }

  function button(id, action) {
    $(id).addEventListener("click", async () => {
      $(id).disabled = true;
      try { await action(); } catch (error) { showError(`Error: ${error.message}`); }
      finally { $(id).disabled = false; }
    });
  }

  function setUpPage(manifest) {
    const [h, w, c] = manifest.image_shape;
    $("model-name").textContent = `${manifest.preset || manifest.name} · ${h}×${w}×${c}, ${manifest.levels} levels`;
    page.ink = new Uint8Array(manifest.draw === "pen" ? h * w : h * w * c);
    $("keep-rows").max = String(h);
    $("keep-rows").value = String(Math.floor(h / 2));
    $("keep-rows-value").textContent = $("keep-rows").value;
    $("keep-rows").addEventListener("input", () => { $("keep-rows-value").textContent = $("keep-rows").value; redrawPad(); });
    if (manifest.draw !== "pen") {
      for (const id of ["pen", "eraser", "clear"]) $(id).hidden = true;
      $("upload").hidden = false;
      $("centre").closest("label").hidden = true;
      $("upload-file").addEventListener("change", (e) => e.target.files[0] && onUpload(e.target.files[0]));
    } else {
      setUpPad();
    }
    if (manifest.labels) {
      for (const select of document.querySelectorAll(".label-select")) {
        for (const name of manifest.labels) select.append(new Option(name, String(manifest.labels.indexOf(name))));
      }
      for (const picker of document.querySelectorAll(".label-picker")) picker.hidden = false;
    }
    if (manifest.card) {
      $("card-section").hidden = false;
      for (const [key, value] of Object.entries(manifest.card)) {
        const dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = key.replaceAll("_", " ");
        const shown = typeof value === "number" && !Number.isInteger(value) ? value.toFixed(2) : value;
        dd.textContent = typeof value === "object" ? JSON.stringify(value) : String(shown);
        $("card").append(dt, dd);
      }
    }
    button("sample-button", onSample);
    button("complete-button", onComplete);
    button("surprise-button", onSurprise);
    redrawPad();
  }

  async function boot() {
    const manifest = await fetchOk("model.json").then((r) => r.json());
    page.manifest = manifest;
    setUpPage(manifest);
    await startRuntime(manifest);
    page.threads = ort.env.wasm.numThreads;
    await loadSessions(manifest);
    for (const id of ["sample-button", "complete-button", "surprise-button"]) $(id).disabled = false;
    const isolated = self.crossOriginIsolated ? "cross-origin isolated" : "not cross-origin isolated: 1 thread";
    $("status").textContent = "Ready.";
    $("runtime-note").textContent = `ONNX Runtime Web ${manifest.runtime.version} (WebAssembly, ${page.threads} thread${page.threads > 1 ? "s" : ""}; ${isolated}).`;
    document.body.dataset.ready = "true";
  }

  const ready = boot().catch((error) => { showError(error.message); throw error; });
  ready.catch(() => {});

  window.pixelrnn = {
    ready, logProb, sample, complete, surprise, noiseFromSeed, drawnPixels,
    centred: (ink) => Array.from(centred(ink)),
    setInk: (ink) => { page.ink.set(ink); redrawPad(); },
    ink: () => Array.from(page.ink),
    clickSample: onSample, clickSurprise: onSurprise, clickComplete: onComplete,
    get manifest() { return page.manifest; },
    get threads() { return page.threads; },
    get lastSurprise() { return page.last; },
  };
})();
