// keyswap's control panel: controls generated from the server's settings schema, a live MJPEG
// preview, and the JSON API of `keyswap serve` (docs/PANEL.md). No framework: the page must
// work from the binary alone, offline.
'use strict';

const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);

// Every request carries the token when the panel was opened with one.
function api(path) {
  if (!token) return path;
  return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
}

function status(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.className = isError ? 'error' : '';
}

async function call(path, options = {}) {
  const res = await fetch(api(path), options);
  const type = res.headers.get('Content-Type') || '';
  const body = type.includes('json') ? await res.json() : null;
  if (!res.ok) throw new Error((body && body.error) || `HTTP ${res.status}`);
  return body;
}

const postJson = (path, value) =>
  call(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(value) });

// ---- settings ---------------------------------------------------------------------------

let schema = null;   // {groups: [...]}
let doc = {};        // the settings document as the server accepted it
const controls = {}; // key -> {group, param, set(value)}

function valueOf(group, param) {
  const g = doc[group.name];
  return g && param.key in g ? g[param.key] : param.default;
}

let sendTimer = null;
function send(delay = 0) {
  clearTimeout(sendTimer);
  sendTimer = setTimeout(async () => {
    try {
      doc = await postJson('/api/settings', doc);
      status('applied');
    } catch (e) {
      status(e.message, true);
      await loadSettings();  // put the controls back to what the server has
    }
  }, delay);
}

function setValue(group, key, value, delay) {
  if (!doc[group.name]) {
    if (group.optional) return;  // a stage that is off keeps its controls until switched on
    doc[group.name] = {};
  }
  doc[group.name][key] = value;
  send(delay);
}

function stepOf(p) {
  if (p.type === 'int') return 1;
  const span = p.max - p.min;
  const raw = span / 200;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
}

