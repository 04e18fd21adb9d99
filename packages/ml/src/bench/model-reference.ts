/**
 * The named reference: torchvision's inception_v3 on CPU under Debian's python3-torch, eval + no_grad, random
 * weights (no downloads), `torch.set_num_threads(threads)`. It speaks the same line protocol as model-worker
 * (ready line, then {"batch": n} → {"type":"time","ms":…}), so the bench interleaves it run by run with the engines.
 */
export const PYTORCH_REFERENCE_SCRIPT = String.raw`
import json, resource, sys, time
cfg = json.loads(sys.argv[1])
def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n"); sys.stdout.flush()
t0 = time.perf_counter()
try:
    import torch, torchvision
except ImportError as e:
    say({"type": "ready", "available": False, "reason": "%s (install Debian python3-torch python3-torchvision)" % e}); sys.exit(0)
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True).eval()
load_ms = (time.perf_counter() - t0) * 1000
size = cfg["size"]
inputs = {}
with torch.no_grad():
    w0 = time.perf_counter()
    model(torch.zeros(1, 3, size, size))
    say({"type": "ready", "available": True, "loadMs": load_ms, "warmUpMs": (time.perf_counter() - w0) * 1000,
         "description": "PyTorch %s torchvision %s inception_v3 (eval, no_grad)" % (torch.__version__, torchvision.__version__),
         "device": "cpu (%d threads)" % torch.get_num_threads()})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("quit"):
            break
        b = cmd.get("batch", 1)
        if b not in inputs:
            inputs[b] = torch.rand(b, 3, size, size)
        s = time.perf_counter(); model(inputs[b]); say({"type": "time", "ms": (time.perf_counter() - s) * 1000})
say({"type": "bye", "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
`;

/** Debian's interpreter, where python3-torch installs (a pyenv shim on PATH may lack it); ICH_BENCH_PYTHON overrides. */
export function referencePython(): string {
  return process.env.ICH_BENCH_PYTHON ?? '/usr/bin/python3';
}
