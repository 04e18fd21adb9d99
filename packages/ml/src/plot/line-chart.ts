import { PNG } from 'pngjs';

/**
 * A small line-chart renderer to PNG (ROC curves, training curves) with a built-in 3×5 pixel font, so the CLI can
 * write figures without a plotting stack. Axes run from the given ranges; series are polylines in fixed colours.
 */
export interface Series {
  readonly name: string;
  readonly points: readonly (readonly [number, number])[];
  /** Dashed grey reference line (e.g. the ROC diagonal) instead of a coloured one. */
  readonly reference?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  readonly width?: number;
  readonly height?: number;
  /** Where the legend goes (default top right; ROC curves want bottom right). */
  readonly legend?: 'top' | 'bottom';
}

const COLOURS: readonly (readonly [number, number, number])[] = [
  [214, 39, 40],
  [31, 119, 180],
  [44, 160, 44],
  [255, 127, 14],
  [148, 103, 189],
  [140, 86, 75],
  [23, 190, 207],
  [188, 189, 34],
];

// 3×5 glyphs, rows top to bottom, '#' = ink.
const FONT: Record<string, string> = {
  '0': '####.##.##.####',
  '1': '.#.##..#..#.###',
  '2': '###..#####..###',
  '3': '###..####..####',
  '4': '#.##.####..#..#',
  '5': '####..###..####',
  '6': '####..####.####',
  '7': '###..#..#..#..#',
  '8': '####.#####.####',
  '9': '####.####..####',
  A: '.#.#.#####.##.#',
  B: '##.#.###.#.###.',
  C: '.###..#..#...##',
  D: '##.#.##.##.###.',
  E: '####..####..###',
  F: '####..####..#..',
  G: '.###..#.##.#.##',
  H: '#.##.#####.##.#',
  I: '###.#..#..#.###',
  J: '..#..#..##.#.#.',
  K: '#.##.###.#.##.#',
  L: '#..#..#..#..###',
  M: '#.#####.##.##.#',
  N: '##.#.##.##.##.#',
  O: '.#.#.##.##.#.#.',
  P: '##.#.###.#..#..',
  Q: '.#.#.##.##.#.##',
  R: '##.#.###.#.##.#',
  S: '.###...#...###.',
  T: '###.#..#..#..#.',
  U: '#.##.##.##.####',
  V: '#.##.##.##.#.#.',
  W: '#.##.########.#',
  X: '#.##.#.#.#.##.#',
  Y: '#.##.#.#..#..#.',
  Z: '###..#.#.#..###',
  '.': '............#..',
  ',': '.........#.#...',
  '-': '......###......',
  '=': '...###...###...',
  ':': '....#.....#....',
  '/': '..#..#.#.#..#..',
  '(': '.#.#..#..#...#.',
  ')': '.#...#..#..#.#.',
  "'": '.#..#..........',
  '>': '#...#...#.#.#..',
  '<': '..#.#.#...#...#',
  ' ': '...............',
};

export function renderLineChart(series: readonly Series[], options: ChartOptions): Buffer {
  const width = options.width ?? 640;
  const height = options.height ?? 480;
  const png = new PNG({ width, height, colorType: 2 });
  png.data.fill(255);
  const set = (x: number, y: number, [r, g, b]: readonly [number, number, number]): void => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    const o = (yi * width + xi) * 4;
    png.data[o] = r;
    png.data[o + 1] = g;
    png.data[o + 2] = b;
    png.data[o + 3] = 255;
  };
  const text = (s: string, x: number, y: number, scale = 2, colour: readonly [number, number, number] = [0, 0, 0]) => {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const glyph = FONT[ch] ?? FONT[' ']!;
      for (let i = 0; i < 15; i++)
        if (glyph[i] === '#')
          for (let dy = 0; dy < scale; dy++)
            for (let dx = 0; dx < scale; dx++)
              set(cx + (i % 3) * scale + dx, y + Math.floor(i / 3) * scale + dy, colour);
      cx += 4 * scale;
    }
  };
  const line = (
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    colour: readonly [number, number, number],
    dash = 0,
  ) => {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0)) * 2));
    for (let i = 0; i <= steps; i++) {
      if (dash > 0 && Math.floor(i / (dash * 2)) % 2 === 1) continue;
      const t = i / steps;
      const x = x0 + (x1 - x0) * t;
      const y = y0 + (y1 - y0) * t;
      set(x, y, colour);
      set(x + 0.5, y, colour);
      set(x, y + 0.5, colour);
    }
  };

  const left = 70;
  const right = width - 20;
  const top = 44;
  const bottom = height - 60;
  const [x0, x1] = options.x;
  const [y0, y1] = options.y;
  const px = (x: number): number => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const py = (y: number): number => bottom - ((y - y0) / (y1 - y0 || 1)) * (bottom - top);

  text(options.title, left, 4);
  const grey: [number, number, number] = [200, 200, 200];
  for (let i = 0; i <= 5; i++) {
    const xv = x0 + ((x1 - x0) * i) / 5;
    const yv = y0 + ((y1 - y0) * i) / 5;
    line(px(xv), top, px(xv), bottom, grey, 2);
    line(left, py(yv), right, py(yv), grey, 2);
    text(formatTick(xv), px(xv) - 12, bottom + 8);
    text(formatTick(yv), 8, py(yv) - 5);
  }
  line(left, bottom, right, bottom, [0, 0, 0]);
  line(left, top, left, bottom, [0, 0, 0]);
  text(options.xLabel, (left + right) / 2 - options.xLabel.length * 4, bottom + 28);
  text(options.yLabel, 8, top - 16);

  let colourIndex = 0;
  const named = series.filter((s) => !s.reference).length;
  let legendY = options.legend === 'bottom' ? bottom - 8 - named * 16 : top + 8;
  for (const s of series) {
    const colour = s.reference ? ([120, 120, 120] as const) : COLOURS[colourIndex++ % COLOURS.length]!;
    for (let i = 1; i < s.points.length; i++) {
      const [ax, ay] = s.points[i - 1]!;
      const [bx, by] = s.points[i]!;
      if (![ax, ay, bx, by].every(Number.isFinite)) continue;
      line(px(ax), py(clamp(ay, y0, y1)), px(bx), py(clamp(by, y0, y1)), colour, s.reference ? 3 : 0);
    }
    if (s.points.length === 1) {
      const [ax, ay] = s.points[0]!;
      for (let d = -2; d <= 2; d++) line(px(ax) - 2, py(ay) + d, px(ax) + 2, py(ay) + d, colour);
    }
    if (!s.reference) {
      line(right - 190, legendY + 5, right - 170, legendY + 5, colour);
      text(s.name, right - 162, legendY);
      legendY += 16;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

function clamp(v: number, a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  return v < lo ? lo : v > hi ? hi : v;
}

function formatTick(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 10 ? v.toFixed(0) : v.toFixed(2);
}