// The screen's colour: auto, green, blue or a #RRGGBB with a picker and the eyedropper.
function screenControl(group, p, row) {
  const sel = document.createElement('select');
  sel.id = 'ctl-' + p.key;
  sel.dataset.key = p.key;
  for (const v of ['auto', 'green', 'blue', 'custom']) sel.add(new Option(v, v));
  const colour = document.createElement('input');
  colour.type = 'color';
  colour.id = 'ctl-' + p.key + '-colour';
  colour.setAttribute('aria-label', 'Screen colour');
  const drop = eyedropButton(p.key, (hex) => { colour.value = hex.toLowerCase(); sel.value = 'custom'; apply(); });
  const apply = () => {
    colour.hidden = sel.value !== 'custom';
    setValue(group, p.key, sel.value === 'custom' ? colour.value.toUpperCase() : sel.value, 0);
  };
  sel.addEventListener('change', apply);
  colour.addEventListener('change', apply);
  row.append(sel, colour, drop);
  return (v) => {
    const named = ['auto', 'green', 'blue'].includes(v);
    sel.value = named ? v : 'custom';
    if (!named && /^#?[0-9a-f]{6}$/i.test(v)) colour.value = ('#' + v.replace('#', '')).toLowerCase();
    colour.hidden = named;
  };
}

let eyedropper = null;  // the callback the next click on the preview feeds
function eyedropButton(key, done) {
  const b = document.createElement('button');
  b.type = 'button';
  b.id = 'eyedrop-' + key;
  b.textContent = 'Pick';
  b.title = 'Click, then click the backdrop in the preview';
  b.addEventListener('click', () => {
    arm(eyedropper && eyedropper.button === b ? null : { button: b, done }, null);
  });
  return b;
}

function buildControl(group, p) {
  const row = document.createElement('div');
  row.className = 'row';
  row.id = 'row-' + p.key;
  row.title = p.help || '';
  const label = document.createElement('label');
  label.htmlFor = 'ctl-' + p.key;
  label.textContent = p.label + (p.unit ? ` (${p.unit})` : '');
  row.append(label);
  let set;
  if (group.name === 'key' && p.key === 'key') {
    set = screenControl(group, p, row);
  } else if (p.type === 'bool') {
    const c = document.createElement('input');
    c.type = 'checkbox';
    c.addEventListener('change', () => setValue(group, p.key, c.checked, 0));
    row.append(c);
    set = (v) => { c.checked = !!v; };
    tag(c, p);
  } else if ((p.type === 'int' || p.type === 'float') && p.max > p.min) {
    const r = document.createElement('input');
    r.type = 'range';
    r.min = p.min; r.max = p.max; r.step = stepOf(p);
    const n = document.createElement('input');
    n.type = 'number';
    n.min = p.min; n.max = p.max; n.step = r.step;
    n.setAttribute('aria-label', p.label + ' value');
    const num = (x) => (p.type === 'int' ? Math.round(Number(x)) : Number(x));
    r.addEventListener('input', () => { n.value = r.value; setValue(group, p.key, num(r.value), 120); });
    r.addEventListener('change', () => { n.value = r.value; setValue(group, p.key, num(r.value), 0); });
    n.addEventListener('change', () => { r.value = n.value; setValue(group, p.key, num(n.value), 0); });
    row.append(r, n);
    set = (v) => { r.value = v; n.value = v; };
    tag(r, p);
  } else if (p.type === 'choice') {
    const s = document.createElement('select');
    for (const c of p.choices) s.add(new Option(c, c));
    s.addEventListener('change', () => setValue(group, p.key, s.value, 0));
    row.append(s);
    set = (v) => { s.value = v; };
    tag(s, p);
  } else if (p.type === 'color') {
    const c = document.createElement('input');
    c.type = 'color';
    c.addEventListener('change', () => setValue(group, p.key, c.value.toUpperCase(), 0));
    row.append(c, eyedropButton(p.key, (hex) => { c.value = hex.toLowerCase(); setValue(group, p.key, hex, 0); }));
    set = (v) => { if (/^#[0-9a-f]{6}$/i.test(v)) c.value = v.toLowerCase(); };
    tag(c, p);
  } else {
    const t = document.createElement('input');
    t.type = 'text';
    const list = p.type === 'list';
    t.addEventListener('change', () => {
      const v = list ? t.value.split(',').map((s) => s.trim()).filter(Boolean) : t.value;
      setValue(group, p.key, v, 0);
    });
    row.append(t);
    set = (v) => { t.value = Array.isArray(v) ? v.join(', ') : (v ?? ''); };
    tag(t, p);
  }
  if (p.runtime === false) {
    const m = document.createElement('span');
    m.className = 'restart';
    m.textContent = '(restarts stage)';
    row.append(m);
  }
  controls[p.key] = { group, param: p, set };
  return row;
}

function tag(el, p) {
  el.id = 'ctl-' + p.key;
  el.dataset.key = p.key;
}

function buildGroups() {
  const host = $('groups');
  host.textContent = '';
  for (const g of schema.groups) {
    const fs = document.createElement('fieldset');
    fs.className = 'group';
    fs.id = 'group-' + g.name;
    const legend = document.createElement('legend');
    if (g.optional) {
      const on = document.createElement('input');
      on.type = 'checkbox';
      on.id = 'on-' + g.name;
      on.addEventListener('change', () => {
        if (on.checked) {
          // Switched on with what its controls show (defaults unless changed before).
          doc[g.name] = {};
          for (const p of g.params) doc[g.name][p.key] = valueOf({ name: '' }, p);
        } else {
          delete doc[g.name];
        }
        fs.classList.toggle('off', !on.checked);
        send(0);
      });
      const l = document.createElement('label');
      l.htmlFor = on.id;
      l.textContent = g.title;
      legend.append(on, l);
    } else {
      legend.textContent = g.title;
    }
    fs.append(legend);
    for (const p of g.params) fs.append(buildControl(g, p));
    host.append(fs);
  }
}

function showSettings() {
  for (const g of schema.groups) {
    const on = $('on-' + g.name);
    if (on) {
      on.checked = !!doc[g.name];
      $('group-' + g.name).classList.toggle('off', !on.checked);
    }
    for (const p of g.params) controls[p.key].set(valueOf(g, p));
  }
}

async function loadSettings() {
  doc = await call('/api/settings');
  showSettings();
}

// ---- preview ----------------------------------------------------------------------------

function view() { return document.querySelector('input[name=view]:checked').value; }

function startPreview() {
  const img = $('preview');
  img.src = api(`/stream.mjpg?view=${view()}&width=${$('preview-size').value}&t=${Date.now()}`);
}

let retry = null;
$('preview').addEventListener('error', () => {
  status('preview stream lost; retrying', true);
  clearTimeout(retry);
  retry = setTimeout(startPreview, 2000);
});
for (const id of ['view-result', 'view-matte', 'view-split']) $(id).addEventListener('change', startPreview);
$('preview-size').addEventListener('change', startPreview);

// Armed clicks on the preview: the eyedropper or the reference face.
let pickReference = false;
function arm(dropper, reference) {
  if (eyedropper) eyedropper.button.classList.remove('armed');
  eyedropper = dropper;
  if (eyedropper) eyedropper.button.classList.add('armed');
  pickReference = !!reference;
  $('pick-reference').classList.toggle('armed', pickReference);
  $('pick-hint').textContent = eyedropper ? 'click the backdrop' : pickReference ? 'click a face' : '';
}

// Where on the picture (0..1) a click landed. The picture is letterboxed in its box
// (object-fit: contain), so the margins are taken off first. The split view is a wipe over
// one picture, so its coordinates are the same.
function pointOnPicture(e) {
  const img = e.target;
  const r = img.getBoundingClientRect();
  const scale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
  const w = img.naturalWidth * scale, h = img.naturalHeight * scale;
  const x = (e.clientX - r.left - (r.width - w) / 2) / w;
  const y = (e.clientY - r.top - (r.height - h) / 2) / h;
  return { x: Math.min(1, Math.max(0, x)), y: Math.min(1, Math.max(0, y)) };
}

$('preview').addEventListener('click', async (e) => {
  const at = pointOnPicture(e);
  try {
    if (eyedropper) {
      const { done } = eyedropper;
      arm(null, null);
      const s = await call(`/api/sample?x=${at.x.toFixed(4)}&y=${at.y.toFixed(4)}`);
      done(s.hex);
      status(`sampled ${s.hex}`);
    } else if (pickReference) {
      arm(null, null);
      const r = await postJson('/api/reference', at);
      doc = r.settings;
      showSettings();
      const img = $('reference-crop');
      img.src = api(r.crop + '?t=' + Date.now());
      img.hidden = false;
      status('reference face set: only that person is swapped');
    }
  } catch (err) {
    status(err.message, true);
  }
});
$('pick-reference').addEventListener('click', () => arm(null, !pickReference));

// ---- source faces -----------------------------------------------------------------------

function showFaces(list) {
  const host = $('faces');
  host.textContent = '';
  const chosen = doc.face && doc.face.source ? doc.face.source[0] : null;
  for (const photo of list.photos) {
    for (const f of photo.faces) {
      const img = document.createElement('img');
      img.className = 'face-crop';
      img.src = api(f.crop);
      img.alt = `${photo.name}, face ${f.index + 1}`;
      img.title = img.alt;
      img.dataset.photo = photo.id;
      img.dataset.face = f.index;
      if (chosen && chosen.includes(photo.id)) img.classList.add('selected');
      img.addEventListener('click', async () => {
        try {
          doc = await postJson('/api/source', { photo: photo.id, face: f.index });
          showSettings();
          for (const o of host.querySelectorAll('.face-crop')) o.classList.toggle('selected', o === img);
          status(`swapping in ${img.alt}`);
        } catch (err) {
          status(err.message, true);
        }
      });
      host.append(img);
    }
    if (!photo.faces.length) status(`no face found in ${photo.name}`, true);
  }
}

let uploading = false;  // the file box's change and the button must not send the same photos twice
async function upload() {
  const files = $('face-upload').files;
  if (!files.length || uploading) return;
  uploading = true;
  const form = new FormData();
  for (const f of files) form.append('photo', f, f.name);
  try {
    status('uploading…');
    showFaces(await call('/api/faces', { method: 'POST', body: form }));
    status('uploaded: click a face to swap it in');
  } catch (err) {
    status(err.message, true);
  }
  $('face-upload').value = '';
  uploading = false;
}
$('face-upload').addEventListener('change', upload);
$('face-upload-btn').addEventListener('click', upload);

// ---- input, outputs, file jobs ----------------------------------------------------------

function commaList(text) { return text.split(',').map((s) => s.trim()).filter(Boolean); }

async function action(fn, done) {
  try {
    await fn();
    if (done) status(done);
  } catch (err) {
    status(err.message, true);
  }
}

$('input-open').addEventListener('click', () => action(async () => {
  const r = await postJson('/api/input', { input: $('input-path').value.trim() });
  $('input-name').textContent = r.input;
  startPreview();
}, 'input opened'));
$('live-start').addEventListener('click', () => action(() => postJson('/api/live', { outputs: commaList($('live-outputs').value) }), 'live outputs started'));
$('live-stop').addEventListener('click', () => action(() => postJson('/api/live/stop', {}), 'live outputs stopped'));
$('process-start').addEventListener('click', () => action(() => postJson('/api/process', { output: $('process-output').value.trim() }), 'processing…'));
$('process-stop').addEventListener('click', () => action(() => postJson('/api/process/stop', {}), 'cancelling…'));

// ---- settings files ---------------------------------------------------------------------

function showFiles(files) {
  const sel = $('settings-files');
  sel.textContent = '';
  for (const f of files) sel.add(new Option(f, f));
}
$('settings-save').addEventListener('click', () => action(async () => {
  showFiles((await postJson('/api/settings/save', { name: $('settings-name').value.trim() })).files);
}, 'saved'));
$('settings-load').addEventListener('click', () => action(async () => {
  doc = await postJson('/api/settings/load', { name: $('settings-files').value });
  showSettings();
}, 'loaded'));
$('settings-export').href = api('/api/settings?download=1');
$('settings-import').addEventListener('change', () => action(async () => {
  const file = $('settings-import').files[0];
  if (!file) return;
  const text = await file.text();
  let imported;
  try {
    imported = JSON.parse(text);
  } catch {
    throw new Error(`${file.name} is not JSON`);
  }
  delete imported['keyswap-settings'];
  for (const k of Object.keys(imported)) if (!schema.groups.some((g) => g.name === k)) delete imported[k];
  doc = await postJson('/api/settings', imported);
  showSettings();
  $('settings-import').value = '';
}, 'imported'));

// ---- stats ------------------------------------------------------------------------------

const fmt = (x, d = 1) => (typeof x === 'number' ? x.toFixed(d) : '–');
async function pollStats() {
  try {
    const s = await call('/api/stats');
    const stages = Object.entries(s.stages_ms || {}).map(([k, v]) => `${k} ${fmt(v)}`).join(' · ');
    $('stats').textContent =
      `${fmt(s.fps)} fps · latency p50 ${fmt(s.latency_ms.p50)} / p95 ${fmt(s.latency_ms.p95)} / p99 ${fmt(s.latency_ms.p99)} ms` +
      ` · dropped ${s.dropped} · ${s.width}×${s.height}` + (stages ? ` · ms: ${stages}` : '') +
      (s.live && s.live.running ? ` · live: ${s.live.outputs.map((o) => `${o.name} (${o.state})`).join(', ')}` : '');
    $('input-name').textContent = s.input || '';
    if (s.error) status(s.error, true);
    const job = s.job;
    $('job-progress').value = job ? job.progress : 0;
    $('job-state').textContent = !job ? '' : job.state === 'done' ? `done: ${job.output}` :
      job.state === 'failed' ? `failed: ${job.error}` : `${job.state} ${Math.round(job.progress * 100)}%`;
  } catch (err) {
    status('server not answering: ' + err.message, true);
  }
}

// ---- start ------------------------------------------------------------------------------

(async () => {
  try {
    schema = await call('/api/schema');
    buildGroups();
    await loadSettings();
    showFaces(await call('/api/faces'));
    showFiles((await call('/api/settings/files')).files);
    startPreview();
    setInterval(pollStats, 1000);
    pollStats();
    status('ready');
  } catch (err) {
    status(err.message, true);
  }
})();
