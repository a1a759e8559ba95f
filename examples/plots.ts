/**
 * Pictures for the examples, as SVG (text and lines are native there; any
 * browser or GitHub shows them). Digit bitmaps are encoded as PNG with pngjs
 * and embedded.
 */
import { PNG } from "pngjs";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * A line chart of one or more series over epochs 1..n (or over `x`, e.g. hours
 * of training; a series with its own `x` is drawn over those values instead).
 */
export function lineChart(opts: {
  title: string;
  yLabel: string;
  series: { name: string; values: number[]; color: string; x?: number[] }[];
  width?: number;
  height?: number;
  /** The x value of each point (default: the epoch 1..n), with its axis label. */
  x?: { values: number[]; label: string };
  /** A vertical marker at epoch index `index` (0-based), e.g. the selected best-validation epoch. */
  mark?: { index: number; label: string };
  /** Room for the legend at the right, in px (default 130). */
  legendWidth?: number;
}): string {
  const W = opts.width ?? 520;
  const H = opts.height ?? 320;
  const m = { l: 72, r: opts.legendWidth ?? 130, t: 36, b: 44 };
  const all = opts.series.flatMap((s) => s.values).filter(Number.isFinite);
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.08;
  const fractions = lo >= 0 && hi <= 1; // accuracies: keep the axis within [0, 1]
  lo -= pad;
  hi += pad;
  if (fractions) {
    lo = Math.max(0, lo);
    hi = Math.min(1, hi);
  }
  const n = Math.max(...opts.series.map((s) => s.values.length));
  const xv = opts.x?.values;
  const xMax = xv ? Math.max(...xv, ...opts.series.flatMap((s) => s.x ?? [])) : 0;
  const x = (i: number, own?: number[]): number =>
    m.l +
    (xv
      ? xMax > 0
        ? (((own ?? xv)[i] as number) / xMax) * (W - m.l - m.r)
        : 0
      : n <= 1
        ? 0
        : (i / (n - 1)) * (W - m.l - m.r));
  const y = (v: number): number => m.t + (1 - (v - lo) / (hi - lo)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(opts.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - m.r / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  // round ticks (1, 2 or 5 × 10^k apart, Heckbert's "nice numbers"), about five of them
  const step = niceStep((hi - lo) / 5);
  const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-12; v += step) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(digits)}</text>`,
    );
  }
  if (opts.mark && opts.mark.index >= 0 && opts.mark.index < n) {
    const mx = x(opts.mark.index);
    // the label sits at the plot's foot, on whichever side of the marker it
    // fits, so it never runs into the legend at the top right
    const right = mx + 4 + textWidth(opts.mark.label) <= W - m.r;
    parts.push(
      `<line x1="${mx}" x2="${mx}" y1="${m.t}" y2="${H - m.b}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${right ? mx + 4 : mx - 4}" y="${H - m.b - 6}" text-anchor="${right ? "start" : "end"}" fill="#555">${esc(opts.mark.label)}</text>`,
    );
  }
  if (xv) {
    // round ticks along x from 0 to the last value
    // about six, then fewer until the widest label and a gap fit between two ticks
    let xs = niceStep(xMax / 6);
    let xd = Math.max(0, -Math.floor(Math.log10(xs) + 1e-9));
    while ((xs / xMax) * (W - m.l - m.r) < textWidth(xMax.toFixed(xd)) + 12) {
      xs = niceStep(xs * 1.6);
      xd = Math.max(0, -Math.floor(Math.log10(xs) + 1e-9));
    }
    for (let v = 0; v <= xMax + 1e-12; v += xs) {
      const px = m.l + (v / xMax) * (W - m.l - m.r);
      parts.push(`<text x="${px}" y="${H - m.b + 16}" text-anchor="middle">${v.toFixed(xd)}</text>`);
    }
  } else {
    // every epoch up to 15, else the first and each multiple of a round step (10, 20, …)
    const every = n <= 15 ? 1 : Math.max(2, niceStep(n / 10));
    for (let i = 0; i < n; i++) {
      const e = i + 1;
      if (e !== 1 && e % every !== 0) continue;
      if (e !== 1 && e < every / 2) continue;
      parts.push(`<text x="${x(i)}" y="${H - m.b + 16}" text-anchor="middle">${e}</text>`);
    }
  }
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.x?.label ?? "epoch")}</text>`,
    `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  opts.series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${x(i, s.x).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const [i, v] of s.values.entries())
      parts.push(`<circle cx="${x(i, s.x)}" cy="${y(v)}" r="2.5" fill="${s.color}"/>`);
    parts.push(
      `<line x1="${W - m.r + 12}" x2="${W - m.r + 32}" y1="${m.t + 10 + 18 * k}" y2="${m.t + 10 + 18 * k}" stroke="${s.color}" stroke-width="2"/>`,
      `<text x="${W - m.r + 38}" y="${m.t + 14 + 18 * k}">${esc(s.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** A confusion matrix (rows: true class, columns: predicted), cells shaded by row share. */
export function confusionMatrixSvg(matrix: number[][], title: string): string {
  const K = matrix.length;
  const c = 40;
  const off = { l: 70, t: 70 };
  const W = off.l + K * c + 20;
  const H = off.t + K * c + 20;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<text x="${off.l + (K * c) / 2}" y="40" text-anchor="middle">predicted</text>`,
    `<text transform="translate(18 ${off.t + (K * c) / 2}) rotate(-90)" text-anchor="middle">true</text>`,
  ];
  for (let i = 0; i < K; i++) {
    parts.push(
      `<text x="${off.l + i * c + c / 2}" y="${off.t - 8}" text-anchor="middle" font-weight="bold">${i}</text>`,
      `<text x="${off.l - 8}" y="${off.t + i * c + c / 2 + 4}" text-anchor="end" font-weight="bold">${i}</text>`,
    );
    const row = matrix[i] as number[];
    const total = row.reduce((a, b) => a + b, 0) || 1;
    for (let j = 0; j < K; j++) {
      const v = row[j] as number;
      const share = v / total;
      // diagonal in blue, errors in red, shaded by their share of the row
      const alpha = i === j ? 0.15 + 0.85 * share : Math.min(1, share * 20);
      const fill = i === j ? `rgba(40,90,200,${alpha.toFixed(3)})` : `rgba(210,40,40,${alpha.toFixed(3)})`;
      parts.push(
        `<rect x="${off.l + j * c}" y="${off.t + i * c}" width="${c}" height="${c}" fill="${fill}" stroke="#ccc"/>`,
        `<text x="${off.l + j * c + c / 2}" y="${off.t + i * c + c / 2 + 4}" text-anchor="middle" fill="${i === j && share > 0.5 ? "white" : "black"}">${v}</text>`,
      );
    }
  }
  parts.push("</svg>");
  return parts.join("\n");
}

/** One grayscale image (bytes, row-major) as a PNG, scaled up by `zoom`. */
export function grayPng(pixels: Uint8Array, w: number, h: number, zoom = 2): Buffer {
  const png = new PNG({ width: w * zoom, height: h * zoom, colorType: 0, inputColorType: 0, bitDepth: 8 });
  for (let y = 0; y < h * zoom; y++) {
    for (let x = 0; x < w * zoom; x++) {
      // MNIST is white ink on black; show it as dark ink on white paper
      png.data[y * w * zoom + x] = 255 - (pixels[Math.floor(y / zoom) * w + Math.floor(x / zoom)] as number);
    }
  }
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0 });
}

/** A grid of digit images with a caption under each. */
export function digitGridSvg(
  items: { pixels: Uint8Array; caption: string; color?: string }[],
  w: number,
  h: number,
  title: string,
  cols = 10,
): string {
  const zoom = 2;
  const cw = w * zoom + 16;
  const ch = h * zoom + 30;
  const rows = Math.ceil(items.length / cols);
  const W = cols * cw + 10;
  const H = rows * ch + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  items.forEach((it, k) => {
    const x0 = 5 + (k % cols) * cw + 8;
    const y0 = 36 + Math.floor(k / cols) * ch;
    const data = grayPng(it.pixels, w, h, zoom).toString("base64");
    parts.push(
      `<image x="${x0}" y="${y0}" width="${w * zoom}" height="${h * zoom}" href="data:image/png;base64,${data}"/>`,
      `<text x="${x0 + (w * zoom) / 2}" y="${y0 + h * zoom + 15}" text-anchor="middle" fill="${it.color ?? "black"}">${esc(it.caption)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/**
 * The first `max` misclassified images of a labelled set, captioned
 * "true → predicted", for {@link digitGridSvg}.
 */
export function misclassified(
  predicted: ArrayLike<number>,
  ds: { images: Uint8Array; labels: Uint8Array; length: number },
  max: number,
): { pixels: Uint8Array; caption: string; color: string }[] {
  const wrong: { pixels: Uint8Array; caption: string; color: string }[] = [];
  for (let i = 0; i < ds.length && wrong.length < max; i++) {
    if (predicted[i] !== ds.labels[i]) {
      wrong.push({
        pixels: ds.images.subarray(i * 784, (i + 1) * 784),
        caption: `${ds.labels[i]} → ${predicted[i]}`,
        color: "#c00",
      });
    }
  }
  return wrong;
}

/** The 1, 2 or 5 × 10^k nearest `raw` (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990). */
/** A generous width of `s` at the charts' 12 px sans-serif (digits are about 6.7 px wide). */
function textWidth(s: string): number {
  return s.length * 7.5;
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/** A scatter plot of point series, with an optional line (a model's curve) over them. */
export function scatterChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  points: { name: string; color: string; values: [number, number][] }[];
  line?: { name: string; color: string; values: [number, number][] };
  width?: number;
  height?: number;
}): string {
  const W = opts.width ?? 560;
  const H = opts.height ?? 360;
  const m = { l: 60, r: 140, t: 36, b: 44 };
  const all = [...opts.points.flatMap((s) => s.values), ...(opts.line?.values ?? [])];
  const range = (k: 0 | 1) => {
    const v = all.map((p) => p[k]).filter(Number.isFinite);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const pad = (hi - lo || 1) * 0.05;
    return [lo - pad, hi + pad] as const;
  };
  const [x0, x1] = range(0);
  const [y0, y1] = range(1);
  const px = (v: number) => m.l + ((v - x0) / (x1 - x0)) * (W - m.l - m.r);
  const py = (v: number) => m.t + (1 - (v - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(opts.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  const ys = niceStep((y1 - y0) / 5);
  for (let v = Math.ceil(y0 / ys) * ys; v <= y1; v += ys)
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${py(v)}" y2="${py(v)}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${py(v) + 4}" text-anchor="end">${+v.toFixed(6)}</text>`,
    );
  const xs = niceStep((x1 - x0) / 6);
  for (let v = Math.ceil(x0 / xs) * xs; v <= x1; v += xs)
    parts.push(`<text x="${px(v)}" y="${H - m.b + 16}" text-anchor="middle">${+v.toFixed(6)}</text>`);
  parts.push(
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    `<text transform="translate(14 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
  );
  const legend: { name: string; color: string; line: boolean }[] = [];
  for (const s of opts.points) {
    for (const [a, b] of s.values)
      parts.push(
        `<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="2.5" fill="${s.color}" fill-opacity="0.8"/>`,
      );
    legend.push({ name: s.name, color: s.color, line: false });
  }
  if (opts.line) {
    const pts = opts.line.values.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(" ");
    parts.push(`<polyline points="${pts}" fill="none" stroke="${opts.line.color}" stroke-width="2.5"/>`);
    legend.push({ name: opts.line.name, color: opts.line.color, line: true });
  }
  legend.forEach((l, k) => {
    const ly = m.t + 10 + 18 * k;
    parts.push(
      l.line
        ? `<line x1="${W - m.r + 12}" x2="${W - m.r + 32}" y1="${ly}" y2="${ly}" stroke="${l.color}" stroke-width="2.5"/>`
        : `<circle cx="${W - m.r + 22}" cy="${ly}" r="3.5" fill="${l.color}"/>`,
      `<text x="${W - m.r + 38}" y="${ly + 4}">${esc(l.name)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
