/** `strata summary MODEL [--input 1,3,224,224]`: the zoo model's layer table (output shapes, parameters). */
import * as models from '../models/index.js';
import { CliError } from './common.js';

export interface SummaryArgs {
  input?: number[];
  numClasses?: number;
}

export function runSummary(name: string, args: SummaryArgs): string {
  let info;
  try {
    info = models.info(name);
  } catch (e) {
    throw new CliError((e as Error).message.replace(/^models\.info: /, ''));
  }
  const options: Record<string, unknown> = {};
  if (args.numClasses !== undefined) {
    if (!info.options.includes('numClasses')) throw new CliError(`model '${name}' has no numClasses option`);
    options.numClasses = args.numClasses;
  }
  const input = args.input ?? [1, ...info.inputSize];
  if (input.length === 3) input.unshift(1);
  const model = models.create(name, options);
  model.eval();
  let text: string;
  try {
    text = models.summary(model, input).format();
  } catch (e) {
    throw new CliError(`${name} with input [${input.join(', ')}]: ${(e as Error).message.split('\n')[0]}`);
  }
  console.log(`${name}: ${info.description}; input [${input.join(', ')}]`);
  console.log(text);
  return text;
}
