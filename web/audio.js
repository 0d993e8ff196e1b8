// Hearing a chorale: an organ voice in Web Audio, and Web MIDI out where the browser has
// it. Timing follows the MIDI file: a 16th lasts a quarter of a beat at the tempo, and a
// frame under a fermata twice as long (the core's Performance: fermata_percent 200).

const FERMATA = 2;

/** The notes of `frames` as {voice, pitch, start, end} in seconds from `t0`, and the end time. */
export function schedule(frames, tempo, t0 = 0) {
  const sixteenth = 60 / tempo / 4;
  const notes = [];
  const open = [null, null, null, null];
  let t = t0;
  const close = (v, at) => { if (open[v]) { open[v].end = at; notes.push(open[v]); open[v] = null; } };
  for (const f of frames) {
    for (let v = 0; v < 4; v++) {
      const tok = f.tokens[v];
      if (tok !== 0) close(v, t);
      if (tok > 1) open[v] = { voice: v, pitch: tok, start: t, end: t };
    }
    t += sixteenth * (f.fermata ? FERMATA : 1);
  }
  for (let v = 0; v < 4; v++) close(v, t);
  return { notes, end: t };
}

/** Frequencies of an organ's pipes above the fundamental (8′, 4′, 2⅔′, 2′) and their levels. */
const PIPES = [[1, 0.55], [2, 0.3], [3, 0.12], [4, 0.1], [6, 0.04]];

export class Organ {
  constructor() {
    this.ctx = null;
    this.out = null;
    this.midi = null;
  }

  context() {
    if (!this.ctx) {
      const Ctx = globalThis.AudioContext || globalThis.webkitAudioContext;
      this.ctx = new Ctx();
    }
    return this.ctx;
  }

  /** Starts the audio (browsers allow it only after a gesture). */
  async start() {
    const ctx = this.context();
    if (ctx.state !== 'running') await ctx.resume();
    if (!this.out) this.newOutput();
    return ctx;
  }

  newOutput() {
    const ctx = this.ctx;
    this.out = ctx.createGain();
    this.out.gain.value = 0.18;
    const comp = ctx.createDynamicsCompressor();
    this.out.connect(comp).connect(ctx.destination);
    const real = new Float32Array(8), imag = new Float32Array(8);
    for (const [h, a] of PIPES) imag[h] = a;
    this.wave = ctx.createPeriodicWave(real, imag);
  }

  /** Plays `frames` from context time `at` (default: now); returns when it ends. */
  play(frames, tempo, at) {
    const ctx = this.ctx;
    const start = at ?? ctx.currentTime + 0.05;
    const { notes, end } = schedule(frames, tempo, start);
    for (const n of notes) this.note(n);
    if (this.midi) this.sendMidi(notes, start);
    return end;
  }

  note({ voice, pitch, start, end }) {
    const ctx = this.ctx;
    const osc = ctx.createOscillator();
    osc.setPeriodicWave(this.wave);
    osc.frequency.value = 440 * 2 ** ((pitch - 69) / 12);
    const g = ctx.createGain();
    const level = voice === 0 || voice === 3 ? 0.3 : 0.24;
    g.gain.setValueAtTime(0, start);
    g.gain.linearRampToValueAtTime(level, start + 0.02);
    g.gain.setValueAtTime(level, Math.max(start + 0.02, end - 0.03));
    g.gain.linearRampToValueAtTime(0, end);
    osc.connect(g).connect(this.out);
    osc.start(start);
    osc.stop(end + 0.01);
  }

  /** The same notes to the chosen Web MIDI output, channel per voice, church organ. */
  sendMidi(notes, start) {
    const ctx = this.ctx;
    const base = performance.now() + (start - ctx.currentTime) * 1000;
    for (let v = 0; v < 4; v++) this.midi.send([0xc0 | v, 19]);
    for (const n of notes) {
      const vel = n.voice === 0 || n.voice === 3 ? 90 : 80;
      this.midi.send([0x90 | n.voice, n.pitch, vel], base + (n.start - start) * 1000);
      this.midi.send([0x90 | n.voice, n.pitch, 0], base + (n.end - start) * 1000 - 1);
    }
  }

  /** Stops at once: every scheduled note, and "all notes off" on the MIDI output. */
  stop() {
    if (this.out) {
      this.out.disconnect();
      this.out = null;
      if (this.ctx) this.newOutput();
    }
    if (this.midi) {
      if (this.midi.clear) this.midi.clear();
      for (let v = 0; v < 4; v++) this.midi.send([0xb0 | v, 123, 0]);
    }
  }
}
