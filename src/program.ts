// flashmm CLI: wires the commands in src/commands/ into one commander program (loaded by
// cli.ts once the signals are held). A command's module is imported only when it runs (all of
// them for the top-level help): the daemon's modules alone take ~0.25 s to load, which a
// backtest of a cached recording must not pay.
import { Command } from 'commander';
import { releaseSignals } from './early-signals.js';
import { errorMessage } from './errors.js';
import { daemonVersion } from './version.js';

const START_HERE = `
Start here:
  flashmm run                 the daemon on the embedded simulated venue (no keys, no network),
                              API and metrics on http://127.0.0.1:8080; Ctrl-C cancels every
                              order and exits
  flashmm run --help          what the current configuration trades and where to look
  flashmm backtest --generate zi --json --records > bt.json
                              a one-minute backtest on a generated market, every record kept
  flashmm report --backtest bt.json --market usdm:BTCUSDT
                              its performance report: an HTML page and a PNG card`;

type Register = (program: Command) => void;

/** `flashmm run`, whose help ends with what the configuration loaded now would trade. */
async function registerRunWithPlan(): Promise<Register> {
  const [{ registerRun }, { runPlan }, { loadConfig }] = await Promise.all([
    import('./commands/run.js'),
    import('./commands/run-banner.js'),
    import('./config/load.js'),
  ]);
  const runHelp = (): string => {
    try {
      const { config, sources } = loadConfig();
      return `\n${runPlan(config, sources)}  (--config and --env choose another configuration)`;
    } catch (err) {
      return `\nThe current configuration does not load:\n${errorMessage(err)}`;
    }
  };
  return (program) => {
    registerRun(program);
    program.commands.find((c) => c.name() === 'run')?.addHelpText('after', runHelp);
  };
}

/** Command name → its registration, in help order. */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: registerRunWithPlan,
  book: async () => (await import('./commands/book.js')).registerBook,
  backtest: async () => (await import('./commands/backtest.js')).registerBacktest,
  convert: async () => (await import('./commands/convert.js')).registerConvert,
  sweep: async () => (await import('./commands/sweep.js')).registerSweep,
  worker: async () => (await import('./commands/worker.js')).registerWorker,
  compare: async () => (await import('./commands/compare.js')).registerCompare,
  train: async () => (await import('./commands/train.js')).registerTrain,
  record: async () => (await import('./commands/record.js')).registerRecord,
  report: async () => (await import('./commands/report.js')).registerReport,
  keys: async () => (await import('./commands/keys.js')).registerKeys,
  ctl: async () => (await import('./commands/ctl.js')).registerCtl,
  token: async () => (await import('./commands/token.js')).registerToken,
  version: async () => (await import('./commands/version.js')).registerVersion,
  health: async () => (await import('./commands/health.js')).registerHealth,
  sim: async () => (await import('./commands/sim.js')).registerSim,
};

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('flashmm')
    .description('FlashMM: market-making daemon for on-chain central limit order books')
    .version(daemonVersion(), '-V, --version', 'print the daemon version')
    .showHelpAfterError()
    .addHelpText('after', START_HERE)
    // Only the daemon handles signals itself; any other command gets the defaults back.
    .hook('preAction', (_program, command) => {
      if (command.name() !== 'run') releaseSignals();
    });
  // The command named on the line alone; every command for the help, an option or a typo.
  const name = argv[2];
  const wanted = name !== undefined && Object.hasOwn(COMMANDS, name) ? [name] : Object.keys(COMMANDS);
  const registers = await Promise.all(wanted.map((n) => (COMMANDS[n] as () => Promise<Register>)()));
  for (const register of registers) register(program);
  return program;
}

await (await buildProgram(process.argv)).parseAsync(process.argv);
releaseSignals();
