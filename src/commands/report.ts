// `flashmm report --backtest <result.json>`: the performance report of a period (P&L, fills,
// spread against the market, inventory, forecasts against outcomes) as a self-contained HTML
// page and a PNG card, and optionally an X post of the card with a one-line summary. The
// source is a backtest's result JSON now; the daemon's Redis state joins as another
// ReportSource (src/report/source.ts) once the storage keys exist.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadUplotAssets } from '../backtest/report.js';
import { parseMarket } from '../backtest/generator-options.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { ENVIRONMENTS, type Environment } from '../config/schema.js';
import { loadSecrets, SecretsError } from '../config/secret.js';
import { azureChatFactory, marketCommentary } from '../integrations/azure-openai/index.js';
import { createXPublisher } from '../integrations/x/index.js';
import { BinanceReader, MarketSpec } from '../native.js';
import { BacktestJsonSource } from '../report/backtest-source.js';
import { renderCard } from '../report/card.js';
import { reportFigures, summaryLine } from '../report/figures.js';
import { performanceReportHtml } from '../report/html.js';
import { createLogger } from '../telemetry/logger.js';
import { market as marketOption } from './options.js';

export interface ReportCliOptions {
  readonly backtest?: string;
  readonly recording?: string;
  readonly market?: ReturnType<typeof parseMarket>;
  readonly model?: string;
  readonly out: string;
  readonly post?: boolean;
  readonly dryRun?: boolean;
  readonly config?: string;
  readonly env?: string;
}

function specOf(o: ReportCliOptions): MarketSpec {
  if (o.recording !== undefined) return new BinanceReader(o.recording).spec;
  const m = o.market!;
  return 'spec' in m ? new MarketSpec(m.spec) : MarketSpec.binance(m.symbol, m.market);
}

async function report(o: ReportCliOptions): Promise<number> {
  if (o.env !== undefined && !(ENVIRONMENTS as readonly string[]).includes(o.env)) {
    throw new ConfigError([{ source: '--env', path: 'env', reason: `expected one of ${ENVIRONMENTS.join(', ')}, got '${o.env}'` }]);
  }
  const { config } = loadConfig({
    ...(o.config === undefined ? {} : { configPath: o.config }),
    ...(o.env === undefined ? {} : { env: o.env as Environment }),
  });
  // Logs go to stderr: stdout is the summary and the files written.
  const log = createLogger({ level: config.telemetry.logLevel, format: config.telemetry.logFormat, destination: process.stderr, isTTY: process.stderr.isTTY === true });
  const { x, azureOpenai } = config.integrations;
  const secrets = x.enabled || azureOpenai.enabled ? loadSecrets() : {};

  const source = new BacktestJsonSource({
    resultPath: o.backtest!, spec: specOf(o),
    ...(o.recording === undefined ? {} : { recording: o.recording }),
    ...(o.model === undefined ? {} : { modelPath: o.model }),
  });
  const data = await source.load();
  const figures = reportFigures(data);
  const card = renderCard(figures, x.summaryFields);
  const chat = azureChatFactory(azureOpenai, secrets);
  const commentary = chat === null ? null : await marketCommentary(azureOpenai, chat, figures, log);
  const html = performanceReportHtml(data, figures, { uplot: loadUplotAssets(), card, commentary });
  writeFileSync(`${o.out}.html`, html);
  writeFileSync(`${o.out}.png`, card);
  const line = summaryLine(figures, x.summaryFields);
  console.log(line);
  console.log(`wrote ${o.out}.html and ${o.out}.png`);
  if (!o.post) return 0;

  if (!x.enabled) {
    console.error('flashmm report: X posting is off (integrations.x.enabled: false): nothing posted');
    return 1;
  }
  const publisher = createXPublisher({ ...x, dryRun: x.dryRun || o.dryRun === true }, secrets, log);
  const outcome = await publisher.publish({ text: line, card });
  switch (outcome.status) {
    case 'posted':
      console.log(`posted to X: ${outcome.id}`);
      return 0;
    case 'dry-run':
      console.log(`dry run: would post to X the text above with ${o.out}.png (${card.length} bytes)`);
      return 0;
    case 'rate-limited':
      console.error(`flashmm report: not posted, rate limit (${outcome.by}) until ${new Date(outcome.retryAtMs).toISOString()}`);
      return 1;
    case 'failed':
      console.error(`flashmm report: not posted: ${outcome.reason}`);
      return 1;
    case 'disabled':
      return 1;
  }
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('performance report of a backtest (a daemon\'s from Redis later): P&L, fills, spread against the market, inventory, forecasts against outcomes, as an HTML page and a PNG card; optionally posted to X')
    .option('--backtest <result.json>', 'the result of flashmm backtest <recording> --json --records')
    .option('--recording <file>', 'the recording the backtest ran on (its market grid; with --model, replayed through the model)')
    .option('--market <spec>', 'the grid of a generated-market backtest: spot|usdm|coinm:SYMBOL or SYMBOL/tick/lot[/minSize]', marketOption)
    .option('--model <file.onnx>', "score this model's forecasts at each step against what the mid did (needs --recording)")
    .option('--out <prefix>', 'write <prefix>.html and <prefix>.png', 'flashmm-report')
    .option('--post', 'post the card and the one-line summary to X (needs integrations.x.enabled and the FLASHMM_X_* credentials)')
    .option('--dry-run', 'with --post: print what would be posted, post nothing')
    .option('--config <file>', 'config file for the integrations (replaces config/<env>.yml and config/local.yml)')
    .option('--env <name>', `config environment: ${ENVIRONMENTS.join(', ')}`)
    .action(async (opts: ReportCliOptions, cmd: Command) => {
      if (opts.backtest === undefined) cmd.error('error: give --backtest <result.json> (the only source until the Redis source lands)');
      if ((opts.recording === undefined) === (opts.market === undefined)) cmd.error('error: give the market: --recording <file> or --market <spec> (exactly one)');
      if (opts.model !== undefined && opts.recording === undefined) cmd.error('error: --model needs --recording (the forecasts are replayed from it)');
      if (opts.dryRun && !opts.post) cmd.error('error: --dry-run goes with --post');
      try {
        process.exitCode = await report(opts);
      } catch (err) {
        if (err instanceof ConfigError || err instanceof SecretsError) {
          console.error(`flashmm report: invalid configuration\n${err.message}`);
          process.exitCode = 78;
          return;
        }
        console.error(`flashmm report: ${err instanceof Error ? err.message : String(err)}`);
        process.exitCode = 2;
      }
    });
}
