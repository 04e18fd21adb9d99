import { spawn } from 'node:child_process';

/**
 * The named reference: torchvision's inception_v3 on CPU under Debian's python3-torch, eval + no_grad, random
 * weights (no downloads), `torch.set_num_threads(threads)`. Same input size and batch sizes as the engines, run in
 * the same bench invocation so the ratio compares like with like on this machine.
 */
const SCRIPT = String.raw`
import json, resource, statistics, sys, time
cfg = json.loads(sys.argv[1])
t0 = time.perf_counter()
import torch, torchvision
torch.set_num_threads(cfg["threads"])
torch.manual_seed(0)
model = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=True).eval()
load_ms = (time.perf_counter() - t0) * 1000
size = cfg["size"]
batches = []
per_image = None
with torch.no_grad():
    w0 = time.perf_counter()
    model(torch.rand(1, 3, size, size))
    warm_ms = (time.perf_counter() - w0) * 1000
    per_image = warm_ms / 1000
    for b in sorted(cfg["batches"]):
        if per_image * b * (cfg["runs"] + 1) > cfg["maxSeconds"]:
            batches.append({"batch": b, "status": "skipped", "reason": "too slow: ~%.1f s per batch" % (per_image * b)})
            continue
        x = torch.rand(b, 3, size, size)
        model(x)
        times = []
        for _ in range(cfg["runs"]):
            s = time.perf_counter(); model(x); times.append(time.perf_counter() - s)
        med = statistics.median(times)
        per_image = min(per_image, med / b)
        batches.append({"batch": b, "status": "measured", "runs": cfg["runs"], "medianBatchMs": med * 1000, "imagesPerSecond": b / med, "bestImagesPerSecond": b / min(times)})
print(json.dumps({"available": True, "description": "PyTorch %s torchvision %s inception_v3 (eval, no_grad)" % (torch.__version__, torchvision.__version__),
                  "device": "cpu (%d threads)" % torch.get_num_threads(), "loadMs": load_ms, "warmUpMs": warm_ms,
                  "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "batches": batches}))
`;

export interface ReferenceConfig {
  readonly size: number;
  readonly batches: readonly number[];
  readonly runs: number;
  readonly maxSeconds: number;
  readonly threads: number;
  /** Debian's interpreter, where python3-torch installs; ICH_BENCH_PYTHON overrides. */
  readonly python?: string;
}

export type ReferenceResult =
  | { readonly available: false; readonly reason: string }
  | {
      readonly available: true;
      readonly description: string;
      readonly device: string;
      readonly loadMs: number;
      readonly warmUpMs: number;
      readonly peakRssMiB: number;
      readonly batches: readonly { batch: number; status: 'measured' | 'skipped'; reason?: string; runs?: number; medianBatchMs?: number; imagesPerSecond?: number; bestImagesPerSecond?: number }[];
    };

export function runPytorchReference(config: ReferenceConfig): Promise<ReferenceResult> {
  const python = config.python ?? process.env.ICH_BENCH_PYTHON ?? '/usr/bin/python3';
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', SCRIPT, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => resolve({ available: false, reason: `${python}: ${e.message}` }));
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) return resolve(JSON.parse(line) as ReferenceResult);
      const why = /No module named '(\w+)'/.exec(err)?.[0] ?? (err.trim().split('\n').pop() || `exit ${code}`);
      resolve({ available: false, reason: `${why} (install Debian python3-torch python3-torchvision)` });
    });
  });
}
