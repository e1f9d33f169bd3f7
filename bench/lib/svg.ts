/**
 * A small self-drawn SVG: two panels of horizontal bars, one row per
 * endpoint, each with its target drawn as a dashed line; a bar that misses
 * its target is drawn in the warning colour.
 */
export interface Panel {
  title: string;
  unit: string;
  target: number;
  /** 'min': the value must reach the target; 'max': it must stay under it. */
  kind: 'min' | 'max';
  values: Array<{ label: string; value: number }>;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export function barChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const labelW = 230;
  const barW = 300;
  const gap = 60;
  const rowH = 22;
  const top = 64;
  const rows = Math.max(...panels.map((p) => p.values.length));
  const width = labelW + panels.length * (barW + gap) + 20;
  const height = top + rows * rowH + 50;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="10" y="38" fill="#555">${esc(subtitle)}; green meets the target, orange misses it</text>`,
  ];
  const labels = panels[0]?.values.map((v) => v.label) ?? [];
  labels.forEach((label, i) => {
    out.push(`<text x="${labelW - 8}" y="${top + i * rowH + 15}" text-anchor="end">${esc(label)}</text>`);
  });
  panels.forEach((panel, k) => {
    const x0 = labelW + k * (barW + gap);
    const max = niceMax(Math.max(panel.target * 1.2, ...panel.values.map((v) => (Number.isFinite(v.value) ? v.value : 0))));
    const sx = (v: number): number => (Math.max(0, v) / max) * barW;
    out.push(`<text x="${x0}" y="${top - 8}" font-weight="bold">${esc(panel.title)}</text>`);
    panel.values.forEach((v, i) => {
      const y = top + i * rowH + 3;
      const ok = panel.kind === 'min' ? v.value >= panel.target : v.value <= panel.target;
      const w = Number.isFinite(v.value) ? sx(v.value) : 0;
      out.push(`<rect x="${x0}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${ok ? '#3a7d44' : '#d9822b'}"/>`);
      const text = Number.isFinite(v.value) ? `${v.value.toFixed(2)}${panel.unit}` : 'n/a';
      out.push(`<text x="${(x0 + w + 4).toFixed(1)}" y="${y + 12}" fill="#222">${esc(text)}</text>`);
    });
    const tx = x0 + sx(panel.target);
    const yEnd = top + rows * rowH;
    out.push(`<line x1="${tx.toFixed(1)}" y1="${top - 2}" x2="${tx.toFixed(1)}" y2="${yEnd}" stroke="#b00" stroke-dasharray="4 3"/>`);
    const anchor = tx - x0 < 50 ? 'start' : 'middle';
    out.push(
      `<text x="${tx.toFixed(1)}" y="${yEnd + 14}" text-anchor="${anchor}" fill="#b00">target ${panel.kind === 'min' ? '≥' : '≤'} ${panel.target}${esc(panel.unit)}</text>`,
    );
    out.push(`<line x1="${x0}" y1="${yEnd}" x2="${x0 + barW}" y2="${yEnd}" stroke="#999"/>`);
    out.push(`<text x="${x0 + barW}" y="${yEnd + 28}" text-anchor="end" fill="#777">0 – ${max}${esc(panel.unit)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
