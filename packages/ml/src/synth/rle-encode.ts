/**
 * DICOM RLE Lossless encoder (PS3.5 Annex G), for writing test files without external tools. Each byte plane
 * (most significant first) is PackBits-encoded row by row, as the standard requires.
 */
export function encodeRleFrame(
  samples: Uint8Array | Uint16Array | Int16Array,
  rows: number,
  columns: number,
): Uint8Array {
  const bytesPerSample = samples.BYTES_PER_ELEMENT;
  const planes: Uint8Array[] = [];
  for (let s = 0; s < bytesPerSample; s += 1) {
    const shift = 8 * (bytesPerSample - 1 - s);
    const row = new Uint8Array(columns);
    const chunks: Uint8Array[] = [];
    for (let r = 0; r < rows; r += 1) {
      for (let c = 0; c < columns; c += 1) row[c] = ((samples[r * columns + c] as number) >> shift) & 0xff;
      chunks.push(packBits(row));
    }
    planes.push(concat(chunks, true));
  }
  const header = new Uint8Array(64);
  const view = new DataView(header.buffer);
  view.setUint32(0, planes.length, true);
  let offset = 64;
  planes.forEach((p, i) => {
    view.setUint32(4 + 4 * i, offset, true);
    offset += p.length;
  });
  return concat([header, ...planes], true);
}

function packBits(row: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  const n = row.length;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run += 1;
    if (run >= 2) {
      out.push(257 - run, row[i] as number);
      i += run;
      continue;
    }
    const start = i;
    let literal = 0;
    while (i < n && literal < 128) {
      if (i + 1 < n && row[i + 1] === row[i]) break;
      i += 1;
      literal += 1;
    }
    if (literal === 0) {
      // A run of two starting here; let the run branch take it on the next pass.
      continue;
    }
    out.push(literal - 1);
    for (let k = start; k < start + literal; k += 1) out.push(row[k] as number);
  }
  return Uint8Array.from(out);
}

function concat(parts: Uint8Array[], padEven: boolean): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(padEven && total % 2 ? total + 1 : total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
