// Time per piece in Node.js with each kernel set: node web/test/bench.mjs [BARS] [REPS]
// (KANTOR_WASM: the module, default web/dist/kantor.wasm).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadKantor } from '../kantor.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kantor = await loadKantor(fs.readFileSync(process.env.KANTOR_WASM || path.join(root, 'web/dist/kantor.wasm')));
const bars = Number(process.argv[2] || 16);
const reps = Number(process.argv[3] || 3);
for (const [index, name] of [[1, 'wasm SIMD128'], [0, 'portable']]) {
  kantor.useKernels(index);
  // One short piece first, so that the hot functions are optimised before timing.
  kantor.compose({ bars: 1, seed: 1n, settings: { levels: 3, steps: 1, refine: 0 } });
  const times = [];
  let evaluations = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    evaluations = kantor.compose({ bars, seed: 7n }).evaluations;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${name}: ${bars} bars, ${evaluations} evaluations: min ${(times[0] / 1000).toFixed(3)} s, median ${(times[reps >> 1] / 1000).toFixed(3)} s`);
}
