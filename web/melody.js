// Reading a melody for harmonising from a MIDI or MusicXML file, onto the 16th grid: one
// entry per 16th, {token (0 hold, 1 rest, else the MIDI pitch), fermata, position (in the
// bar), fifths (key signature)}. The MIDI reading follows the host's reader
// (host-tools/src/midi/read.rs) step for step, so a melody file gives the page the same
// frames as `kantor harmonize`; the module then prepares it as the host does.

const HOLD = 0;
const REST = 1;

function framesPerBar([numerator, denominator]) {
  return (numerator * 16) / denominator;
}

/** Bar positions, fermatas and keys of `frames` frames from the file's signatures and marks. */
function frameMeta(frames, times, keys, marks) {
  const out = [];
  let t = 0, k = 0, m = 0, bar = 16, position = 0, fifths = 0, fermata = false;
  for (let f = 0; f < frames; f++) {
    while (t < times.length && times[t][0] <= f) { bar = framesPerBar(times[t][1]); position = 0; t++; }
    while (k < keys.length && keys[k][0] <= f) { fifths = keys[k][1]; k++; }
    while (m < marks.length && marks[m][0] <= f) { fermata = marks[m][1]; m++; }
    if (position >= bar) position = 0;
    out.push({ position, fermata, fifths });
    position++;
  }
  return out;
}

/** The signature in force over the most frames. */
function mainTime(times, frames) {
  let best = null;
  times.forEach(([start, sig], i) => {
    const end = Math.max(i + 1 < times.length ? times[i + 1][0] : frames, start);
    if (!best || end - start > best[0]) best = [end - start, sig];
  });
  return best ? best[1] : null;
}

/** An upbeat: a first bar in a signature of its own, shorter than a bar of `time`, sits at the end of such a bar. */
function markUpbeat(meta, times, time) {
  if (times.length < 2 || times[0][0] !== 0) return;
  const first = times[0][1], len = times[1][0];
  const same = first[0] === time[0] && first[1] === time[1];
  if (same || len !== framesPerBar(first) || len >= framesPerBar(time)) return;
  for (let i = 0; i < len && i < meta.length; i++) meta[i].position = framesPerBar(time) - len + i;
}

/** One voice's notes as tokens on the 16th grid (the highest of notes struck together). */
function tokens(notes, frames, frameOf) {
  const q = notes.map((n) => { const start = frameOf(n.start); return [start, Math.max(frameOf(n.end), start + 1), n.key]; });
  q.sort((a, b) => a[0] - b[0] || b[2] - a[2]);
  const uniq = q.filter((n, i) => i === 0 || n[0] !== q[i - 1][0]);
  const out = new Array(frames).fill(HOLD);
  const covered = new Array(frames).fill(false);
  uniq.forEach(([start, end, key], i) => {
    const stop = Math.min(i + 1 < uniq.length ? Math.min(end, uniq[i + 1][0]) : end, frames);
    out[start] = key;
    for (let f = start; f < stop; f++) covered[f] = true;
  });
  for (let f = 0; f < frames; f++) if (!covered[f] && (f === 0 || covered[f - 1])) out[f] = REST;
  return out;
}

function varlen(bytes, at) {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const b = bytes[at.i++];
    v = (v << 7) | (b & 0x7f);
    if (!(b & 0x80)) return v;
  }
  return v;
}

