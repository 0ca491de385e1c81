'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const el = {
    modelInfo: $('model-info'), fileSelect: $('file-select'), openButton: $('open-button'),
    axisSelect: $('axis-select'), slider: $('slice-slider'), sliceLabel: $('slice-label'),
    windowLo: $('window-lo'), windowHi: $('window-hi'), windowApply: $('window-apply'),
    labelInput: $('label-input'), labelSwatch: $('label-swatch'), opacity: $('opacity'),
    clearButton: $('clear-button'), undoButton: $('undo-button'),
    propagateButton: $('propagate-button'), propagateDirection: $('propagate-direction'),
    propagateMax: $('propagate-max'), propagateMinIou: $('propagate-min-iou'), downloadLink: $('download-link'), downloadSegLink: $('download-seg-link'),
    viewer: $('viewer'), viewerWrap: $('viewer-wrap'), iou: $('iou'), status: $('status'),
    lastMask: $('last-mask'),
  };

  // Overlay colours for labels 1..8; higher labels cycle through the same list.
  const PALETTE = [
    [30, 144, 255], [255, 200, 0], [255, 79, 216], [50, 215, 75],
    [255, 140, 26], [0, 229, 229], [169, 112, 255], [255, 90, 90],
  ];
  const FIT = 512;          // the slice is zoomed by the largest integer that fits about this size
  const DRAG_THRESHOLD = 3; // screen pixels; a longer left-drag is a box, not a click

  const state = {
    vol: null,          // the /api/volumes response of the open volume
    axis: 2,
    index: 0,
    label: 1,
    win: null,          // [lo, hi] once the user applied a window; null = server default
    points: [],         // prompts of the current slice, in slice pixels: {r, c, label}
    box: null,          // {r0, c0, r1, c1}, inclusive
    segments: 0,        // successful /segment calls for the current prompt set
    busy: false,
    haveFiles: false,
  };

  // What the canvas shows right now. It can lag behind `state` while a slice is loading;
  // prompts are only accepted when shown.key equals the current slice key.
  const shown = { key: null, imageUrl: null, image: null, labels: null, rows: 0, cols: 0, zoom: 1 };
  let viewSeq = 0;   // bumped per view load; a response whose number is not the latest is dropped
  let drag = null;   // the mouse gesture in progress

  // ---------- helpers ----------

  const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));
  const labelColour = (l) => PALETTE[(l - 1) % PALETTE.length];
  const firstLine = (s) => String(s).split('\n')[0].slice(0, 300);

  function setStatus(text, isError = false) {
    el.status.textContent = text;
    el.status.classList.toggle('error', isError);
  }

  function errorText(res, data) {
    if (data && typeof data.error === 'string' && data.error) return firstLine(data.error);
    return `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  }

  // JSON request; throws an Error carrying the server's one-line "error" message.
  async function api(method, path, body) {
    const opts = { method, headers: {} };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, opts);
    } catch (e) {
      throw new Error(`network error: ${method} ${path} failed`);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { /* not JSON */ }
    }
    if (!res.ok) throw new Error(errorText(res, data));
    return data || {};
  }

  // Fetches a PNG as an ImageBitmap. No colour-space conversion, so that label values
  // (0..255 in a gray PNG) reach getImageData unchanged.
  async function fetchBitmap(url, noStore) {
    let res;
    try {
      res = await fetch(url, noStore ? { cache: 'no-store' } : {});
    } catch (e) {
      throw new Error(`network error: GET ${url} failed`);
    }
    if (!res.ok) {
      let data = null;
      try { data = await res.json(); } catch (e) { /* not JSON */ }
      throw new Error(errorText(res, data));
    }
    const blob = await res.blob();
    return createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  }

  const volUrl = (rest) => `/api/volumes/${encodeURIComponent(state.vol.id)}${rest ? '/' + rest : ''}`;
  const sliceKey = () => (state.vol ? `${state.vol.id}/${state.axis}/${state.index}` : null);
  const axisInfo = () => state.vol.axes[String(state.axis)];
  const isImage = () => state.vol && state.vol.kind === 'image';

  function sliceUrl() {
    const u = volUrl(`slices/${state.axis}/${state.index}.png`);
    return state.win ? `${u}?window=${state.win[0]},${state.win[1]}` : u;
  }

  // ---------- busy handling ----------

  // Runs one user action at a time, with the controls disabled; errors go to #status.
  async function run(message, fn) {
    if (state.busy) return;
    state.busy = true;
    updateControls();
    setStatus(message);
    try {
      await fn();
    } catch (e) {
      setStatus(e && e.message ? firstLine(e.message) : 'unexpected error', true);
    } finally {
      state.busy = false;
      updateControls();
    }
  }

  function updateControls() {
    const b = state.busy;
    const open = !!state.vol;
    const slices = open ? axisInfo().slices : 0;
    el.fileSelect.disabled = b || !state.haveFiles;
    el.openButton.disabled = b || !state.haveFiles;
    el.axisSelect.disabled = b || !open || isImage();
    el.slider.disabled = b || !open || slices <= 1;
    for (const c of [el.windowLo, el.windowHi, el.windowApply, el.labelInput,
      el.clearButton, el.undoButton]) c.disabled = b || !open;
    for (const c of [el.propagateButton, el.propagateDirection, el.propagateMax, el.propagateMinIou]) {
      c.disabled = b || !open || slices <= 1;
    }
    const dl = open && !b;
    el.downloadLink.classList.toggle('disabled', !dl);
    el.downloadLink.setAttribute('aria-disabled', String(!dl));
    document.body.classList.toggle('busy', b);
  }

  // ---------- loading and drawing ----------

  // Turns an 8-bit label map into an RGBA canvas: label 0 transparent, others in palette colour.
  function colourise(bitmap) {
    const c = document.createElement('canvas');
    c.width = bitmap.width;
    c.height = bitmap.height;
    const ctx = c.getContext('2d', { willReadFrequently: true });
    ctx.drawImage(bitmap, 0, 0);
    const img = ctx.getImageData(0, 0, c.width, c.height);
    const d = img.data;
    for (let i = 0; i < d.length; i += 4) {
      const v = d[i];
      if (v === 0) {
        d[i + 3] = 0;
      } else {
        const p = labelColour(v);
        d[i] = p[0]; d[i + 1] = p[1]; d[i + 2] = p[2]; d[i + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    if (bitmap.close) bitmap.close();
    return c;
  }

  // Loads the current slice image (unless already shown) and its label map, and shows both at
  // once. If the user moved on meanwhile, the result is dropped, so nothing flickers.
  async function loadView() {
    if (!state.vol) return;
    const seq = ++viewSeq;
    const key = sliceKey();
    const imageUrl = sliceUrl();
    const reuse = imageUrl === shown.imageUrl && shown.image;
    let image, labels;
    try {
      [image, labels] = await Promise.all([
        reuse ? Promise.resolve(shown.image) : fetchBitmap(imageUrl, false),
        fetchBitmap(volUrl(`labels/${state.axis}/${state.index}.png`), true),
      ]);
    } catch (e) {
      if (seq !== viewSeq) return; // stale: whoever replaced us reports their own errors
      throw e;
    }
    if (seq !== viewSeq) { // stale: drop the bitmaps
      if (image !== shown.image && image.close) image.close();
      if (labels.close) labels.close();
      return;
    }
    if (shown.image && shown.image !== image && shown.image.close) shown.image.close();
    shown.key = key;
    shown.imageUrl = imageUrl;
    shown.image = image;
    shown.labels = colourise(labels);
    shown.rows = image.height;
    shown.cols = image.width;
    shown.zoom = Math.max(1, Math.floor(FIT / Math.max(shown.rows, shown.cols)));
    render();
  }

  function showView() {
    loadView().catch((e) => setStatus(firstLine(e.message), true));
  }

  function render() {
    const cv = el.viewer;
    if (!shown.image) {
      const ctx = cv.getContext('2d');
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, cv.width, cv.height);
      ctx.fillStyle = '#666';
      ctx.font = '14px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('Open a file to start', cv.width / 2, cv.height / 2);
      return;
    }
    const z = shown.zoom;
    const w = shown.cols * z;
    const h = shown.rows * z;
    if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; } // resets the context
    const ctx = cv.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = 1;
    ctx.drawImage(shown.image, 0, 0, w, h);
    if (shown.labels) {
      ctx.globalAlpha = Number(el.opacity.value) / 100;
      ctx.drawImage(shown.labels, 0, 0, w, h);
      ctx.globalAlpha = 1;
    }
    if (shown.key === sliceKey()) drawPrompts(ctx, z);
  }

  function drawPrompts(ctx, z) {
    const rect = (b, dashed) => {
      ctx.save();
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#ffe14d';
      if (dashed) ctx.setLineDash([5, 4]);
      // Inclusive corners: the rectangle covers pixels r0..r1, c0..c1 entirely.
      ctx.strokeRect(b.c0 * z + 1, b.r0 * z + 1, (b.c1 - b.c0 + 1) * z - 2, (b.r1 - b.r0 + 1) * z - 2);
      ctx.restore();
    };
    if (state.box) rect(state.box, false);
    if (drag && drag.moved) rect(boxOf(drag.start, drag.cur), true);
    const radius = Math.max(4, z * 0.6);
    for (const p of state.points) {
      ctx.beginPath();
      ctx.arc((p.c + 0.5) * z, (p.r + 0.5) * z, radius, 0, 2 * Math.PI);
      ctx.fillStyle = p.label === 1 ? '#22d34a' : '#ff3b3b';
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = '#fff';
      ctx.stroke();
    }
  }

  // ---------- slice navigation ----------

  function clearPrompts() {
    state.points = [];
    state.box = null;
    state.segments = 0;
    render();
  }

  function updateSliceLabel() {
    el.sliceLabel.textContent = `${state.index} / ${axisInfo().slices}`;
  }

  function setSlice(index) {
    if (!state.vol) return;
    index = clamp(index, 0, axisInfo().slices - 1);
    if (index === state.index) return;
    state.index = index;
    el.slider.value = String(index);
    updateSliceLabel();
    clearPrompts();
    showView();
  }

  // Switches axis and goes to its middle slice; the caller loads the view.
  function setAxis(axis) {
    state.axis = axis;
    el.axisSelect.value = String(axis);
    const n = axisInfo().slices;
    state.index = Math.floor(n / 2);
    el.slider.max = String(Math.max(0, n - 1));
    el.slider.value = String(state.index);
    updateSliceLabel();
    clearPrompts();
  }

  // ---------- actions ----------

  async function loadFiles() {
    await run('loading file list…', async () => {
      const res = await api('GET', '/api/files');
      const files = Array.isArray(res.files) ? res.files : [];
      el.fileSelect.replaceChildren();
      for (const f of files) el.fileSelect.add(new Option(f, f));
      if (!files.length) el.fileSelect.add(new Option('(no files)', ''));
      state.haveFiles = files.length > 0;
      setStatus(files.length ? `${files.length} file(s) available; choose one and press Open` : 'no files on the server');
    });
  }

  function openSelected() {
    run('opening…', async () => {
      const path = el.fileSelect.value;
      if (!path) throw new Error('no file selected');
      const vol = await api('POST', '/api/volumes', { path });
      const old = state.vol;
      if (old && old.id !== vol.id) api('DELETE', `/api/volumes/${encodeURIComponent(old.id)}`).catch(() => {});
      state.vol = vol;
      state.win = null;
      if (Array.isArray(vol.window)) { el.windowLo.value = vol.window[0]; el.windowHi.value = vol.window[1]; }
      const axis = isImage() || !vol.axes[String(vol.default_axis)] ? Number(Object.keys(vol.axes).pop()) : vol.default_axis;
      const ext = isImage() ? 'png' : 'nii.gz';
      el.downloadLink.href = volUrl(`labels.${ext}`);
      el.downloadLink.setAttribute('download', `${String(vol.name || vol.id).replace(/\.nii(\.gz)?$|\.[^.\/]+$/i, '')}_labels.${ext}`);
      el.downloadSegLink.hidden = !vol.dicom;
      el.downloadSegLink.href = volUrl('labels.dcm');
      el.downloadSegLink.setAttribute('download', `${String(vol.name || vol.id).replace(/\.[^.\/]+$/i, '')}_labels.dcm`);
      el.iou.textContent = 'IoU –';
      setAxis(axis);
      try {
        await loadView();
      } catch (e) {
        shown.image = null; shown.labels = null; shown.key = null; shown.imageUrl = null;
        render();
        throw e;
      }
      const shape = Array.isArray(vol.shape) ? vol.shape.join(' × ') : '?';
      setStatus(`opened ${vol.name || path} (${vol.kind}, ${shape})`);
    });
  }

  function applyWindow() {
    const lo = Number(el.windowLo.value);
    const hi = Number(el.windowHi.value);
    if (el.windowLo.value === '' || el.windowHi.value === '' || !Number.isFinite(lo) || !Number.isFinite(hi) || lo >= hi) {
      setStatus('window: low and high must be numbers with low < high', true);
      return;
    }
    state.win = [lo, hi];
    run('applying window…', async () => {
      await loadView();
      setStatus(`window ${lo} … ${hi}`);
    });
  }

  // Server coordinates: volumes take [row, col], 2-D images take [x, y] = [col, row].
  const toApi = (r, c) => (isImage() ? [c, r] : [r, c]);

  function segment(previous) {
    const label = state.label;
    run('segmenting…', async () => {
      const body = {
        axis: state.axis,
        index: state.index,
        points: state.points.map((p) => [...toApi(p.r, p.c), p.label]),
        box: state.box ? [...toApi(state.box.r0, state.box.c0), ...toApi(state.box.r1, state.box.c1)] : null,
        mask_input: state.segments > 0 ? 'previous' : null,
        multimask: false,
        label,
      };
      let res;
      try {
        res = await api('POST', volUrl('segment'), body);
      } catch (e) {
        // Take back the prompt that failed, so the next request does not resend it.
        state.points = previous.points;
        state.box = previous.box;
        render();
        throw e;
      }
      state.segments++;
      try {
        await loadView();
      } finally {
        const iou = Number(res.iou);
        el.iou.textContent = `IoU ${Number.isFinite(iou) ? iou.toFixed(3) : '?'} · area ${res.area} px`;
        el.lastMask.dataset.iou = String(res.iou);
        el.lastMask.dataset.area = String(res.area);
        el.lastMask.src = 'data:image/png;base64,' + res.mask_png;
      }
      setStatus(`segmented label ${label} on slice ${body.index}`);
    });
  }

  function propagate() {
    const max = Number(el.propagateMax.value);
    if (!Number.isInteger(max) || max < 1) {
      setStatus('max slices must be a positive integer', true);
      return;
    }
    const minIou = el.propagateMinIou.value === '' ? 0 : Number(el.propagateMinIou.value);
    if (!Number.isFinite(minIou) || minIou < 0 || minIou > 1) {
      setStatus('min IoU must be a number from 0 to 1', true);
      return;
    }
    run('propagating…', async () => {
      const res = await api('POST', volUrl('propagate'), {
        axis: state.axis, from: state.index, label: state.label,
        direction: el.propagateDirection.value, max_slices: max, min_iou: minIou,
      });
      const s = Array.isArray(res.slices) ? res.slices : [];
      await loadView();
      setStatus(s.length ? `propagated to slices ${Math.min(...s)}..${Math.max(...s)}` : 'propagated to no slices');
    });
  }

  function undo() {
    run('undoing…', async () => {
      await api('POST', volUrl('undo'));
      await loadView();
      setStatus('undone');
    });
  }

  function describeModel(health) {
    const m = health && health.model;
    if (!m || typeof m !== 'object') return `server ${health && health.status ? health.status : 'up'}`;
    const parts = Object.entries(m).map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : v}`);
    return parts.length ? `model · ${parts.join(' · ')}` : 'model · (no details)';
  }

  // ---------- label input ----------

  function updateSwatch() {
    const [r, g, b] = labelColour(state.label);
    el.labelSwatch.style.background = `rgb(${r}, ${g}, ${b})`;
    el.labelSwatch.title = `label ${state.label}`;
  }

  function onLabelInput(normalise) {
    const v = Number(el.labelInput.value);
    if (Number.isInteger(v) && v >= 1 && v <= 255) {
      if (v !== state.label) {
        state.label = v;
        clearPrompts();
        updateSwatch();
      }
    } else if (normalise) {
      el.labelInput.value = String(state.label); // leave the field on the label in use
    }
  }

  // ---------- mouse on the viewer ----------

  // The slice pixel under the mouse: floor(offset / zoom), clamped to the slice.
  function pixelAt(ev) {
    const rect = el.viewer.getBoundingClientRect();
    const sx = rect.width ? el.viewer.width / rect.width : 1;   // 1 unless CSS scales the canvas
    const sy = rect.height ? el.viewer.height / rect.height : 1;
    const x = (ev.clientX - rect.left) * sx;
    const y = (ev.clientY - rect.top) * sy;
    return {
      r: clamp(Math.floor(y / shown.zoom), 0, shown.rows - 1),
      c: clamp(Math.floor(x / shown.zoom), 0, shown.cols - 1),
    };
  }

  function boxOf(a, b) {
    return { r0: Math.min(a.r, b.r), c0: Math.min(a.c, b.c), r1: Math.max(a.r, b.r), c1: Math.max(a.c, b.c) };
  }

  const canPrompt = () => state.vol && !state.busy && shown.image && shown.key === sliceKey();

  function onMouseDown(ev) {
    if (ev.button !== 0 && ev.button !== 2) return;
    ev.preventDefault();
    if (!canPrompt()) return;
    const p = pixelAt(ev);
    drag = { start: p, cur: p, x: ev.clientX, y: ev.clientY, negative: ev.button === 2 || ev.shiftKey, moved: false };
  }

  function onMouseMove(ev) {
    if (!drag || drag.negative) return; // only a plain left-drag draws a box
    if (!drag.moved && Math.hypot(ev.clientX - drag.x, ev.clientY - drag.y) > DRAG_THRESHOLD) drag.moved = true;
    if (drag.moved) {
      drag.cur = pixelAt(ev);
      render();
    }
  }

  function onMouseUp(ev) {
    if (!drag) return;
    const d = drag;
    drag = null;
    if (!canPrompt()) { render(); return; }
    const previous = { points: state.points.slice(), box: state.box };
    if (d.moved) {
      state.box = boxOf(d.start, pixelAt(ev)); // a new box replaces the old one
    } else {
      state.points.push({ r: d.start.r, c: d.start.c, label: d.negative ? 0 : 1 });
    }
    render();
    segment(previous);
  }

  function onWheel(ev) {
    if (!state.vol) return;
    ev.preventDefault();
    if (state.busy || el.slider.disabled || ev.deltaY === 0) return;
    setSlice(state.index + (ev.deltaY > 0 ? 1 : -1));
  }

  // ---------- wiring ----------

  el.openButton.addEventListener('click', openSelected);
  el.axisSelect.addEventListener('change', () => {
    if (!state.vol) return;
    const axis = Number(el.axisSelect.value);
    if (!state.vol.axes[String(axis)] || axis === state.axis) return;
    setAxis(axis);
    showView();
  });
  el.slider.addEventListener('input', () => setSlice(Number(el.slider.value)));
  el.windowApply.addEventListener('click', applyWindow);
  for (const inp of [el.windowLo, el.windowHi]) {
    inp.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') applyWindow(); });
  }
  el.labelInput.addEventListener('input', () => onLabelInput(false));
  el.labelInput.addEventListener('change', () => onLabelInput(true));
  el.opacity.addEventListener('input', render);
  el.clearButton.addEventListener('click', () => { clearPrompts(); setStatus('prompts cleared'); });
  el.undoButton.addEventListener('click', undo);
  el.propagateButton.addEventListener('click', propagate);
  el.viewer.addEventListener('mousedown', onMouseDown);
  el.viewer.addEventListener('contextmenu', (ev) => ev.preventDefault());
  window.addEventListener('mousemove', onMouseMove);
  window.addEventListener('mouseup', onMouseUp);
  el.viewerWrap.addEventListener('wheel', onWheel, { passive: false });

  updateSwatch();
  updateControls();
  render();
  api('GET', '/api/health')
    .then((h) => { el.modelInfo.textContent = describeModel(h); })
    .catch((e) => { el.modelInfo.textContent = 'server unavailable'; setStatus(firstLine(e.message), true); });
  loadFiles();
})();
