#!/usr/bin/env node
/**
 * The `strata` command line:
 *
 *   strata train --model lenet5 --dataset mnist [--epochs N --batch-size N --lr X --optimizer NAME --momentum X
 *                --weight-decay X --scheduler NAME --augment LEVEL|--no-augment --backend js|native --seed N
 *                --data DIR --out DIR --resume CHECKPOINT --limit N]
 *   strata eval CHECKPOINT [--dataset mnist] [--grid errors.png]
 *   strata predict CHECKPOINT image.png ...
 *   strata summary MODEL [--input 1,3,224,224]
 *   strata lab [--port N] [--data DIR]
 *
 * Every command has --help; bad arguments print one line `strata: ...` and exit with status 1.
 */
import { Command, CommanderError, Option } from 'commander';
import { pathToFileURL } from 'node:url';
import { realpathSync } from 'node:fs';
import { CliError, io, parseChoice, parseFloatArg, parseIntArg, parseShape, runCommand } from './common.js';
import { AUGMENT_LEVELS, DATASETS, OPTIMIZERS, SCHEDULERS, defaultSettings } from './recipes.js';

const VERSION = '0.1.0';

/** Build the program (exported for tests); `exit: false` makes commander throw instead of exiting. */
export function buildProgram(): Command {
  const program = new Command();
  const d = defaultSettings('mnist');
  program
    .name('strata')
    .description('Strata: deep learning for computer vision in TypeScript')
    .version(VERSION, '-v, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (str) => io.out(str),
      writeErr: (str) => io.err(str),
      // Errors as one line: "strata: <message>" (commander's own start with "error: ").
      outputError: (str) => io.err(`strata: ${str.replace(/^error: /, '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ')}\n`),
    })
    .exitOverride();

  const backendOption = () => new Option('--backend <name>', 'compute backend: js (reference) or native (C++ SIMD; default when built)').argParser(parseChoice('--backend', ['js', 'native'] as const));
  const dataOption = () => new Option('--data <dir>', 'data root (default: $STRATA_DATA, else ../shared/data)');

  program
    .command('train')
    .description('train a zoo model on a dataset, with checkpoints, CSV/JSONL logs and a final test evaluation')
    .option('--model <name>', 'model from the zoo (strata summary lists them)', 'lenet5')
    .addOption(new Option('--dataset <name>', 'dataset').choices(Object.keys(DATASETS)).default('mnist'))
    .option('--epochs <n>', `epochs (default ${d.epochs} for mnist)`, parseIntArg('--epochs'))
    .option('--batch-size <n>', `batch size (default ${d.batchSize})`, parseIntArg('--batch-size'))
    .option('--lr <x>', `learning rate (peak lr for onecycle; default ${d.lr})`, parseFloatArg('--lr', { positive: true }))
    .addOption(new Option('--optimizer <name>', `optimizer: ${OPTIMIZERS.join(', ')} (default ${d.optimizer}, with Nesterov momentum)`).argParser(parseChoice('--optimizer', OPTIMIZERS)))
    .option('--momentum <x>', `momentum (default ${d.momentum})`, parseFloatArg('--momentum', { min: 0, max: 1 }))
    .option('--weight-decay <x>', `L2 weight decay (default ${d.weightDecay})`, parseFloatArg('--weight-decay', { min: 0 }))
    .addOption(new Option('--scheduler <name>', `lr schedule: ${SCHEDULERS.join(', ')} (default ${d.scheduler})`).argParser(parseChoice('--scheduler', SCHEDULERS)))
    .addOption(new Option('--augment [level]', `training augmentation: ${AUGMENT_LEVELS.join(', ')} (default ${d.augment}: ±10° rotations and ±2 px shifts for digits)`).argParser(parseChoice('--augment', AUGMENT_LEVELS)))
    .option('--no-augment', 'no augmentation')
    .option('--label-smoothing <x>', 'label smoothing of the cross-entropy (default 0)', parseFloatArg('--label-smoothing', { min: 0, max: 1 }))
    .addOption(backendOption())
    .option('--seed <n>', 'random seed (weights, shuffling, dropout, augmentation)', parseIntArg('--seed', 0), 0)
    .addOption(dataOption())
    .option('--out <dir>', 'checkpoint and log directory (default runs/<model>-<dataset>/)')
    .option('--resume <checkpoint>', 'continue a run from a checkpoint (run dir, last.json or last.safetensors); its settings apply unless given again')
    .option('--limit <n>', 'use only the first N training images (quick runs)', parseIntArg('--limit'))
    .option('--test-limit <n>', 'use only the first N test images', parseIntArg('--test-limit'))
    .option('--no-val', 'skip the evaluation on the test set after each epoch')
    .option('--patience <n>', 'stop early after N epochs without improvement of the test accuracy', parseIntArg('--patience', 0))
    .action(async (opts, cmd: Command) => {
      const explicit = new Set(Object.keys(opts).filter((k) => cmd.getOptionValueSource(k) === 'cli'));
      await runCommand(async () => {
        const { runTrain } = await import('./train.js');
        await runTrain({ ...opts, augment: opts.augment }, explicit);
      });
    });

  program
    .command('eval')
    .description('evaluate a checkpoint on the test set: loss, accuracy, confusion matrix, per-class precision/recall, misclassified images')
    .argument('<checkpoint>', 'checkpoint: run directory, .json sidecar or .safetensors weights')
    .addOption(new Option('--dataset <name>', "dataset (default: the checkpoint's)").choices(Object.keys(DATASETS)))
    .option('--model <name>', 'zoo model (for weights without a sidecar)')
    .option('--grid <file.png>', 'write a PNG grid of the misclassified images, captioned true>predicted')
    .option('--errors <n>', 'list at most N misclassified images (default 20)', parseIntArg('--errors', 0))
    .option('--batch-size <n>', 'batch size (default 256)', parseIntArg('--batch-size'))
    .option('--limit <n>', 'use only the first N test images', parseIntArg('--limit'))
    .addOption(backendOption())
    .addOption(dataOption())
    .action(async (checkpoint: string, opts) => {
      await runCommand(async () => {
        const { runEval } = await import('./eval.js');
        await runEval(checkpoint, opts);
      });
    });

  program
    .command('predict')
    .description('classify image files: top-5 classes with probabilities (digits are preprocessed as MNIST: gray, inverted if light, centred 20×20 in 28×28)')
    .argument('<checkpoint>', 'checkpoint: run directory, .json sidecar or .safetensors weights')
    .argument('<images...>', 'image files (PNG, JPEG, WebP, ...)')
    .option('--top <k>', 'number of classes to show (default 5)', parseIntArg('--top'))
    .addOption(new Option('--invert <mode>', 'invert gray images: auto (when the background is light), yes, no').choices(['auto', 'yes', 'no']).default('auto'))
    .addOption(new Option('--fit <mode>', 'how images reach the input size: auto, center (MNIST-style), resize, none').choices(['auto', 'center', 'resize', 'none']).default('auto'))
    .option('--json', 'print JSON')
    .option('--model <name>', 'zoo model (for weights without a sidecar)')
    .addOption(new Option('--dataset <name>', "dataset whose preprocessing applies (default: the checkpoint's)").choices(Object.keys(DATASETS)))
    .addOption(backendOption())
    .action(async (checkpoint: string, images: string[], opts) => {
      await runCommand(async () => {
        const { runPredict } = await import('./predict.js');
        await runPredict(checkpoint, images, opts);
      });
    });

  program
    .command('summary')
    .description("print a zoo model's layer table: output shapes and parameter counts")
    .argument('<model>', 'model name, e.g. lenet5, resnet18')
    .option('--input <shape>', 'input shape, e.g. 1,3,224,224 (default: the model\'s own input size)', parseShape)
    .option('--num-classes <n>', 'number of classes', parseIntArg('--num-classes'))
    .action(async (model: string, opts) => {
      await runCommand(async () => {
        const { runSummary } = await import('./summary.js');
        runSummary(model, opts);
      });
    });

  program
    .command('lab')
    .description('start Strata Lab (playground, CNN lab, filter bench) in the browser')
    .option('--port <n>', 'port (default 8080; 0 picks a free one)', parseIntArg('--port', 0))
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .addOption(dataOption())
    .action(async (opts) => {
      await runCommand(async () => {
        const { runLab } = await import('./lab.js');
        if (opts.port !== undefined && opts.port > 65535) throw new CliError(`--port must be at most 65535, got ${opts.port}`);
        await runLab({ port: opts.port, host: opts.host, dataDir: opts.data });
      });
    });

  // Commander's defaults for every subcommand: same error output, throw instead of exit.
  for (const cmd of program.commands) {
    cmd.configureOutput(program.configureOutput()).exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

/**
 * Run the CLI on argv (without node and script); resolves to the exit status. `output` replaces
 * stdout/stderr for help and error messages (commands' own results still go to the console).
 */
export async function main(argv: string[], output?: { out(s: string): void; err(s: string): void }): Promise<number> {
  const saved = { ...io };
  if (output) Object.assign(io, output);
  try {
    return await run(argv);
  } finally {
    Object.assign(io, saved);
  }
}

async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return 1;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version "fail" with exit code 0.
      return e.exitCode;
    }
    io.err(`strata: ${(e as Error).message.split('\n')[0]}\n`);
    return 1;
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined; // the caller decides (the entry point sets it again)
  return code;
}

function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // `strata eval ... | head`: a closed pipe ends the output quietly.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
