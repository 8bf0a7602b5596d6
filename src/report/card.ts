// The report's PNG card (1200 × 675, the 16:9 image an X post shows in full): the configured
// summary fields as tiles and, with `pnl`, the net P&L line over the period. Drawn as SVG and
// rendered by resvg (Rust, no browser) with the DejaVu fonts shipped in the `dejavu-fonts-ttf`
// package, never the system's, so the same figures give the same pixels on any machine.
import { Resvg } from '@resvg/resvg-js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { downsample, esc } from '../backtest/report.js';
import { fieldText, periodText, type ReportFigures, type SummaryField } from './figures.js';

export const CARD_WIDTH = 1200;
export const CARD_HEIGHT = 675;

const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => join(FONT_DIR, f));

const COLOURS = { background: '#0f172a', tile: '#1e293b', text: '#f8fafc', muted: '#94a3b8', up: '#22c55e', down: '#ef4444', line: '#38bdf8' };

// DejaVu Sans advances, in em, at most (bold digits are 0.696, regular text averages below 0.6):
// enough to shrink a text so that it fits its tile.
const BOLD_EM = 0.72;
const REGULAR_EM = 0.6;
const fitting = (text: string, width: number, em: number, max: number): number => Math.min(max, Math.floor(width / (Math.max(1, text.length) * em)));

function tile(x: number, y: number, w: number, label: string, value: string, detail: string, colour: string): string {
  const inner = w - 48;
  return [
    `<rect x="${x}" y="${y}" width="${w}" height="150" rx="14" fill="${COLOURS.tile}"/>`,
    `<text x="${x + 24}" y="${y + 40}" font-size="${fitting(label, inner, REGULAR_EM, 22)}" fill="${COLOURS.muted}">${esc(label)}</text>`,
    `<text x="${x + 24}" y="${y + 95}" font-size="${fitting(value, inner, BOLD_EM, 46)}" font-weight="bold" fill="${colour}">${esc(value)}</text>`,
    `<text x="${x + 24}" y="${y + 130}" font-size="${fitting(detail, inner, REGULAR_EM, 17)}" fill="${COLOURS.muted}">${esc(detail)}</text>`,
  ].join('\n');
}

/** The equity line in the box (x, y, w, h), with the zero line; at most ~`w` points. */
function equityLine(equity: readonly bigint[], x: number, y: number, w: number, h: number): string {
  if (equity.length < 2) return '';
  const keep = downsample(equity, w);
  const values = keep.map((i) => Number(equity[i]!));
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  const span = hi - lo || 1;
  const px = (k: number): string => (x + (k / (keep.length - 1)) * w).toFixed(1);
  const py = (v: number): string => (y + h - ((v - lo) / span) * h).toFixed(1);
  const points = values.map((v, k) => `${px(k)},${py(v)}`).join(' ');
  return [
    `<line x1="${x}" y1="${py(0)}" x2="${x + w}" y2="${py(0)}" stroke="${COLOURS.muted}" stroke-width="1" stroke-dasharray="6 6"/>`,
    `<polyline points="${points}" fill="none" stroke="${COLOURS.line}" stroke-width="3" stroke-linejoin="round"/>`,
    `<text x="${x}" y="${y - 12}" font-size="18" fill="${COLOURS.muted}">net P&amp;L over the period</text>`,
  ].join('\n');
}

/** The card as SVG: only `fields` (in order), nothing else of the figures. */
export function cardSvg(f: ReportFigures, fields: readonly SummaryField[]): string {
  // One row up to three tiles; four as two by two; five as three and two.
  const perRow = fields.length === 4 ? 2 : Math.min(3, fields.length);
  const gap = 24;
  const w = (CARD_WIDTH - 2 * 48 - (perRow - 1) * gap) / perRow;
  const tiles = fields.map((field, i) => {
    const t = fieldText(f, field);
    const colour = field === 'pnl' ? (t.value.startsWith('-') ? COLOURS.down : COLOURS.up) : COLOURS.text;
    return tile(48 + (i % perRow) * (w + gap), 150 + Math.floor(i / perRow) * (150 + gap), w, t.label, t.value, t.detail, colour);
  });
  const rows = Math.ceil(fields.length / perRow);
  const lineTop = 150 + rows * (150 + gap) + 40;
  const line = fields.includes('pnl') && lineTop < CARD_HEIGHT - 80 ? equityLine(f.equity, 48, lineTop, CARD_WIDTH - 96, CARD_HEIGHT - 60 - lineTop) : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${CARD_WIDTH}" height="${CARD_HEIGHT}" viewBox="0 0 ${CARD_WIDTH} ${CARD_HEIGHT}" font-family="DejaVu Sans">
<rect width="${CARD_WIDTH}" height="${CARD_HEIGHT}" fill="${COLOURS.background}"/>
<text x="48" y="72" font-size="40" font-weight="bold" fill="${COLOURS.text}">FlashMM <tspan fill="${COLOURS.line}">${esc(f.symbol)}</tspan></text>
<text x="${CARD_WIDTH - 48}" y="72" font-size="24" text-anchor="end" fill="${COLOURS.muted}">${f.kind === 'backtest' ? 'backtest' : 'live'}</text>
<text x="48" y="112" font-size="24" fill="${COLOURS.muted}">${esc(periodText(f.period))} · money in the quote currency</text>
${tiles.join('\n')}
${line}
<text x="48" y="${CARD_HEIGHT - 24}" font-size="16" fill="${COLOURS.muted}">${esc(f.label)}</text>
</svg>
`;
}

/** The card as PNG bytes. */
export function renderCard(f: ReportFigures, fields: readonly SummaryField[]): Buffer {
  const resvg = new Resvg(cardSvg(f, fields), {
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'original' },
  });
  return resvg.render().asPng();
}
