import * as tf from '@tensorflow/tfjs';
import type { HuWindow } from '../window/windows.js';

/**
 * The preprocessing as tfjs operations, so that tfjs-node-gpu (or WebGL) does it on the device: HU [N, H, W]
 * (int32 or float32; tfjs has no int16) → tf.image.resizeBilinear to size × size with its defaults (the semantics
 * `planResize` copies) → one channel per window, (HU − low) × (1/width) clipped to [0, 1] → NHWC float32
 * [N, size, size, windows]. The same order as `resizeWindowInto`. The caller owns the returned tensor.
 */
export function preprocessTensor(hu: tf.Tensor3D, size: number, windows: readonly HuWindow[]): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf.expandDims(tf.cast(hu, 'float32'), -1) as tf.Tensor4D;
    const resized = tf.image.resizeBilinear(x, [size, size]);
    const low = tf.tensor1d(windows.map((w) => w.center - w.width / 2));
    const scale = tf.tensor1d(windows.map((w) => 1 / w.width));
    return tf.clipByValue(tf.mul(tf.sub(resized, low), scale), 0, 1) as tf.Tensor4D;
  });
}
