import type { ResizePlan } from '../resize/bilinear.js';
import type { HuWindow } from '../window/windows.js';
import type { StoredHuPlane } from './resize-window.js';

/**
 * `resizeWindowInto`'s hot case in WebAssembly SIMD: one slice of 16-bit stored values with slope 1 and an integer
 * intercept (practically every CT), three windows of that slice, a downscale whose right neighbour is always
 * x0 + 1 (512 → 299 and the like). The text below is the source; wabt (a pinned npm dependency) assembles it once
 * per process when first needed — no generated file, no native toolchain.
 *
 * Per output row, separably and without gathers of 16-bit taps: `vertical_*` interpolates the two source rows over
 * every column, four a step (f64x2, exact: integer taps and a float32 weight need < 53 bits), `horizontal` then
 * interpolates two output pixels a step from that row (one 16-byte load fetches a tap and its right neighbour) and
 * rounds to float32. The JavaScript kernel goes along x first, then y; in exact arithmetic the two are the same
 * number, and each is within a few double ulps of it, so the float32 HU agree except for a last-bit tie about
 * once in 10^7 pixels. `window_row` windows one pixel a step, its three windows in the lanes of one f32x4, stored
 * straight at the pixel's NHWC slot (float32 window arithmetic: within 2e-7 of the JavaScript kernel's double
 * arithmetic). The
 * row is then copied into the caller's batch while it is in L1.
 */
const SHUFFLE_I32 = (lanes: number[]) => lanes.flatMap((l) => [l * 4, l * 4 + 1, l * 4 + 2, l * 4 + 3]).join(' ');

/** Vertical step over a whole source row pair: v[c] = (top[c] + icpt) + (bot[c] − top[c])·wy, 4 columns a step. */
function verticalWat(name: string, ext: 's' | 'u'): string {
  return `
  (func (export "${name}")
    (param $top i32) (param $bot i32) (param $n i32) (param $wy f64) (param $icpt f64) (param $v i32)
    (local $c i32) (local $lt v128) (local $d v128) (local $ic v128) (local $wyv v128) (local $at i32)
    (local.set $ic (f64x2.splat (local.get $icpt)))
    (local.set $wyv (f64x2.splat (local.get $wy)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $lt (v128.load16x4_${ext} (i32.add (local.get $top) (i32.shl (local.get $c) (i32.const 1)))))
        ;; bottom − top, exact in int32
        (local.set $d (i32x4.sub
          (v128.load16x4_${ext} (i32.add (local.get $bot) (i32.shl (local.get $c) (i32.const 1))))
          (local.get $lt)))
        (local.set $at (i32.add (local.get $v) (i32.shl (local.get $c) (i32.const 3))))
        (v128.store (local.get $at) (f64x2.add
          (f64x2.add (f64x2.convert_low_i32x4_s (local.get $lt)) (local.get $ic))
          (f64x2.mul (f64x2.convert_low_i32x4_s (local.get $d)) (local.get $wyv))))
        (v128.store offset=16 (local.get $at) (f64x2.add
          (f64x2.add (f64x2.convert_low_i32x4_s (i8x16.shuffle ${SHUFFLE_I32([2, 3, 2, 3])} (local.get $lt) (local.get $lt))) (local.get $ic))
          (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle ${SHUFFLE_I32([2, 3, 2, 3])} (local.get $d) (local.get $d))) (local.get $wyv))))
        (local.set $c (i32.add (local.get $c) (i32.const 4)))
        (br $next))))`;
}

