import type { ChartPanel } from './context.js';
import { si } from './stats.js';

const WIDTH = 980;
const LABEL_WIDTH = 330;
const PLOT_WIDTH = 430;
const ROW = 24;
const BAR = 14;
const PANEL_TOP = 50;
const PANEL_BOTTOM = 30;
const OURS = '#d9480f';
const OTHERS = '#868e96';

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** Ticks for an axis: powers of ten on a log scale, 1/2/5 steps on a linear one. */
function ticks(scale: ChartPanel['scale'], low: number, high: number): number[] {
  if (scale === 'log') {
    const out: number[] = [];
    for (let p = Math.floor(Math.log10(low)); p <= Math.ceil(Math.log10(high)); p++) out.push(10 ** p);
    return out;
  }
  const raw = high / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return Array.from({ length: Math.floor(high / step) + 1 }, (_, i) => i * step);
}

function panelSvg(panel: ChartPanel, top: number): { svg: string; height: number } {
  const values = panel.bars.flatMap((bar) => [bar.summary.min, bar.summary.max, bar.summary.median]);
  if (panel.marker) values.push(panel.marker.value);
  const finite = values.filter((v) => Number.isFinite(v) && (panel.scale === 'linear' || v > 0));
  const axisTicks =
    panel.scale === 'log'
      ? ticks('log', Math.min(...finite), Math.max(...finite))
      : ticks('linear', 0, Math.max(...finite) * 1.05);
  const low = panel.scale === 'log' ? axisTicks[0]! : 0;
  const high = Math.max(axisTicks[axisTicks.length - 1]!, Math.max(...finite));
  const x = (value: number) => {
    const fraction =
      panel.scale === 'log'
        ? (Math.log10(Math.max(value, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))
        : value / high;
    return LABEL_WIDTH + Math.max(0, Math.min(1, fraction)) * PLOT_WIDTH;
  };
  const height = PANEL_TOP + panel.bars.length * ROW + PANEL_BOTTOM;
  const bottom = top + PANEL_TOP + panel.bars.length * ROW;
  const parts = [`<text x="12" y="${top + 22}" class="title">${escapeXml(panel.title)}</text>`];
  for (const tick of axisTicks) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx.toFixed(1)}" y1="${top + PANEL_TOP - 6}" x2="${tx.toFixed(1)}" y2="${bottom}" class="grid"/>`,
      `<text x="${tx.toFixed(1)}" y="${bottom + 16}" class="tick">${escapeXml(tick === 0 ? '0' : si(tick))}</text>`,
    );
  }
  if (panel.marker) {
    const mx = x(panel.marker.value).toFixed(1);
    parts.push(
      `<line x1="${mx}" y1="${top + PANEL_TOP - 10}" x2="${mx}" y2="${bottom}" class="marker"/>`,
      `<text x="${mx}" y="${top + PANEL_TOP - 13}" class="marker-label">${escapeXml(panel.marker.label)}</text>`,
    );
  }
  panel.bars.forEach((bar, i) => {
    const y = top + PANEL_TOP + i * ROW;
    const { median, min, max } = bar.summary;
    const color = bar.ours ? OURS : OTHERS;
    const whiskerY = y + BAR / 2;
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${y + BAR - 2}" class="label${bar.ours ? ' ours' : ''}">${escapeXml(bar.label)}</text>`,
      `<rect x="${x(low)}" y="${y}" width="${Math.max(1, x(median) - x(low)).toFixed(1)}" height="${BAR}" fill="${color}" opacity="0.85"/>`,
      `<line x1="${x(min).toFixed(1)}" y1="${whiskerY}" x2="${x(max).toFixed(1)}" y2="${whiskerY}" class="whisker"/>`,
      `<line x1="${x(min).toFixed(1)}" y1="${y + 3}" x2="${x(min).toFixed(1)}" y2="${y + BAR - 3}" class="whisker"/>`,
      `<line x1="${x(max).toFixed(1)}" y1="${y + 3}" x2="${x(max).toFixed(1)}" y2="${y + BAR - 3}" class="whisker"/>`,
      `<text x="${LABEL_WIDTH + PLOT_WIDTH + 10}" y="${y + BAR - 2}" class="note">${escapeXml(bar.note ?? si(median))}</text>`,
    );
  });
  return { svg: parts.join('\n'), height };
}

/**
 * The chart of a run, written by hand as SVG: one panel per comparison, a bar per variant at its
 * median with a whisker from the fastest to the slowest round, vidcache's bars in colour.
 */
export function chartSvg(panels: readonly ChartPanel[], caption: string): string {
  let top = 8;
  const bodies: string[] = [];
  for (const panel of panels) {
    const { svg, height } = panelSvg(panel, top);
    bodies.push(svg);
    top += height;
  }
  const height = top + 30;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 14px; font-weight: bold; fill: #212529; }
  .label { font-size: 12px; fill: #343a40; text-anchor: end; }
  .label.ours { fill: ${OURS}; font-weight: bold; }
  .note { font-size: 11px; fill: #495057; }
  .tick { font-size: 10px; fill: #868e96; text-anchor: middle; }
  .grid { stroke: #e9ecef; stroke-width: 1; }
  .whisker { stroke: #212529; stroke-width: 1.2; }
  .caption { font-size: 11px; fill: #495057; }
  .marker { stroke: #1c7ed6; stroke-width: 1.5; stroke-dasharray: 5 3; }
  .marker-label { font-size: 11px; fill: #1c7ed6; text-anchor: middle; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${bodies.join('\n')}
<text x="12" y="${height - 12}" class="caption">${escapeXml(caption)}</text>
</svg>
`;
}
