// The WebAssembly board under Node.js: its kernel sets agree with the portable one, and
// its MIDI files and MusicXML are byte for byte what the host's `kantor` writes for the
// same settings (computed here, now, with the host built from this tree).
//
//   KANTOR_WASM         the module (default web/dist/kantor.wasm)
//   KANTOR_WASM_GOLDEN  the module with the golden vectors (default web/build/kantor-golden.wasm)
//   KANTOR_BIN          the host command (default target/release/kantor)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKantor } from '../kantor.js';
import { readMidiMelody } from '../melody.js';
import { melodyFile, TUNE } from './tune.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasm = fs.readFileSync(process.env.KANTOR_WASM || path.join(root, 'web/dist/kantor.wasm'));
const bin = process.env.KANTOR_BIN || path.join(root, 'target/release/kantor');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kantor-web-'));

let progress = [];
const kantor = await loadKantor(wasm, (done, total) => progress.push([done, total]));

/** The host's files for `args`: {midi, musicxml}. */
function host(command, args) {
  const mid = path.join(work, 'host.mid');
  const xml = path.join(work, 'host.musicxml');
  execFileSync(bin, [command, '--engine', 'int8', '--quiet', '-o', mid, '--musicxml', xml, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { midi: new Uint8Array(fs.readFileSync(mid)), musicxml: fs.readFileSync(xml, 'utf8') };
}

test('every kernel set agrees with the portable one inside the module', () => {
  const { differ, text } = kantor.checkKernels();
  assert.equal(differ, 0, text);
  assert.match(text, /wasm SIMD128/);
  assert.equal(kantor.kernels(), 'wasm SIMD128');
});

test('the engine\'s golden vectors, bit for bit, with every kernel set', async () => {
  const checks = await loadKantor(fs.readFileSync(process.env.KANTOR_WASM_GOLDEN || path.join(root, 'web/build/kantor-golden.wasm')));
  const { differ, text } = checks.golden();
  assert.equal(differ, 0, text);
  assert.match(text, /4 runs/);
});

const pieces = [
  { name: 'the README piece (16 bars, the model\'s own settings)', page: { bars: 16, seed: 7n }, cli: ['--bars', '16', '--seed', '7', '--key', 'C'] },
  {
    name: '3/4 with a pickup in E flat, a fermata every 3 bars, a large seed, fewer levels',
    page: { bars: 6, time: [3, 4], pickup: 4, fifths: -3, fermataEvery: 3, tempo: 66, seed: 12345678901234567890n, settings: { levels: 6, steps: 1, refine: 2 } },
    cli: ['--bars', '6', '--time', '3/4', '--pickup', '1', '--key', 'Eb', '--fermata-every', '3', '--tempo', '66', '--seed', '12345678901234567890', '--levels', '6', '--steps', '1', '--refine', '2'],
  },
  {
    name: 'F sharp minor in 3/2, a warmer temperature',
    page: { bars: 4, time: [3, 2], fifths: 3, mode: 1, seed: 99n, settings: { levels: 8, steps: 1, temperature: 1.5 } },
    cli: ['--bars', '4', '--time', '3/2', '--key', 'F#m', '--seed', '99', '--levels', '8', '--steps', '1', '--temperature', '1.5'],
  },
];

for (const p of pieces) {
  test(`same bytes as the host: ${p.name}`, () => {
    progress = [];
    const page = kantor.compose(p.page);
    const want = host('generate', p.cli);
    assert.deepEqual(page.midi, want.midi, 'MIDI file');
    assert.equal(page.musicxml, want.musicxml, 'MusicXML');
    // Progress came once per evaluation, up to the chain's count.
    assert.equal(progress.length, page.evaluations);
    assert.ok(progress.every(([d, t], i) => d === i + 1 && d <= t));
    // The frames drawn are the piece's: every voice sings, and the fermatas are where the plan puts them.
    for (let v = 0; v < 4; v++) assert.ok(page.frames.some((f) => f.tokens[v] > 1), `voice ${v} sings`);
    assert.ok(page.frames[page.frames.length - 1].fermata);
  });
}

test('the portable kernels give the same piece as SIMD128', () => {
  const args = { bars: 2, seed: 5n, settings: { levels: 4, steps: 1, refine: 0 } };
  const simd = kantor.compose(args);
  kantor.useKernels(0);
  try {
    assert.equal(kantor.kernels(), 'portable');
    assert.deepEqual(kantor.compose(args).midi, simd.midi);
  } finally {
    kantor.useKernels(1);
  }
});

test('a melody is harmonised as the host does, note for note, ending where it ends', () => {
  const tune = TUNE;
  const file = melodyFile(tune, [4, 4]);
  const mid = path.join(work, 'tune.mid');
  fs.writeFileSync(mid, file);
  const { melody, time } = readMidiMelody(file);
  const settings = { levels: 4, steps: 1, refine: 2 };
  const page = kantor.harmonize({ melody, time, fermataEvery: 2, seed: 3n, settings });
  const want = host('harmonize', ['--melody', mid, '--seed', '3', '--levels', '4', '--steps', '1', '--refine', '2']);
  assert.deepEqual(page.midi, want.midi, 'MIDI file');
  assert.equal(page.musicxml, want.musicxml, 'MusicXML');
  // The soprano is the tune, an octave up; the piece ends with the tune's last bar.
  const struck = page.frames.map((f) => f.tokens[0]).filter((t) => t > 1);
  assert.deepEqual(struck, tune.filter(([p]) => p !== null).map(([p]) => p + 12));
  assert.equal(page.frames.length, 64);
  assert.equal((page.musicxml.match(/<measure /g) || []).length, 4 * 4);
});

test('the endless chorale continues phrase after phrase', () => {
  kantor.endlessStart({ fifths: 1, seed: 11n });
  const settings = { levels: 4, steps: 1, refine: 0 };
  const a = kantor.endlessNext(settings);
  const b = kantor.endlessNext(settings);
  assert.equal(a.frames.length, 32);
  assert.equal(b.frames.length, 32);
  assert.ok(a.frames[31].fermata && b.frames[31].fermata);
  assert.notDeepEqual(a.frames.map((f) => f.tokens), b.frames.map((f) => f.tokens));
  // The same seed replays the same phrases.
  kantor.endlessStart({ fifths: 1, seed: 11n });
  assert.deepEqual(kantor.endlessNext(settings).midi, a.midi);
});

test('settings that cannot run and pieces that cannot be laid out are refused with a sentence', () => {
  assert.throws(() => kantor.compose({ bars: 2, settings: { levels: 'many' } }), /sampler settings/);
  assert.throws(() => kantor.compose({ bars: 2, time: [7, 4] }), /time signature 7\/4/);
  assert.throws(() => kantor.compose({ bars: 2, pickup: 16 }), /pickup/);
});