/** A melody from a Standard MIDI File's bytes. */
export function readMidiMelody(bytes) {
  const text = (a, b) => String.fromCharCode(...bytes.subarray(a, b));
  if (bytes.length < 14 || text(0, 4) !== 'MThd') throw new Error('not a Standard MIDI File');
  const u16 = (i) => (bytes[i] << 8) | bytes[i + 1];
  const u32 = (i) => ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
  const division = u16(12);
  if (division & 0x8000) throw new Error('the file is timed in SMPTE frames, not in beats');
  const tpq = division;
  if (tpq === 0) throw new Error('the file states zero ticks per quarter note');
  const groups = [], trackEnds = [], times = [], keys = [], marks = [];
  let at = 8 + u32(4), track = 0;
  while (at + 8 <= bytes.length) {
    const len = u32(at + 4);
    const end = Math.min(at + 8 + len, bytes.length);
    if (text(at, at + 4) !== 'MTrk') { at = at + 8 + len; continue; }
    const p = { i: at + 8 };
    let tick = 0, status = 0;
    while (p.i < end) {
      tick += varlen(bytes, p);
      let b = bytes[p.i];
      if (b >= 0x80) { p.i++; } else { b = status; }
      if (b === 0xff) {
        const type = bytes[p.i++];
        const n = varlen(bytes, p);
        const data = bytes.subarray(p.i, p.i + n);
        p.i += n;
        if (type === 0x58 && n >= 2 && data[1] <= 4 && data[0] > 0) times.push([tick, [data[0], 1 << data[1]]]);
        if (type === 0x59 && n >= 1) { const f = (data[0] << 24) >> 24; if (f >= -7 && f <= 7) keys.push([tick, f]); }
        if (type === 0x06) {
          const t = String.fromCharCode(...data);
          if (t === 'fermata') marks.push([tick, true]);
          else if (t === 'fermata end') marks.push([tick, false]);
        }
        status = 0;
        continue;
      }
      if (b === 0xf0 || b === 0xf7) { const n = varlen(bytes, p); p.i += n; status = 0; continue; }
      status = b;
      const kind = b & 0xf0, channel = b & 0x0f;
      const size = kind === 0xc0 || kind === 0xd0 ? 1 : 2;
      const d = bytes.subarray(p.i, p.i + size);
      p.i += size;
      if (channel === 9 || (kind !== 0x90 && kind !== 0x80)) continue;
      let g = groups.find((x) => x.track === track && x.channel === channel);
      if (!g) { g = { track, channel, notes: [], open: [] }; groups.push(g); }
      if (kind === 0x90 && d[1] > 0) g.open.push([tick, d[0]]);
      else {
        const i = g.open.findIndex(([, k]) => k === d[0]);
        if (i >= 0) { const [start] = g.open.splice(i, 1)[0]; g.notes.push({ start, end: tick, key: d[0] }); }
      }
    }
    for (const g of groups.filter((x) => x.track === track)) {
      for (const [start, key] of g.open) g.notes.push({ start, end: tick, key });
      g.open = [];
    }
    trackEnds.push(tick);
    track++;
    at = at + 8 + len;
  }
  const stable = (list) => list.map((e, i) => [e, i]).sort((a, b) => a[0][0] - b[0][0] || a[1] - b[1]).map(([e]) => e);
  const dedup = (list) => list.filter((e, i) => i === 0 || e[0] !== list[i - 1][0]);
  const sortedTimes = dedup(stable(times));
  const sortedKeys = dedup(stable(keys));
  const sortedMarks = stable(marks);
  const voices = groups.filter((g) => g.notes.length > 0);
  if (voices.length === 0) throw new Error('the file holds no notes: there is no melody to harmonise');
  if (voices.length > 1) throw new Error(`the file holds ${voices.length} voices (tracks or channels); save only the tune in the file`);
  const frameOf = (tick) => Math.floor((tick * 4 + Math.floor(tpq / 2)) / tpq);
  const g = voices[0];
  const lastNote = Math.max(...g.notes.map((n) => Math.max(frameOf(n.end), frameOf(n.start) + 1)));
  const frames = Math.max(lastNote, frameOf(trackEnds[g.track]));
  const toks = tokens(g.notes, frames, frameOf);
  const tf = sortedTimes.map(([t, s]) => [frameOf(t), s]);
  const meta = frameMeta(frames, tf, sortedKeys.map(([t, k]) => [frameOf(t), k]), sortedMarks.map(([t, on]) => [frameOf(t), on]));
  const time = mainTime(tf, frames);
  if (time) markUpbeat(meta, tf, time);
  return { time: time || [4, 4], melody: toks.map((token, i) => ({ token, ...meta[i] })) };
}

