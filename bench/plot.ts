/**
 * Tiny dependency-free SVG grouped bar chart for benchmark and evaluation reports.
 * `groups` are the x-axis clusters (e.g. metrics), `series` one bar per group each (e.g. models).
 */
export interface BarSeries {
  name: string;
  values: number[];
}

export interface BarChartOptions {
  title: string;
  groups: string[];
  series: BarSeries[];
  /** y-axis maximum (default: max value rounded up to a tenth). */
  yMax?: number;
  width?: number;
  height?: number;
  /** Digits printed above each bar (default 3). */
  digits?: number;
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Returns a standalone SVG document (deterministic output for identical input). */
export function barChartSvg(o: BarChartOptions): string {
  const width = o.width ?? 760;
  const height = o.height ?? 360;
  const digits = o.digits ?? 3;
  const margin = { top: 40, right: 150, bottom: 40, left: 50 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const maxVal = Math.max(0, ...o.series.flatMap((s) => s.values));
  const yMax = o.yMax ?? (Math.ceil(maxVal * 10) / 10 || 1);
  const groupW = plotW / Math.max(1, o.groups.length);
  const barW = (groupW * 0.8) / Math.max(1, o.series.length);
  const y = (v: number) => margin.top + plotH - (Math.min(v, yMax) / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  for (let t = 0; t <= 5; t++) {
    const v = (yMax * t) / 5;
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${v.toFixed(2)}</text>`);
  }
  o.groups.forEach((g, gi) => {
    const gx = margin.left + gi * groupW + groupW * 0.1;
    o.series.forEach((s, si) => {
      const v = s.values[gi] ?? 0;
      const x = gx + si * barW;
      const top = y(v);
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(margin.top + plotH - top).toFixed(1)}" fill="${PALETTE[si % PALETTE.length]}"/>`);
      out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="8">${v.toFixed(digits)}</text>`);
    });
    out.push(`<text x="${(margin.left + gi * groupW + groupW / 2).toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle">${esc(g)}</text>`);
  });
  out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="#333"/>`);
  o.series.forEach((s, si) => {
    const ly = margin.top + si * 18;
    out.push(`<rect x="${width - margin.right + 12}" y="${ly}" width="12" height="12" fill="${PALETTE[si % PALETTE.length]}"/>`);
    out.push(`<text x="${width - margin.right + 30}" y="${ly + 10}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
