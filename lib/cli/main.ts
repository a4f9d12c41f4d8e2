#!/usr/bin/env node
// The `blasprop` command: train, evaluate and predict from the shell. Argument parsing is
// commander's; this file declares the commands and options and turns every failure into one line
// `blasprop: error: …` on stderr with a non-zero exit code (2 for usage errors, 1 for failures,
// 130 after Ctrl-C). Set BLASPROP_DEBUG=1 to also get the stack trace of unexpected errors.
import { Command, CommanderError, Option } from 'commander';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { packageRoot } from '../backends/native';
import { fraction, layerList, nonNegativeNumber, positiveInteger, positiveNumber, seed } from './arguments';
import { EXIT_USAGE, errorMessage, exitCodeOf, oneLine } from './cli-error';
import { evaluateCommand, type EvaluateCommandOptions } from './evaluate-command';
import { predictCommand, type PredictCommandOptions } from './predict-command';
import { HIDDEN_ACTIVATIONS, OPTIMIZERS, SCHEDULES, trainCommand, type TrainCommandOptions } from './train-command';
import { BACKEND_CHOICES } from '../architecture';

function version(): string {
  try {
    return String(JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version);
  } catch {
    return 'unknown';
  }
}

/** Options every command has. */
function withCommonOptions(command: Command): Command {
  return command
    .addOption(new Option('--backend <name>', 'backend to run on').choices(BACKEND_CHOICES).default('auto'))
    .addOption(new Option('--quiet', 'print only the final result').conflicts('json'))
    .addOption(new Option('--json', 'print JSON lines instead of text, for logs (train: one per epoch and a final one)'));
}

/** The option of the data file(s), shared by the three commands. */
function withDataOptions(command: Command, data: string, labelColumn: string): Command {
  return command
    .requiredOption('--data <file>', data)
    .option('--labels <file>', 'IDX label file, when --data is an IDX images file')
    .option('--label-column <name>', labelColumn);
}

const EXAMPLES = `
Examples:
  $ blasprop train --data iris.csv --label-column species --layers 16 --epochs 50 \\
      --validation-split 0.2 --out iris.blasprop --report iris.html
  $ blasprop train --data train-images-idx3-ubyte.gz --labels train-labels-idx1-ubyte.gz \\
      --layers 800 --lr 0.1 --schedule cosine --out mnist.blasprop
  $ blasprop evaluate --model iris.blasprop --data iris-test.csv
  $ blasprop predict --model iris.blasprop --data new.csv --out predictions.csv

Exit codes: 0 success, 1 failure (unreadable or invalid file, training error), 2 usage error,
130 interrupted. Errors are one line on stderr; outputs are only written after success.`;

/** Builds the command-line program. */
export function buildProgram(): Command {
  const program = new Command('blasprop')
    .description('Train feed-forward neural networks (blasprop) on CSV or IDX (MNIST-style) data.')
    .version(version(), '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`blasprop: ${oneLine(text)}\n`) })
    .addHelpText('after', EXAMPLES);

  const train = program
    .command('train')
    .description('train a softmax classifier; saves the model and <out>.preprocess.json (feature scaling and class names)')
    .allowExcessArguments(false);
  withDataOptions(train, 'training data: a CSV file with a header row, or an IDX images file (plain or .gz) with --labels', "name of the CSV label column (default: 'label')");
  train
    .addOption(new Option('--layers <widths>', "hidden layer widths, comma-separated, or 'none'").argParser(layerList).default([128], '128'))
    .addOption(new Option('--activation <name>', 'activation of the hidden layers').choices(HIDDEN_ACTIVATIONS).default('relu'))
    .option('--epochs <n>', 'passes over the training data', positiveInteger, 10)
    .option('--batch-size <n>', 'rows per training step', positiveInteger, 64)
    .option('--lr <rate>', 'learning rate (default 0.001 for adam and adamw, 0.01 for the others)', positiveNumber)
    .addOption(new Option('--optimizer <name>', 'sgd, momentum (SGD with momentum), adam, adamw, rmsprop or adagrad (PyTorch defaults)').choices(OPTIMIZERS).default('momentum'))
    .addOption(new Option('--momentum <mu>', 'momentum coefficient for --optimizer momentum (default 0.9)').argParser(fraction))
    .addOption(new Option('--schedule <name>', 'learning-rate schedule over the epochs').choices(SCHEDULES).default('constant'))
    .option('--dropout <p>', 'dropout probability on the hidden layers', fraction, 0)
    .option('--input-dropout <p>', 'dropout probability on the input features', fraction, 0)
    .option('--max-norm <c>', "max-norm constraint on each unit's incoming weights", positiveNumber)
    .option('--weight-decay <lambda>', 'L2 penalty on the weights; with adamw its decoupled decay (default 0.01)', nonNegativeNumber)
    .option('--validation-split <fraction>', 'fraction of the rows held out (seeded random sample) and evaluated after each epoch', fraction, 0)
    .addOption(new Option('--dtype <type>', 'element type of weights and data').choices(['float32', 'float64']).default('float32'))
    .addOption(new Option('--mixed-precision <type>', "products with bf16 inputs and float32 accumulation (float32 only; needs oneDNN and a CPU with avx512_core_bf16 or AMX)").choices(['none', 'bfloat16']).default('none'))
    .addOption(new Option('--blas <engine>', "library of the native matrix products (default: auto, or BLASPROP_BLAS)").choices(['auto', 'openblas', 'onednn']).default('auto'))
    .option('--seed <n>', 'seed of initial weights, shuffling, dropout and the validation split (default: random, printed)', seed)
    .requiredOption('--out <file>', 'model file to write (e.g. model.blasprop)')
    .option('--report <file>', 'also write an HTML training report (curves, gradient norms, configuration, timings)')
    .option('--distributed', 'data-parallel training under mpirun (mpirun -np N blasprop train --distributed …): rank r trains rows i ≡ r (mod N), the gradient is averaged every step, rank 0 writes the outputs');
  withCommonOptions(train).action((options: TrainCommandOptions) => trainCommand(options));

  const evaluate = program
    .command('evaluate')
    .description('print the loss and accuracy of a saved model on labelled data')
    .allowExcessArguments(false)
    .requiredOption('--model <file>', 'model file written by blasprop train (or Network.save)');
  withDataOptions(evaluate, 'labelled data: a CSV file, or an IDX images file with --labels', "name of the CSV label column (default: the training file's, else 'label')");
  withCommonOptions(evaluate).action((options: EvaluateCommandOptions) => evaluateCommand(options));

  const predict = program
    .command('predict')
    .description('write the predicted class and class probabilities of each input row as CSV')
    .allowExcessArguments(false)
    .requiredOption('--model <file>', 'model file written by blasprop train (or Network.save)');
  withDataOptions(predict, 'input rows: a CSV file with the feature columns (other columns are ignored), or an IDX images file', "CSV column to ignore for a model without a preprocessing file (default: 'label')");
  predict.option('--out <file>', 'CSV file to write (default: standard output)');
  withCommonOptions(predict).action((options: PredictCommandOptions) => predictCommand(options));

  return program;
}

/** Runs the command line and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exit code 0; commander has already printed its one-line message otherwise.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    process.stderr.write(`blasprop: error: ${errorMessage(error)}\n`);
    if (process.env.BLASPROP_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return exitCodeOf(error);
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