const STEPS = { C: 0, D: 2, E: 4, F: 5, G: 7, A: 9, B: 11 };

/**
 * A melody from MusicXML text (one part, one voice), parsed with the browser's DOMParser:
 * notes, rests, ties, fermatas, time and key signatures, an upbeat (a first measure shorter
 * than a bar). Chords keep their top note; durations round to the nearest 16th.
 */
export function readMusicXmlMelody(text, DOMParserImpl = globalThis.DOMParser) {
  const doc = new DOMParserImpl().parseFromString(text, 'application/xml');
  if (doc.getElementsByTagName('parsererror').length) throw new Error('not a MusicXML file');
  const parts = doc.getElementsByTagName('part');
  if (parts.length === 0) throw new Error('the file has no parts: there is no melody to harmonise');
  if (parts.length > 1) throw new Error(`the file has ${parts.length} parts; keep only the melody`);
  const child = (el, tag) => el.getElementsByTagName(tag)[0];
  const num = (el, tag, d = 0) => { const c = child(el, tag); return c ? Number(c.textContent) : d; };
  let divisions = 1, time = null, fifths = 0;
  const out = [];
  let position = 0, bar = 16, first = true, lastPitch = null, tied = false;
  for (const measure of parts[0].getElementsByTagName('measure')) {
    const start = out.length;
    for (const el of measure.children) {
      if (el.tagName === 'attributes') {
        if (child(el, 'divisions')) divisions = num(el, 'divisions', 1);
        if (child(el, 'fifths')) fifths = num(el, 'fifths');
        if (child(el, 'time')) { time = [num(el, 'beats', 4), num(el, 'beat-type', 4)]; bar = framesPerBar(time); }
        continue;
      }
      if (el.tagName === 'backup' || el.tagName === 'forward') continue;
      if (el.tagName !== 'note') continue;
      if (child(el, 'chord') || child(el, 'grace')) continue;
      const voice = child(el, 'voice');
      if (voice && voice.textContent.trim() !== '1') continue;
      const len = Math.max(1, Math.round((num(el, 'duration') * 4) / divisions));
      const fermata = !!child(el, 'fermata');
      const rest = !!child(el, 'rest');
      const ties = [...el.getElementsByTagName('tie')].map((t) => t.getAttribute('type'));
      let token;
      if (rest) { token = REST; lastPitch = null; }
      else {
        const pitch = (num(child(el, 'pitch'), 'octave') + 1) * 12 + STEPS[child(el, 'step').textContent.trim()] + num(child(el, 'pitch'), 'alter');
        token = tied && ties.includes('stop') && pitch === lastPitch ? HOLD : pitch;
        lastPitch = pitch;
      }
      tied = ties.includes('start');
      for (let i = 0; i < len; i++) out.push({ token: i === 0 ? token : HOLD, fermata, fifths, position: 0 });
    }
    const length = out.length - start;
    // A first measure shorter than a bar is an upbeat: it sits at the end of its bar.
    position = first && length < bar ? bar - length : 0;
    for (let i = start; i < out.length; i++) { out[i].position = position % bar; position++; }
    first = false;
  }
  if (!out.some((m) => m.token > REST)) throw new Error('the file holds no notes: there is no melody to harmonise');
  // Rests in a row are one rest.
  for (let i = 1; i < out.length; i++) if (out[i].token === REST && (out[i - 1].token === REST || out[i - 1].restRun)) { out[i].token = HOLD; out[i].restRun = true; }
  return { time: time || [4, 4], melody: out.map(({ token, fermata, position, fifths }) => ({ token, fermata, position, fifths })) };
}

/** A melody from a file's name and bytes. */
export function readMelody(name, bytes) {
  if (/\.(mid|midi|smf)$/i.test(name)) return readMidiMelody(bytes);
  if (/\.(musicxml|xml)$/i.test(name)) return readMusicXmlMelody(new TextDecoder().decode(bytes));
  throw new Error(`${name}: use a .mid or a .musicxml file`);
}
