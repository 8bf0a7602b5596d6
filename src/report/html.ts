// The performance report as one self-contained HTML page: the backtest report's page
// (src/backtest/report.ts: the core's summary table, config, price/inventory/equity/drawdown
// charts) with the card on top and the performance figures the statistics do not hold:
// spread against the market, forecasts against outcomes and, when asked for, the commentary.
import { buildReport, esc, num, type UplotAssets } from '../backtest/report.js';
import type { Commentary } from '../integrations/azure-openai/commentary.js';
import { percent, periodText, signed, type ReportFigures } from './figures.js';
import type { PerformanceData } from './source.js';

export interface PerformanceReportOptions {
  readonly uplot: UplotAssets;
  /** The PNG card, embedded as a data URI. */
  readonly card?: Buffer;
  readonly commentary?: Commentary | null;
}

function spreadRows(f: ReportFigures): [string, string, string][] {
  const s = f.spread;
  return [
    ['spread-market-bps', 'market spread (mean over two-sided steps)', `${num(s.marketSpreadBps, 3)} bp`],
    ['spread-ours-bps', 'our spread (mean over two-sided steps)', `${num(s.ourSpreadBps, 3)} bp`],
    ['spread-improvement-bps', 'spread improvement (market − ours, positive = tighter)', `${signed(s.improvementBps, 3)} bp`],
    ['spread-improvement-ratio', 'spread improvement relative to the market spread', percent(s.improvementRatio)],
    ['spread-two-sided-steps', 'steps quoted on both sides', `${s.steps} of ${s.totalSteps} (${percent(s.quotedShare)})`],
    ['spread-tighter-steps', 'steps with our spread inside the market’s', String(s.tighterSteps)],
  ];
}

function predictionRows(f: ReportFigures): [string, string, string][] {
  const p = f.predictions;
  if (p === null) return [];
  return [
    ['predictions-forecasts', 'steps with a forecast', `${p.forecasts} of ${p.steps}`],
    ...p.horizons.flatMap((h): [string, string, string][] => [
      [`accuracy-${h.horizonMs}ms`, `accuracy ${h.horizonMs} ms ahead (most probable class = outcome)`, `${percent(h.accuracy)} (${h.correct} of ${h.scored})`],
      [`direction-${h.horizonMs}ms`, `direction given a move, ${h.horizonMs} ms`, `${percent(h.directionGivenMove)} (${h.directionRight} of ${h.moves} moves)`],
    ]),
  ];
}

export function performanceReportHtml(data: PerformanceData, f: ReportFigures, opts: PerformanceReportOptions): string {
  const card = opts.card === undefined
    ? undefined
    : `<p><img id="card" alt="${esc(`${f.symbol} performance card`)}" width="600" src="data:image/png;base64,${opts.card.toString('base64')}"></p>`;
  const predictions = f.predictions === null
    ? { id: 'predictions', title: 'Forecasts against outcomes', text: 'No model forecasts in this source (flashmm report … --model <file.onnx> --recording <file> scores a model over a backtest).' }
    : { id: 'predictions', title: `Forecasts against outcomes (${f.predictions.model})`, rows: predictionRows(f) };
  const commentary = opts.commentary
    ? [{ id: 'commentary', title: `Market commentary (Azure OpenAI, ${opts.commentary.deployment}; machine-written, not advice)`, text: opts.commentary.text }]
    : [];
  return buildReport(data.result, data.spec, {
    source: data.label,
    uplot: opts.uplot,
    title: `${f.symbol} performance report, ${periodText(f.period)}`,
    ...(card === undefined ? {} : { headerHtml: card }),
    sections: [{ id: 'spread', title: 'Spread against the market', rows: spreadRows(f) }, predictions, ...commentary],
  });
}
