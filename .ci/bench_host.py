"""Side-by-side timing of one score evaluation: onnxruntime (one thread) on model.onnx
against the int8 engine on model.kq8, at several lengths, in turns on the same machine.

Run through `.ci/bench-host.sh`, which builds the engine's timing program and makes a
throwaway environment with onnxruntime; by hand:

    python3 -m venv /tmp/ort && /tmp/ort/bin/pip install onnxruntime numpy
    cargo build --release -p kantor-core --features std --example engine_timing
    /tmp/ort/bin/python .ci/bench_host.py --engine target/release/examples/engine_timing

Every repetition runs each engine once at each length, in an order that alternates, so a
busy machine slows them alike; min and median are reported, with the load average
before and after. onnxruntime runs with one intra-op and one inter-op thread, sequential
execution, all graph optimisations, inputs and output bound once (io binding), so its
times hold little Python. The engine times itself inside its process (`run_raw`, what
the ONNX graph computes: the network up to its last layer).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

VOICE_CHANNELS = 101
META_CHANNELS = 23
SIGMA = 0.7  # the engine program's σ


def engine_inputs(frames):
    """The engine program's inputs: voices (c, t) = σ·sin(1.7·c + 0.9·t) plus one where
    (c + 37·t) mod 25 = 0, metadata (c, t) = 1 where (3·c + t) mod 5 = 0."""
    c = np.arange(VOICE_CHANNELS)[:, None]
    t = np.arange(frames)[None, :]
    x = (SIGMA * np.sin(1.7 * c + 0.9 * t)).astype(np.float32) + ((c + 37 * t) % 25 == 0).astype(np.float32)
    c = np.arange(META_CHANNELS)[:, None]
    meta = ((3 * c + t) % 5 == 0).astype(np.float32)
    return x, meta


class Engine:
    """The engine's timing program, driven line by line."""

    def __init__(self, path, blob):
        self.p = subprocess.Popen([path, blob], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.sets = self.ask("sets").split("|")

    def ask(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline()
        if not answer:
            sys.exit(f"the engine program stopped at: {line}")
        return answer.strip()

    def time(self, kernel_set, frames, n=1):
        return [int(v) / 1e9 for v in self.ask(f"time {kernel_set} {frames} {n}").split()]

    def output(self, kernel_set, frames):
        return np.array([float(v) for v in self.ask(f"output {kernel_set} {frames}").split()], dtype=np.float32).reshape(VOICE_CHANNELS, frames)


class Onnx:
    """onnxruntime on one thread, inputs and output bound once per length."""

    def __init__(self, path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.bound = {}

    def binding(self, frames):
        if frames not in self.bound:
            x, meta = engine_inputs(frames)
            feeds = {
                "x": x[None],
                "meta": meta[None],
                "sigma": np.full((1, 1, 1), SIGMA, dtype=np.float32),
            }
            io = self.s.io_binding()
            for name, value in feeds.items():
                io.bind_cpu_input(name, value)
            io.bind_output(self.s.get_outputs()[0].name, "cpu")
            self.bound[frames] = (io, feeds)
        return self.bound[frames][0]

    def time(self, frames):
        io = self.binding(frames)
        t = time.perf_counter_ns()
        self.s.run_with_iobinding(io)
        return (time.perf_counter_ns() - t) / 1e9

    def output(self, frames):
        io = self.binding(frames)
        self.s.run_with_iobinding(io)
        return io.copy_outputs_to_cpu()[0][0]


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--engine", required=True, help="the engine_timing program")
    ap.add_argument("--onnx", default=os.path.join(root, "models/default/model.onnx"))
    ap.add_argument("--blob", default=os.path.join(root, "models/default/model.kq8"))
    ap.add_argument("--frames", default="64,256", help="lengths, comma-separated")
    ap.add_argument("--reps", type=int, default=2000, help="repetitions of each engine at each length")
    ap.add_argument("--portable-every", type=int, default=20, help="time the portable kernels every N-th repetition (0: never)")
    a = ap.parse_args()
    lengths = [int(f) for f in a.frames.split(",")]

    engine = Engine(a.engine, a.blob)
    onnx = Onnx(a.onnx)
    detected, portable = 0, len(engine.sets) - 1
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; onnxruntime {ort.__version__}; numpy {np.__version__}")
    print(f"engine kernel sets: {', '.join(engine.sets)} (detection picks {engine.sets[detected]})")
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")

    # Both ran the same model: outputs agree to the quantisation's error; every kernel
    # set gives the same bits.
    for frames in lengths:
        ref, got = onnx.output(frames), engine.output(detected, frames)
        for k in range(len(engine.sets)):
            if not np.array_equal(engine.output(k, frames).view(np.uint32), got.view(np.uint32)):
                sys.exit(f"{engine.sets[k]} differs from {engine.sets[detected]} at {frames} frames")
        rel = float(np.linalg.norm(got - ref) / max(np.linalg.norm(ref), 1e-30))
        print(f"{frames} frames: relative difference int8 vs onnxruntime f32 outputs {rel:.4f}")
        if not rel < 0.1:
            sys.exit("the two engines disagree: not the same model?")

    jobs = [("onnxruntime f32", None)] + [(f"int8 {engine.sets[k]}", k) for k in range(len(engine.sets))]
    times = {(name, f): [] for name, _ in jobs for f in lengths}
    for frames in lengths:  # warm-up
        for _ in range(20):
            onnx.time(frames)
        engine.time(detected, frames, 20)
    start = time.time()
    for rep in range(a.reps):
        order = jobs if rep % 2 == 0 else jobs[::-1]
        for frames in lengths:
            for name, k in order:
                if k is None:
                    times[(name, frames)].append(onnx.time(frames))
                elif k == detected or (k != portable and rep % 2 == 0) or (a.portable_every and rep % a.portable_every == 0):
                    times[(name, frames)].extend(engine.time(k, frames))
    elapsed = time.time() - start
    print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())} ({elapsed:.0f} s of runs)")
    print()
    print(f"| engine | frames | min ms | median ms | runs |")
    print(f"|---|---:|---:|---:|---:|")
    for frames in lengths:
        for name, _ in jobs:
            t = times[(name, frames)]
            if t:
                print(f"| {name} | {frames} | {min(t) * 1e3:.3f} | {statistics.median(t) * 1e3:.3f} | {len(t)} |")
    print()
    for frames in lengths:
        o, e = times[(jobs[0][0], frames)], times[(jobs[1 + detected][0], frames)]
        print(f"{frames} frames: onnxruntime / int8 ({engine.sets[detected]}): min {min(o) / min(e):.2f}×, median {statistics.median(o) / statistics.median(e):.2f}×")
    engine.p.stdin.close()
    engine.p.wait()


if __name__ == "__main__":
    main()
