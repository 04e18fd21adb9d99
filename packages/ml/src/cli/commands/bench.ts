import { MODEL_BENCH_USAGE, runModelBenchCli } from '../../bench/model-cli.js';
import type { Command } from '../command.js';

const command: Command = {
  name: 'bench',
  summary:
    'Benchmark InceptionV3 inference per engine (batch 1 and 16) against PyTorch on this machine; peak memory, load time, one study end to end.',
  usage: MODEL_BENCH_USAGE,
  run: (argv) => runModelBenchCli(argv),
};

export default command;
