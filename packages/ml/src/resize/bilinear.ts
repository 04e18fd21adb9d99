/**
 * Bilinear resize with the semantics of TensorFlow.js `tf.image.resizeBilinear(x, size)` with its defaults
 * (alignCorners = false, halfPixelCenters = false): source coordinate = destination index × (in / out), the
 * top/left neighbour is floor(source), the other neighbour is clamped to the last row/column. Matching it keeps the
 * pixels the model sees in production identical to those it was trained on with tfjs.
 */
export interface ResizePlan {
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  readonly y0: Int32Array;
  readonly y1: Int32Array;
  readonly fy: Float32Array;
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly fx: Float32Array;
}

export function planResize(inH: number, inW: number, outH: number, outW: number): ResizePlan {
  const axis = (inSize: number, outSize: number) => {
    const i0 = new Int32Array(outSize);
    const i1 = new Int32Array(outSize);
    const f = new Float32Array(outSize);
    const scale = inSize / outSize;
    for (let o = 0; o < outSize; o += 1) {
      const src = o * scale;
      const lo = Math.floor(src);
      i0[o] = Math.min(lo, inSize - 1);
      i1[o] = Math.min(lo + 1, inSize - 1);
      f[o] = src - lo;
    }
    return { i0, i1, f };
  };
  const y = axis(inH, outH);
  const x = axis(inW, outW);
  return { inH, inW, outH, outW, y0: y.i0, y1: y.i1, fy: y.f, x0: x.i0, x1: x.i1, fx: x.f };
}

/**
 * Resizes an HWC float image with `channels` channels. Writes into `out` (at `outOffset`) when given, so a batch
 * can be filled without extra copies.
 */
export function resizeBilinear(
  src: Float32Array,
  inH: number,
  inW: number,
  channels: number,
  outH: number,
  outW: number,
  out: Float32Array = new Float32Array(outH * outW * channels),
  outOffset = 0,
  plan: ResizePlan = planResize(inH, inW, outH, outW),
): Float32Array {
  if (src.length < inH * inW * channels)
    throw new RangeError(`resizeBilinear: ${src.length} values for ${inH}×${inW}×${channels}`);
  const { y0, y1, fy, x0, x1, fx } = plan;
  const rowStride = inW * channels;
  let o = outOffset;
  for (let y = 0; y < outH; y += 1) {
    const top = (y0[y] as number) * rowStride;
    const bottom = (y1[y] as number) * rowStride;
    const wy = fy[y] as number;
    for (let x = 0; x < outW; x += 1) {
      const left = (x0[x] as number) * channels;
      const right = (x1[x] as number) * channels;
      const wx = fx[x] as number;
      for (let c = 0; c < channels; c += 1) {
        const tl = src[top + left + c] as number;
        const tr = src[top + right + c] as number;
        const bl = src[bottom + left + c] as number;
        const br = src[bottom + right + c] as number;
        // Same association as tfjs' CPU kernel: interpolate along x on both rows, then along y.
        const t = tl + (tr - tl) * wx;
        const b = bl + (br - bl) * wx;
        out[o++] = t + (b - t) * wy;
      }
    }
  }
  return out;
}
