// The page: a form, a worker that composes, the score (OpenSheetMusicDisplay), a piano
// roll, an organ in Web Audio, Web MIDI out, downloads, harmonising an uploaded melody and
// the endless chorale.
import { keyFifths } from './kantor.js';
import { readMelody } from './melody.js';
import { Organ } from './audio.js';

const $ = (id) => document.getElementById(id);
const status = $('status');
const organ = new Organ();
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const pending = new Map();
let nextId = 1;
let piece = null; // {frames, midi, musicxml, tempo, title}
let melody = null;
let osmd = null;
let endless = null;
let playing = null;

/** Exposed for tests and the curious: the last piece and how long it took. */
window.kantorPage = { piece: null, ms: null, kernels: null, audioState: () => organ.ctx?.state ?? 'none' };

function say(text, error = false) {
  status.textContent = text;
  status.classList.toggle('error', error);
}

function request(type, args) {
  const id = nextId++;
  worker.postMessage({ id, type, args });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

worker.onmessage = ({ data }) => {
  const p = pending.get(data.id);
  if (data.type === 'progress') {
    if (!p) return;
    $('progress').hidden = false;
    $('progress').max = data.total;
    $('progress').value = data.done;
    return;
  }
  if (!p) return;
  pending.delete(data.id);
  $('progress').hidden = true;
  if (data.type === 'error') p.reject(new Error(data.message));
  else p.resolve(data);
};

function seed() {
  const text = $('seed').value.trim();
  if (!/^[0-9]{1,20}$/.test(text) || BigInt(text) >= 2n ** 64n) throw new Error('the seed is a whole number from 0 to 18446744073709551615');
  return BigInt(text);
}

function settings() {
  const s = {};
  for (const k of ['levels', 'steps', 'refine', 'temperature']) if ($(k).value !== '') s[k] = $(k).value;
  return s;
}

function form() {
  const mode = Number($('mode').value);
  const time = $('time').value.split('/').map(Number);
  return {
    fifths: keyFifths($('tonic').value, mode),
    mode,
    bars: Number($('bars').value),
    time,
    pickup: Number($('pickup').value),
    fermataEvery: Number($('fermata').value),
    tempo: Number($('tempo').value),
    seed: seed(),
    settings: settings(),
  };
}

function busy(on) {
  for (const id of ['compose', 'harmonize']) $(id).disabled = on || (id === 'harmonize' && !melody);
  document.body.dataset.busy = on ? 'yes' : 'no';
}

function link(id, bytes, type, name) {
  const a = $(id);
  if (a.href) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([bytes], { type }));
  a.download = name;
  a.classList.remove('disabled');
  a.removeAttribute('aria-disabled');
}

async function show(result, tempo, title) {
  piece = { ...result, tempo, title };
  window.kantorPage.piece = piece;
  link('download-midi', result.midi, 'audio/midi', `${title}.mid`);
  link('download-xml', result.musicxml, 'application/vnd.recordare.musicxml+xml', `${title}.musicxml`);
  $('play').disabled = false;
  drawRoll(result.frames);
  await drawScore(result.musicxml);
}

async function drawScore(xml) {
  const OSMD = globalThis.opensheetmusicdisplay;
  if (!OSMD) { $('score').textContent = 'The score needs OpenSheetMusicDisplay (vendor/); the piano roll below shows the piece.'; return; }
  if (!osmd) osmd = new OSMD.OpenSheetMusicDisplay($('score'), { backend: 'svg', autoResize: true, drawTitle: false, drawingParameters: 'compacttight' });
  await osmd.load(xml);
  osmd.render();
  document.body.dataset.score = 'drawn';
}

const COLOURS = ['#7a2e1d', '#c9822b', '#2f6f5e', '#1d4e7a'];

function drawRoll(frames) {
  const c = $('roll');
  const w = (c.width = Math.max(c.clientWidth, 300) * devicePixelRatio);
  const h = (c.height = 240 * devicePixelRatio);
  const g = c.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, w, h);
  const lo = 34, hi = 82, dx = w / Math.max(frames.length, 1), dy = h / (hi - lo);
  g.fillStyle = '#eee';
  frames.forEach((f, i) => { if (f.position === 0) g.fillRect(i * dx, 0, 1, h); if (f.fermata) { g.fillStyle = '#f6eedd'; g.fillRect(i * dx, 0, dx, h); g.fillStyle = '#eee'; } });
  for (let v = 0; v < 4; v++) {
    g.fillStyle = COLOURS[v];
    let start = -1, pitch = 0;
    const end = (i) => { if (start >= 0) g.fillRect(start * dx + 1, h - (pitch - lo + 1) * dy, (i - start) * dx - 2, dy - 1); start = -1; };
    frames.forEach((f, i) => { const t = f.tokens[v]; if (t !== 0) end(i); if (t > 1) { start = i; pitch = t; } });
    end(frames.length);
  }
}

