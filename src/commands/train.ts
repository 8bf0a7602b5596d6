// `flashmm train`: recordings → an ONNX model plus its model card (JSON numbers and Markdown
// tables) beside it. Training and evaluation are the core's (trainModel runs on the libuv
// thread pool); this file parses flags, draws progress and writes files.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { type Command, CommanderError, Option } from 'commander';
import { recording } from '../config/data-dir.js';
import { trainModel, type TrainOptions, type TrainProgress, type TrainResult } from '../native.js';
import { nonNegativeInt, positiveInt } from './options.js';
import { errorMessage } from '../errors.js';

// `select`: every candidate of the core's list, the default chosen on validation.
export const ARCHS = ['mlp', 'lstm', 'transformer', 'logistic', 'ensemble', 'select'] as const;
export type Arch = (typeof ARCHS)[number];

interface TrainCliOptions {
  data: string[];
  arch?: Arch;
  config?: string;
  out: string;
  seed?: number;
  epochs?: number;
  patience?: number;
  tiny?: boolean;
  loro?: boolean;
  candidatesDir?: string;
  report?: string;
}

/** The subset of the model card the summary prints (the JSON holds everything). */
interface ReportSummary {
  test: { n: number; mean: { name: string; horizons: { horizon_ms: number; log_loss: number; direction_accuracy: number | null }[] }[] };
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
  const candidate = p.candidate ? `${p.candidate} ` : '';
  return `${candidate}${member}epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${fmt(p.trainLoss, 4)} ${Math.round(p.samplesPerSec)} samples/s`;
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

function trainOptions(o: TrainCliOptions, data: string[], config: string | undefined): TrainOptions {
  return {
    data,
    ...(o.arch === undefined ? {} : { arch: o.arch }),
    ...(config === undefined ? {} : { config }),
    ...(o.loro ? { leaveOneOut: true } : {}),
    ...(o.seed === undefined ? {} : { seed: o.seed }),
    ...(o.epochs === undefined ? {} : { epochs: o.epochs }),
    ...(o.patience === undefined ? {} : { patience: o.patience }),
    ...(o.tiny ? { tiny: true } : {}),
  };
}

export function formatSummary(out: string, files: string[], r: TrainResult): string {
  const card = JSON.parse(r.report) as ReportSummary;
  const c = r.counts;
  const model = card.test.mean.find((p) => p.name === 'model');
  const horizons = (model?.horizons ?? []).map(
    (m) => `${m.horizon_ms} ms log-loss ${fmt(m.log_loss, 4)} direction ${m.direction_accuracy == null ? '-' : fmt(m.direction_accuracy, 3)}`,
  );
  return [
    `${r.arch} (window ${r.seq} × 64) written to ${out} (${r.onnx.length} bytes)`,
    `model card: ${files.join(', ')}`,
    `samples: train ${c.train}, validation ${c.val}, test ${c.test} (rows per recording ${c.rows.join(', ')})`,
    `best epoch ${r.bestEpoch}, validation log-loss ${fmt(card.selection.val_log_loss_mean, 4)}, ${Math.round(r.samplesPerSec)} samples/s`,
    `walk-forward test, mean over markets (n = ${card.test.n}): ${horizons.join('; ')}`,
  ].join('\n');
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model on recordings and write it (ONNX) with its model card (.json, .md)')
    .requiredOption('--data <files...>', 'recordings: paths, or names under $FLASHMM_DATA_DIR/binance')
    .addOption(new Option('--arch <arch>', 'architecture (reference sizes), or select: the default chosen on validation among the core\'s candidates').choices(ARCHS))
    .option('--config <file.json>', 'a full training config (the core\'s TrainConfig as JSON) instead of --arch')
    .requiredOption('--out <file.onnx>', 'model file to write, e.g. models/mlp.onnx')
    .option('--seed <n>', 'seed of initialisation, batch order and dropout (same seed, same bytes)', nonNegativeInt)
    .option('--epochs <n>', 'most epochs', positiveInt)
    .option('--patience <n>', 'stop after this many epochs without validation improvement', positiveInt)
    .option('--tiny', 'tiny network, few epochs (smoke tests)')
    .option('--candidates-dir <dir>', 'with --arch select: also write every candidate model there (<name>.onnx)')
    .option('--loro', 'also train one model per recording left out and report them (leave-one-recording-out)')
    .option('--report <file.json>', 'model card JSON path (default: the --out path with .json)')
    // Usage errors exit 2, as the other commands' bad inputs do (commander's default is 1).
    .exitOverride((err: CommanderError) => {
      if (err.exitCode === 0) process.exit(0);
      process.exit(2);
    })
    .action(async (opts: TrainCliOptions) => {
      let data: string[];
      let config: string | undefined;
      try {
        if ((opts.arch === undefined) === (opts.config === undefined)) throw new Error('give exactly one of --arch and --config');
        data = opts.data.map(resolveData);
        config = opts.config === undefined ? undefined : readFileSync(opts.config, 'utf8');
      } catch (e) {
        console.error(`error: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      const reporter = progressReporter(process.stderr);
      let result: TrainResult;
      try {
        result = await trainModel(trainOptions(opts, data, config), (p) => reporter.update(p));
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
        if (result.selection != null && result.selectionMarkdown != null) {
          writeFileSync(beside(opts.out, '.selection.json'), `${result.selection}\n`);
          writeFileSync(beside(opts.out, '.selection.md'), result.selectionMarkdown);
        }
        if (opts.candidatesDir !== undefined) {
          mkdirSync(opts.candidatesDir, { recursive: true });
          for (const c of result.candidates ?? []) writeFileSync(join(opts.candidatesDir, `${c.name}.onnx`), c.onnx);
        }
      } catch (e) {
        console.error(`error: cannot write the model: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      console.log(formatSummary(opts.out, [json, md], result));
    });
}
