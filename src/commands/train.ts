// `flashmm train`: recordings → an ONNX model plus its model card (JSON numbers and Markdown
// tables) beside it. Training and evaluation are the core's (trainModel runs on the libuv
// thread pool); this file parses flags, draws progress and writes files.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { type Command, CommanderError, Option } from 'commander';
import { recording } from '../config/data-dir.js';
import { trainModel, type TrainOptions, type TrainProgress, type TrainResult } from '../native.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { errorMessage } from '../errors.js';

export const ARCHS = ['mlp', 'lstm', 'transformer', 'ensemble'] as const;
export type Arch = (typeof ARCHS)[number];

interface TrainCliOptions {
  data: string[];
  arch: Arch;
  out: string;
  seed?: number;
  epochs?: number;
  patience?: number;
  tiny?: boolean;
  report?: string;
}

/** The subset of the model card the summary prints (the JSON holds everything). */
interface ReportSummary {
  test: { n: number; model: { horizon_ms: number; accuracy: number; log_loss: number }[] };
  selection: { val_log_loss_mean: number };
}

/** A recording path as given, else a name under FLASHMM_DATA_DIR (binance/<name>). */
function resolveData(item: string): string {
  return existsSync(item) ? resolve(item) : recording(item);
}

/** `models/x.onnx` → `models/x<ext>`: the model card files sit beside the model. */
export function beside(out: string, ext: string): string {
  const e = extname(out);
  return `${e ? out.slice(0, -e.length) : out}${ext}`;
}

function fmt(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function progressLine(p: TrainProgress): string {
  const member = p.members > 1 ? `member ${p.member + 1}/${p.members} ` : '';
  return `${member}epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${fmt(p.trainLoss, 4)} ${Math.round(p.samplesPerSec)} samples/s`;
}

/** On a terminal a redrawn bar; otherwise one plain line per epoch (logs stay readable). */
function progressReporter(stream: NodeJS.WriteStream): { update: (p: TrainProgress) => void; done: () => void } {
  let drawn = false;
  return {
    update(p) {
      if (!stream.isTTY) {
        if (p.valLoss != null) stream.write(`${progressLine(p)} val loss ${fmt(p.valLoss, 4)}\n`);
        return;
      }
      const width = Math.max(10, Math.min(30, (stream.columns ?? 80) - 80));
      const frac = p.batches > 0 ? Math.min(1, p.batch / p.batches) : 0;
      const full = Math.round(frac * width);
      stream.write(`\r\x1b[2Ktrain [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${progressLine(p)}`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

function trainOptions(o: TrainCliOptions, data: string[]): TrainOptions {
  return {
    data,
    arch: o.arch,
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.epochs === undefined ? {} : { epochs: o.epochs }),
    ...(o.patience === undefined ? {} : { patience: o.patience }),
    ...(o.tiny ? { tiny: true } : {}),
  };
}

export function formatSummary(out: string, files: string[], r: TrainResult): string {
  const card = JSON.parse(r.report) as ReportSummary;
  const c = r.counts;
  const horizons = card.test.model.map((m) => `${m.horizon_ms} ms acc ${fmt(m.accuracy, 3)} log-loss ${fmt(m.log_loss, 4)}`);
  return [
    `${r.arch} (window ${r.seq} × 64) written to ${out} (${r.onnx.length} bytes)`,
    `model card: ${files.join(', ')}`,
    `samples: train ${c.train}, validation ${c.val}, test ${c.test} (rows per recording ${c.rows.join(', ')})`,
    `best epoch ${r.bestEpoch}, validation log-loss ${fmt(card.selection.val_log_loss_mean, 4)}, ${Math.round(r.samplesPerSec)} samples/s`,
    `test (n = ${card.test.n}): ${horizons.join('; ')}`,
  ].join('\n');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model on recordings and write it (ONNX) with its model card (.json, .md)')
    .requiredOption('--data <files...>', 'recordings: paths, or names under $FLASHMM_DATA_DIR/binance')
    .addOption(new Option('--arch <arch>', 'architecture').choices(ARCHS).makeOptionMandatory())
    .requiredOption('--out <file.onnx>', 'model file to write, e.g. models/mlp.onnx')
    .option('--seed <n>', 'seed of initialisation, batch order and dropout (same seed, same bytes)', nonNegativeInt)
    .option('--epochs <n>', 'most epochs', positiveInt)
    .option('--patience <n>', 'stop after this many epochs without validation improvement', positiveInt)
    .option('--tiny', 'tiny network, few epochs (smoke tests)')
    .option('--report <file.json>', 'model card JSON path (default: the --out path with .json)')
    // Usage errors exit 2, as the other commands' bad inputs do (commander's default is 1).
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(2);
    })
    .action(async (opts: TrainCliOptions) => {
      let data: string[];
      try {
        data = opts.data.map(resolveData);
      } catch (e) {
        console.error(`error: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      const reporter = progressReporter(process.stderr);
      let result: TrainResult;
      try {
        result = await trainModel(trainOptions(opts, data), (p) => reporter.update(p));
      } catch (e) {
        reporter.done();
        console.error(`error: training failed: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      reporter.done();
      const json = opts.report ?? beside(opts.out, '.json');
      const md = beside(opts.out, '.md');
      try {
        for (const f of [opts.out, json, md]) mkdirSync(dirname(resolve(f)), { recursive: true });
        writeFileSync(opts.out, result.onnx);
        writeFileSync(json, `${result.report}\n`);
        writeFileSync(md, result.markdown);
      } catch (e) {
        console.error(`error: cannot write the model: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      console.log(formatSummary(opts.out, [json, md], result));
    });
}
