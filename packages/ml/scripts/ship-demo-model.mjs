#!/usr/bin/env node
// Copies a trained model directory into the repository as the shipped demo model (packages/ml/models/demo): the
// float16 tfjs files and the card, never the ONNX export (generated at start-up by ensureModelDir) nor the training
// folder. The card gets the held-out figures of `ich-ml evaluate --json` and says, in its name, intended use and
// limitations, that it learned synthetic phantoms only and is not for clinical use.
// usage: node packages/ml/scripts/ship-demo-model.mjs <model dir> <heldout.json> <out dir>
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const [modelDir, heldoutFile, out] = process.argv.slice(2);
if (!modelDir || !heldoutFile || !out) {
  console.error('usage: ship-demo-model.mjs <model dir> <heldout.json> <out dir>');
  process.exit(2);
}
const card = JSON.parse(await readFile(join(modelDir, 'card.json'), 'utf8'));
const heldout = JSON.parse(await readFile(heldoutFile, 'utf8'));
const model = JSON.parse(await readFile(join(modelDir, 'model.json'), 'utf8'));
const float16 = model.weightsManifest.every((g) => g.weights.every((w) => w.dtype !== 'float32' || w.quantization));
if (card.status !== 'trained' || !float16) {
  console.error(`${modelDir}: ship only a trained model with float16 weights (status ${card.status})`);
  process.exit(1);
}

const round = (x) => Math.round(x * 1e4) / 1e4;
const metrics = { ...card.metrics };
metrics.heldoutImages = heldout.images;
metrics.heldoutWeightedLogLoss = round(heldout.weightedLogLoss);
metrics.heldoutBaselineWeightedLogLoss = round(heldout.baselineWeightedLogLoss);
for (const [label, figures] of Object.entries(heldout.labels))
  if (figures.auc !== null) metrics[`heldoutAuc${label[0].toUpperCase()}${label.slice(1)}`] = round(figures.auc);
if (heldout.study) {
  metrics.heldoutStudies = heldout.study.studies;
  if (heldout.study.triage.sensitivity !== null)
    metrics.heldoutStudySensitivity = round(heldout.study.triage.sensitivity);
  if (heldout.study.triage.specificity !== null)
    metrics.heldoutStudySpecificity = round(heldout.study.triage.specificity);
}
for (const k of Object.keys(metrics)) if (k.startsWith('val')) metrics[k] = round(metrics[k]);

// A label the validation patients never showed kept the default threshold: say so rather than let it look tuned.
const untuned = Object.keys(card.thresholds).filter((label) => card.metrics?.[`valAuc_${label}`] === undefined);
const percent = (x) => (typeof x === 'number' ? `${Math.round(x * 1000) / 10}%` : 'unknown');

const shipped = {
  ...card,
  name: 'ich-inception-v3-demo',
  version: card.version.replace(/^1\.0\.0/, '1.0.0-demo'),
  metrics,
  intendedUse:
    'Demonstration of the triage pipeline on synthetic phantoms (trained on synthetic phantoms). Not for clinical use.',
  limitations: [
    'Trained on synthetic phantoms from ich-ml synth only: it has never seen a real CT, and its figures say nothing about real patients',
    `Held-out figures are from ${heldout.images} slices of phantoms synthesized from other seeds (demo-test-512, demo-test-256)`,
    ...untuned.map(
      (label) =>
        `No validation patient had a ${label} bleed, so its threshold stayed at ${card.thresholds[label]}: held-out ${label} sensitivity at that threshold ${percent(heldout.labels[label]?.atThreshold?.sensitivity)} (AUC ${round(heldout.labels[label]?.auc ?? Number.NaN)})`,
    ),
    ...card.limitations.filter((l) => !/^Validation figures/.test(l)),
  ],
  files: { tfjs: card.files.tfjs, onnx: null },
};

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
for (const f of await readdir(modelDir))
  if (f === 'model.json' || /^group\d+-shard\d+of\d+\.bin$/.test(f)) await copyFile(join(modelDir, f), join(out, f));
await writeFile(join(out, 'card.json'), `${JSON.stringify(shipped, null, 2)}\n`);
console.log(`shipped ${shipped.name}@${shipped.version} to ${out}`);
