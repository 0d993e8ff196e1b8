// Composing off the main thread: the WebAssembly module lives here, and every network
// evaluation is reported so the page can show how far it has got.
import { loadKantor } from './kantor.js';

let kantor = null;
let current = null;

async function ready() {
  if (!kantor) {
    const response = await fetch(new URL('./kantor.wasm', import.meta.url));
    const bytes = await response.arrayBuffer();
    kantor = await loadKantor(bytes, (done, total) => postMessage({ id: current, type: 'progress', done, total }));
    // A short piece first: the engine's hot functions reach the browser's optimising
    // compiler before the first real piece (about a fifth faster in Chromium).
    current = null;
    kantor.compose({ bars: 1, seed: 1n, settings: { levels: 3, steps: 1, refine: 0 } });
  }
  return kantor;
}

self.onmessage = async ({ data }) => {
  try {
    const k = await ready();
    current = data.id;
    const t0 = performance.now();
    let result;
    switch (data.type) {
      case 'compose': result = k.compose(data.args); break;
      case 'harmonize': result = k.harmonize(data.args); break;
      case 'endless-start': k.endlessStart(data.args); result = {}; break;
      case 'endless-next': result = k.endlessNext(data.args.settings); break;
      case 'kernels': result = { kernels: k.kernels(), check: k.checkKernels() }; break;
      default: throw new Error(`unknown request ${data.type}`);
    }
    const ms = performance.now() - t0;
    postMessage({ id: data.id, type: 'done', result, ms, kernels: k.kernels() }, result.midi ? [result.midi.buffer] : []);
  } catch (e) {
    postMessage({ id: data.id, type: 'error', message: String(e.message || e) });
  }
};
