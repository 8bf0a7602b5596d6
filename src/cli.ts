#!/usr/bin/env node
// flashmm CLI: wires the commands in src/commands/ into one commander program. A command's
// module is imported only when it runs (all of them for the top-level help): the daemon's
// modules alone take ~0.25 s to load, which a backtest of a cached recording must not pay.
import { Command } from 'commander';
import { daemonVersion } from './version.js';

type Register = (program: Command) => void;

/** Command name → its registration, in help order. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./commands/run.js')).registerRun,
  book: async () => (await import('./commands/book.js')).registerBook,
  backtest: async () => (await import('./commands/backtest.js')).registerBacktest,
  convert: async () => (await import('./commands/convert.js')).registerConvert,
  sweep: async () => (await import('./commands/sweep.js')).registerSweep,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  compare: async () => (await import('./commands/compare.js')).registerCompare,
  train: async () => (await import('./commands/train.js')).registerTrain,
  version: async () => (await import('./commands/version.js')).registerVersion,
  health: async () => (await import('./commands/health.js')).registerHealth,
};

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('flashmm')
    .description('FlashMM: market-making daemon for on-chain central limit order books')
    .version(daemonVersion(), '-V, --version', 'print the daemon version')
    .showHelpAfterError();
  const name = argv[2];
  const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  for (const n of wanted) (await (COMMANDS[n] as () => Promise<Register>)())(program);
  return program;
}

await (await buildProgram(process.argv)).parseAsync(process.argv);