/** Runs a request in the worker with the form locked, then shows its piece. */
async function run(what, type, args, describe, title) {
  stop();
  busy(true);
  say(`${what}…`);
  try {
    const done = await request(type, args);
    window.kantorPage.ms = done.ms;
    window.kantorPage.kernels = done.kernels;
    say(`${describe(done)} in ${(done.ms / 1000).toFixed(2)} s (seed ${args.seed}, ${done.result.evaluations} network evaluations, ${done.kernels} kernels).`);
    await show(done.result, args.tempo, title);
  } catch (e) {
    say(e.message, true);
  } finally {
    busy(false);
  }
}

function compose(event) {
  event?.preventDefault();
  let args;
  try { args = form(); } catch (e) { say(e.message, true); return; }
  const key = `${$('tonic').value}${args.mode ? ' minor' : ' major'}`;
  return run('Composing', 'compose', args, () => `Composed ${args.bars} bars in ${key}`, `kantor-seed-${args.seed}`);
}

function harmonize() {
  if (!melody) return;
  let args;
  try {
    // The key and mode are found from the melody, as `kantor harmonize` finds them.
    args = { melody: melody.melody, time: melody.time, fermataEvery: Number($('fermata').value), mode: 2, tempo: Number($('tempo').value), seed: seed(), settings: settings() };
  } catch (e) { say(e.message, true); return; }
  return run('Harmonising', 'harmonize', args, () => `Harmonised ${melody.name}`, `${melody.name.replace(/\.[^.]*$/, '')}-harmonised`);
}

async function play() {
  if (!piece) return;
  stop();
  await organ.start();
  const end = organ.play(piece.frames, piece.tempo);
  document.body.dataset.playing = 'yes';
  $('stop').disabled = false;
  const ms = (end - organ.ctx.currentTime) * 1000;
  playing = setTimeout(() => { document.body.dataset.playing = 'no'; $('stop').disabled = true; }, ms);
  say(`Playing (${Math.round(ms / 1000)} s).`);
}

function stop() {
  if (playing) clearTimeout(playing);
  playing = null;
  if (endless) endless.stopped = true;
  endless = null;
  organ.stop();
  document.body.dataset.playing = 'no';
  $('stop').disabled = true;
  $('endless').textContent = 'Endless chorale';
}

/** The endless chorale: each phrase composed while the one before plays. */
async function startEndless() {
  if (endless) { stop(); say('Stopped.'); return; }
  stop();
  let args;
  try { args = form(); } catch (e) { say(e.message, true); return; }
  await organ.start();
  const run = { stopped: false, at: organ.ctx.currentTime + 0.1, phrases: 0 };
  endless = run;
  $('endless').textContent = 'Stop the endless chorale';
  $('stop').disabled = false;
  document.body.dataset.playing = 'yes';
  await request('endless-start', args);
  while (!run.stopped) {
    const done = await request('endless-next', { settings: args.settings });
    if (run.stopped) break;
    const late = run.at < organ.ctx.currentTime;
    run.at = organ.play(done.result.frames, args.tempo, late ? organ.ctx.currentTime + 0.05 : run.at);
    run.phrases++;
    drawRoll(done.result.frames);
    say(`Endless chorale: phrase ${run.phrases} (composed in ${(done.ms / 1000).toFixed(2)} s).`);
    // Compose the next one while this plays, starting a phrase ahead.
    const ahead = run.at - organ.ctx.currentTime - 8;
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead * 1000));
  }
}

async function chooseMelody() {
  const file = $('melody').files[0];
  melody = null;
  $('harmonize').disabled = true;
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    melody = { ...readMelody(file.name, bytes), name: file.name };
    $('harmonize').disabled = false;
    say(`${file.name}: ${melody.melody.length} 16ths in ${melody.time.join('/')}. Press Harmonise.`);
  } catch (e) {
    say(`${file.name}: ${e.message}`, true);
  }
}

async function midiOut() {
  if (!navigator.requestMIDIAccess) return;
  try {
    const access = await navigator.requestMIDIAccess();
    const select = $('midi-port');
    const fill = () => {
      const chosen = select.value;
      select.length = 1;
      for (const out of access.outputs.values()) select.add(new Option(out.name, out.id));
      select.value = chosen;
      $('midi-out').hidden = access.outputs.size === 0;
    };
    fill();
    access.onstatechange = fill;
    select.onchange = () => { organ.midi = select.value ? access.outputs.get(select.value) : null; };
  } catch {
    // No permission or no MIDI: the organ plays.
  }
}

$('settings').addEventListener('submit', compose);
$('play').addEventListener('click', play);
$('stop').addEventListener('click', () => { stop(); say('Stopped.'); });
$('endless').addEventListener('click', startEndless);
$('harmonize').addEventListener('click', harmonize);
$('melody').addEventListener('change', chooseMelody);
$('dice').addEventListener('click', () => { $('seed').value = String(crypto.getRandomValues(new Uint32Array(1))[0]); });
midiOut();
if ('serviceWorker' in navigator && location.protocol !== 'file:') navigator.serviceWorker.register('sw.js').catch(() => {});

request('kernels').then((done) => {
  window.kantorPage.kernels = done.result.kernels;
  document.body.dataset.ready = 'yes';
  say(`Ready (${done.result.kernels} kernels). Choose a key and press Compose.`);
}, (e) => say(`The composer could not start: ${e.message}`, true));
