import * as tf from '@tensorflow/tfjs';

/**
 * keras.applications.InceptionV3 (include_top=False) transcribed to tfjs-layers, layer for layer and in the same
 * creation order, so that the auto-generated names (conv2d, conv2d_1, …, batch_normalization_93, activation_93,
 * average_pooling2d_8, concatenate_1) and the named concatenations (mixed0 … mixed10, mixed9_0, mixed9_1) match
 * tf.keras 2.x, so Keras weights map onto it by name (`ich-ml import-keras`, src/keras/). With 3 input channels the
 * base has exactly 21,802,784 parameters.
 *
 * BatchNormalization follows Keras: no scale (gamma), epsilon 1e-3. tfjs-layers' BatchNormalization({scale:false})
 * crashes in `fit` (its gradient reads an undefined gamma), so a training model instead uses a gamma that is fixed at
 * 1 and not trainable (`bnGamma: 'constant'`): numerically identical, but it adds one non-trainable weight per BN
 * layer, so inference models (and the saved model directory) keep `scale: false` and the exact Keras count.
 */
export interface InceptionV3Options {
  /** 'none': Keras' layout (inference). 'constant': gamma fixed at 1 and frozen (training work-around). */
  readonly bnGamma?: 'none' | 'constant';
}

type Sym = tf.SymbolicTensor;

/** Per-class counters reproducing Keras' automatic layer names ("conv2d", "conv2d_1", …). */
class LayerNames {
  private readonly counts = new Map<string, number>();
  next(prefix: string): string {
    const n = this.counts.get(prefix) ?? 0;
    this.counts.set(prefix, n + 1);
    return n === 0 ? prefix : `${prefix}_${n}`;
  }
}

export function inceptionV3Base(input: Sym, options: InceptionV3Options = {}): Sym {
  const names = new LayerNames();
  const gamma = options.bnGamma ?? 'none';

  const convBn = (
    x: Sym,
    filters: number,
    rows: number,
    cols: number,
    padding: 'same' | 'valid' = 'same',
    strides = 1,
  ): Sym => {
    let y = tf.layers
      .conv2d({ filters, kernelSize: [rows, cols], strides, padding, useBias: false, name: names.next('conv2d') })
      .apply(x) as Sym;
    const bn = tf.layers.batchNormalization({
      axis: 3,
      epsilon: 1e-3,
      momentum: 0.99,
      scale: gamma === 'constant',
      name: names.next('batch_normalization'),
    });
    y = bn.apply(y) as Sym;
    if (gamma === 'constant') freezeGamma(bn);
    return tf.layers.activation({ activation: 'relu', name: names.next('activation') }).apply(y) as Sym;
  };
  const maxPool = (x: Sym): Sym =>
    tf.layers
      .maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: names.next('max_pooling2d') })
      .apply(x) as Sym;
  const avgPool = (x: Sym): Sym =>
    tf.layers
      .averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: names.next('average_pooling2d') })
      .apply(x) as Sym;
  const concat = (xs: Sym[], name?: string): Sym =>
    tf.layers.concatenate({ axis: 3, name: name ?? names.next('concatenate') }).apply(xs) as Sym;

  let x = convBn(input, 32, 3, 3, 'valid', 2);
  x = convBn(x, 32, 3, 3, 'valid');
  x = convBn(x, 64, 3, 3);
  x = maxPool(x);
  x = convBn(x, 80, 1, 1, 'valid');
  x = convBn(x, 192, 3, 3, 'valid');
  x = maxPool(x);

  // mixed 0, 1, 2: 35 x 35 x 256/288/288 at 299 px
  for (const [i, poolFilters] of [32, 64, 64].entries()) {
    const b1 = convBn(x, 64, 1, 1);
    let b5 = convBn(x, 48, 1, 1);
    b5 = convBn(b5, 64, 5, 5);
    let b3 = convBn(x, 64, 1, 1);
    b3 = convBn(b3, 96, 3, 3);
    b3 = convBn(b3, 96, 3, 3);
    let bp = avgPool(x);
    bp = convBn(bp, poolFilters, 1, 1);
    x = concat([b1, b5, b3, bp], `mixed${i}`);
  }

  // mixed 3: 17 x 17 x 768
  {
    const b3 = convBn(x, 384, 3, 3, 'valid', 2);
    let bd = convBn(x, 64, 1, 1);
    bd = convBn(bd, 96, 3, 3);
    bd = convBn(bd, 96, 3, 3, 'valid', 2);
    const bp = maxPool(x);
    x = concat([b3, bd, bp], 'mixed3');
  }

  // mixed 4, 5, 6, 7: 17 x 17 x 768 (factorised 7x7 convolutions)
  for (const [i, c] of [128, 160, 160, 192].entries()) {
    const b1 = convBn(x, 192, 1, 1);
    let b7 = convBn(x, c, 1, 1);
    b7 = convBn(b7, c, 1, 7);
    b7 = convBn(b7, 192, 7, 1);
    let bd = convBn(x, c, 1, 1);
    bd = convBn(bd, c, 7, 1);
    bd = convBn(bd, c, 1, 7);
    bd = convBn(bd, c, 7, 1);
    bd = convBn(bd, 192, 1, 7);
    let bp = avgPool(x);
    bp = convBn(bp, 192, 1, 1);
    x = concat([b1, b7, bd, bp], `mixed${4 + i}`);
  }

  // mixed 8: 8 x 8 x 1280
  {
    let b3 = convBn(x, 192, 1, 1);
    b3 = convBn(b3, 320, 3, 3, 'valid', 2);
    let b7 = convBn(x, 192, 1, 1);
    b7 = convBn(b7, 192, 1, 7);
    b7 = convBn(b7, 192, 7, 1);
    b7 = convBn(b7, 192, 3, 3, 'valid', 2);
    const bp = maxPool(x);
    x = concat([b3, b7, bp], 'mixed8');
  }

  // mixed 9, 10: 8 x 8 x 2048
  for (let i = 0; i < 2; i++) {
    const b1 = convBn(x, 320, 1, 1);
    let b3 = convBn(x, 384, 1, 1);
    const b3a = convBn(b3, 384, 1, 3);
    const b3b = convBn(b3, 384, 3, 1);
    b3 = concat([b3a, b3b], `mixed9_${i}`);
    let bd = convBn(x, 448, 1, 1);
    bd = convBn(bd, 384, 3, 3);
    const bda = convBn(bd, 384, 1, 3);
    const bdb = convBn(bd, 384, 3, 1);
    bd = concat([bda, bdb]);
    let bp = avgPool(x);
    bp = convBn(bp, 192, 1, 1);
    x = concat([b1, b3, bd, bp], `mixed${9 + i}`);
  }
  return x;
}

/**
 * Fixes a built BatchNormalization's gamma (initialised to 1) out of the trainable set: the training work-around
 * for tfjs-layers' scale:false crash. Call after the layer has been applied (its weights exist then).
 */
export function freezeGamma(bn: tf.layers.Layer): void {
  for (const w of bn.weights) if (w.originalName.endsWith('/gamma')) w.trainable = false;
}