const WAT = `(module
  (memory (export "memory") 1)
  ${verticalWat('vertical_s16', 's')}
  ${verticalWat('vertical_u16', 'u')}
  ;; Horizontal step, two output pixels a step: h = v[x0] + (v[x0 + 1] − v[x0])·wx, rounded to float32.
  (func (export "horizontal")
    (param $v i32) (param $xoff i32) (param $xw i32) (param $n i32) (param $row i32)
    (local $x i32) (local $a v128) (local $b v128) (local $l v128)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $n)))
        (local.set $a (v128.load (i32.add (local.get $v)
          (i32.load (i32.add (local.get $xoff) (i32.shl (local.get $x) (i32.const 2)))))))
        (local.set $b (v128.load (i32.add (local.get $v)
          (i32.load offset=4 (i32.add (local.get $xoff) (i32.shl (local.get $x) (i32.const 2)))))))
        (local.set $l (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $a) (local.get $b)))
        (v128.store64_lane 0 (i32.add (local.get $row) (i32.shl (local.get $x) (i32.const 2)))
          (f32x4.demote_f64x2_zero (f64x2.add (local.get $l) (f64x2.mul
            (f64x2.sub (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $a) (local.get $b)) (local.get $l))
            (v128.load (i32.add (local.get $xw) (i32.shl (local.get $x) (i32.const 3))))))))
        (local.set $x (i32.add (local.get $x) (i32.const 2)))
        (br $next))))
  ;; Windows, one pixel a step: [h h h h] − [l0 l1 l2 l2], × [s0 s1 s2 s2], clamped, stored as 16 bytes at the
  ;; pixel's 12-byte NHWC slot (the fourth lane is overwritten by the next pixel; the row buffer has slack).
  (func (export "window_row")
    (param $row i32) (param $n i32) (param $dst i32)
    (param $l0 f32) (param $s0 f32) (param $l1 f32) (param $s1 f32) (param $l2 f32) (param $s2 f32)
    (local $end i32) (local $low v128) (local $scale v128) (local $zero v128) (local $one v128)
    (local.set $low (f32x4.replace_lane 1 (f32x4.replace_lane 0 (f32x4.splat (local.get $l2)) (local.get $l0)) (local.get $l1)))
    (local.set $scale (f32x4.replace_lane 1 (f32x4.replace_lane 0 (f32x4.splat (local.get $s2)) (local.get $s0)) (local.get $s1)))
    (local.set $zero (f32x4.splat (f32.const 0)))
    (local.set $one (f32x4.splat (f32.const 1)))
    ;; Two pixels a step with running pointers (n is padded to an even count; the row buffers have slack).
    (local.set $end (i32.add (local.get $row) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $row) (local.get $end)))
        (v128.store (local.get $dst)
          (f32x4.min (f32x4.max (f32x4.mul (f32x4.sub (v128.load32_splat (local.get $row))
            (local.get $low)) (local.get $scale)) (local.get $zero)) (local.get $one)))
        (v128.store offset=12 (local.get $dst)
          (f32x4.min (f32x4.max (f32x4.mul (f32x4.sub (v128.load32_splat offset=4 (local.get $row))
            (local.get $low)) (local.get $scale)) (local.get $zero)) (local.get $one)))
        (local.set $row (i32.add (local.get $row) (i32.const 8)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 24)))
        (br $next))))
)`;

/** The slice of the WebAssembly JS API used here (the package's TypeScript lib has no DOM/WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
}
const WASM = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface Exports {
  readonly memory: WasmMemory;
  vertical_s16(top: number, bot: number, n: number, wy: number, icpt: number, v: number): void;
  vertical_u16(top: number, bot: number, n: number, wy: number, icpt: number, v: number): void;
  horizontal(v: number, xoff: number, xw: number, n: number, row: number): void;
  window_row(
    row: number,
    n: number,
    dst: number,
    l0: number,
    s0: number,
    l1: number,
    s1: number,
    l2: number,
    s2: number,
  ): void;
}

/** The wasm kernel: `run` returns false (and does nothing) where its case does not apply. */
export interface WasmResizeWindow {
  run(
    plane: StoredHuPlane,
    windows: readonly HuWindow[],
    plan: ResizePlan,
    out: Float32Array,
    outOffset: number,
  ): boolean;
}

const align = (n: number) => Math.ceil(n / 16) * 16;

