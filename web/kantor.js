// Kantor's WebAssembly module, wrapped: the same code runs in the page's worker and in
// Node.js (the tests). Everything it returns is copied out of the module's memory.

const decoder = new TextDecoder();

/** Loads the module from its bytes; `onProgress(done, total)` hears of every network evaluation. */
export async function loadKantor(bytes, onProgress = () => {}) {
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { kantor_progress: (done, total) => onProgress(done, total) },
  });
  return new Kantor(instance.exports);
}

/** The sampler settings a form holds, as the `key=value` text the core reads. */
export function settingsText(settings = {}) {
  return Object.entries(settings)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

export class Kantor {
  constructor(exports) {
    this.k = exports;
    this.frameBytes = exports.kantor_frame_bytes();
  }

  bytes(ptr, len) {
    return new Uint8Array(this.k.memory.buffer, ptr, len).slice();
  }

  message() {
    return decoder.decode(this.bytes(this.k.kantor_message(), this.k.kantor_message_len()));
  }

  /** Writes the settings text at the start of the input buffer; returns its length. */
  writeSettings(settings) {
    const text = new TextEncoder().encode(settingsText(settings));
    if (text.length >= this.k.kantor_melody_offset()) throw new Error('the sampler settings are too long');
    new Uint8Array(this.k.memory.buffer, this.k.kantor_input(), text.length).set(text);
    return text.length;
  }

  /** The result of the last call: frames, MIDI bytes, MusicXML text, evaluations. */
  result(n) {
    if (!n) throw new Error(this.message());
    const k = this.k;
    const raw = this.bytes(k.kantor_frames(), n * this.frameBytes);
    const frames = [];
    for (let i = 0; i < n; i++) {
      const b = raw.subarray(i * this.frameBytes, (i + 1) * this.frameBytes);
      frames.push({ tokens: [b[0], b[1], b[2], b[3]], position: b[4], fermata: b[5] === 1, fifths: (b[6] << 24) >> 24, mode: b[7] });
    }
    return {
      frames,
      midi: this.bytes(k.kantor_midi(), k.kantor_midi_len()),
      musicxml: decoder.decode(this.bytes(k.kantor_musicxml(), k.kantor_musicxml_len())),
      evaluations: k.kantor_evaluations(),
    };
  }

  /**
   * Composes a chorale, as `kantor generate --engine int8` does with the same settings.
   * `time` is [numerator, denominator]; `pickup` in 16ths; `seed` a BigInt or number;
   * `settings` sampler overrides (levels, steps, refine, temperature, …).
   */
  compose({ fifths = 0, mode = 0, bars = 16, time = [4, 4], pickup = 0, fermataEvery = 2, tempo = 80, seed = 1n, settings = {} }) {
    const len = this.writeSettings(settings);
    const n = this.k.kantor_compose(fifths, mode, bars, time[0], time[1], pickup, fermataEvery, tempo, BigInt.asUintN(64, BigInt(seed)), len);
    return this.result(n);
  }

  /**
   * Harmonises a melody as `kantor harmonize --engine int8` does: `melody` is one entry
   * per 16th as read from its file, {token (0 hold, 1 rest, else the pitch), fermata,
   * position (in the bar), fifths}. The module moves it by octaves into the soprano's
   * range, ends it with its last bar and marks phrase ends every `fermataEvery` bars if
   * the file marks none. `mode` 0 or 1 asks for the major or minor key of the melody's
   * signature; 2 (the default) finds the key and mode from the melody, as `kantor
   * harmonize` does.
   */
  harmonize({ melody, time = [4, 4], fermataEvery = 2, mode = 2, tempo = 80, seed = 1n, settings = {} }) {
    const len = this.writeSettings(settings);
    const per = this.k.kantor_melody_bytes();
    const at = this.k.kantor_input() + this.k.kantor_melody_offset();
    const room = this.k.kantor_input_capacity() - this.k.kantor_melody_offset();
    if (per * melody.length > room) throw new Error('the melody is too long');
    const buf = new Uint8Array(this.k.memory.buffer, at, per * melody.length);
    melody.forEach((m, i) => {
      buf.set([m.token, m.fermata ? 1 : 0, m.position, m.fifths & 0xff], per * i);
    });
    const n = this.k.kantor_harmonize(melody.length, time[0], time[1], fermataEvery, mode, tempo, BigInt.asUintN(64, BigInt(seed)), len);
    return this.result(n);
  }

  /** Starts an endless chorale (two-bar phrases, each continuing the last bar of the one before). */
  endlessStart({ fifths = 0, mode = 0, time = [4, 4], tempo = 80, seed = 1n }) {
    if (!this.k.kantor_endless_start(fifths, mode, time[0], time[1], tempo, BigInt.asUintN(64, BigInt(seed)))) throw new Error(this.message());
  }

  /** The next phrase of the endless chorale. */
  endlessNext(settings = {}) {
    return this.result(this.k.kantor_endless_next(this.writeSettings(settings)));
  }

  /** The kernel set the engine runs with. */
  kernels() {
    this.k.kantor_kernels();
    return this.message();
  }

  /** Runs the engine with set `index` (0 portable, 1 wasm SIMD128). */
  useKernels(index) {
    if (!this.k.kantor_use_kernels(index)) throw new Error(`no kernel set ${index}`);
  }

  /** The engine's golden vectors with every kernel set: {differ, text}. */
  golden() {
    const differ = this.k.kantor_golden();
    return { differ, text: this.message() };
  }

  /** Every optimised kernel set against the portable one: {differ, text}. */
  checkKernels() {
    const differ = this.k.kantor_check_kernels();
    return { differ, text: this.message() };
  }
}

/** The key signature (fifths) of a key: a tonic name and a mode; minor keys use their relative major's signature. */
export function keyFifths(tonic, mode) {
  const major = { C: 0, G: 1, D: 2, A: 3, E: 4, B: 5, 'F#': 6, 'C#': 7, F: -1, Bb: -2, Eb: -3, Ab: -4, Db: -5, Gb: -6, Cb: -7 };
  const minor = { A: 0, E: 1, B: 2, 'F#': 3, 'C#': 4, 'G#': 5, 'D#': 6, 'A#': 7, D: -1, G: -2, C: -3, F: -4, Bb: -5, Eb: -6, Ab: -7 };
  const table = mode === 1 ? minor : major;
  if (!(tonic in table)) throw new Error(`no ${mode === 1 ? 'minor' : 'major'} key on ${tonic}`);
  return table[tonic];
}