function instantiate(bytes: Uint8Array): WasmResizeWindow {
  const instance = new WASM.Instance(new WASM.Module(bytes), {});
  const k = instance.exports as unknown as Exports;
  /** Per plan: the column taps as byte offsets and f64 weights, padded to an even count; null when x1 ≠ x0 + 1. */
  const columnTaps = new WeakMap<ResizePlan, { xoff: Int32Array; xw: Float64Array } | null>();
  const taps = (plan: ResizePlan) => {
    if (columnTaps.has(plan)) return columnTaps.get(plan) ?? null;
    const n = plan.outW + (plan.outW % 2);
    let result: { xoff: Int32Array; xw: Float64Array } | null = { xoff: new Int32Array(n), xw: new Float64Array(n) };
    for (let x = 0; x < n; x += 1) {
      const i = Math.min(x, plan.outW - 1);
      if ((plan.x1[i] as number) !== (plan.x0[i] as number) + 1) {
        result = null;
        break;
      }
      result.xoff[x] = (plan.x0[i] as number) * 8;
      result.xw[x] = plan.fx[i] as number;
    }
    columnTaps.set(plan, result);
    return result;
  };
  return {
    run(plane, windows, plan, out, outOffset) {
      const { values, slope, intercept } = plane;
      if (windows.length !== 3 || slope !== 1 || !Number.isInteger(intercept) || Math.abs(intercept) >= 2 ** 23)
        return false;
      const t = taps(plan);
      if (!t) return false;
      const { inH, inW, outH, outW, y0, y1, fy } = plan;
      const n = t.xoff.length;
      const rowFloats = Math.ceil(outW / 4) * 4;
      // Layout: column offsets, column weights, vertically interpolated source row (f64), resized row, NHWC row,
      // then the stored plane (with slack: the vertical step reads whole groups of four).
      const columns = Math.ceil(inW / 4) * 4;
      const xoffAt = 0;
      const xwAt = align(xoffAt + n * 4);
      const vAt = align(xwAt + n * 8);
      const rowAt = align(vAt + columns * 8);
      const dstAt = align(rowAt + rowFloats * 4);
      const srcAt = align(dstAt + rowFloats * 12 + 16);
      const need = srcAt + inH * inW * 2 + 16;
      const memory = k.memory;
      if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      const buffer = memory.buffer;
      new Int32Array(buffer, xoffAt, n).set(t.xoff);
      new Float64Array(buffer, xwAt, n).set(t.xw);
      if (values instanceof Int16Array) new Int16Array(buffer, srcAt, inH * inW).set(values.subarray(0, inH * inW));
      else new Uint16Array(buffer, srcAt, inH * inW).set(values.subarray(0, inH * inW));
      const vertical = values instanceof Int16Array ? k.vertical_s16 : k.vertical_u16;
      const lows = windows.map((w) => w.center - w.width / 2);
      const scales = windows.map((w) => 1 / w.width);
      const [l0, l1, l2] = lows as [number, number, number];
      const [s0, s1, s2] = scales as [number, number, number];
      const dst = new Float32Array(buffer, dstAt, outW * 3);
      const rowStride = inW * 2;
      for (let y = 0; y < outH; y += 1) {
        vertical(
          srcAt + (y0[y] as number) * rowStride,
          srcAt + (y1[y] as number) * rowStride,
          inW,
          fy[y] as number,
          intercept,
          vAt,
        );
        k.horizontal(vAt, xoffAt, xwAt, n, rowAt);
        k.window_row(rowAt, n, dstAt, l0, s0, l1, s1, l2, s2);
        out.set(dst, outOffset + y * outW * 3);
      }
      return true;
    },
  };
}

let loading: Promise<WasmResizeWindow> | null = null;

/** Assembles (once per process) and instantiates the kernel. Rejects where wabt or wasm SIMD is missing. */
export function loadResizeWindowWasm(): Promise<WasmResizeWindow> {
  loading ??= (async () => {
    const { default: init } = (await import('wabt')) as unknown as {
      default: () => Promise<{
        parseWat(
          name: string,
          text: string,
          features: Record<string, boolean>,
        ): {
          resolveNames(): void;
          validate(): void;
          toBinary(o: Record<string, boolean>): { buffer: Uint8Array };
          destroy(): void;
        };
      }>;
    };
    const wabt = await init();
    const module = wabt.parseWat('resize-window.wat', WAT, { simd: true });
    try {
      module.resolveNames();
      module.validate();
      return instantiate(module.toBinary({}).buffer);
    } finally {
      module.destroy();
    }
  })();
  return loading;
}
