/** `strata summary MODEL [--input 1,3,224,224]`: the zoo model's layer table (output shapes, parameters). */
import * as models from '../models/index.js';
import type { Module } from '../nn/module.js';
import { CliError } from './common.js';

export interface SummaryArgs {
  input?: number[];
  numClasses?: number;
}

type SummaryFn = (model: Module, inputShape: number[]) => unknown;

/** A parameter table when the zoo has no summary(): one row per module with its own parameters. */
function fallbackTable(model: Module): string {
  const rows: [string, string, number][] = [];
  for (const [name, m] of model.namedModules()) {
    const own = m.parameters(false).reduce((n, p) => n + p.size, 0);
    if (name && (own > 0 || m.children().length === 0)) rows.push([name, m.getName(), own]);
  }
  const total = model.parameters().reduce((n, p) => n + p.size, 0);
  const w0 = Math.max(5, ...rows.map((r) => r[0].length));
  const w1 = Math.max(4, ...rows.map((r) => r[1].length));
  const lines = [`${'Layer'.padEnd(w0)}  ${'Type'.padEnd(w1)}  ${'Param #'.padStart(10)}`];
  for (const [n, t, p] of rows) lines.push(`${n.padEnd(w0)}  ${t.padEnd(w1)}  ${p.toLocaleString('en-US').padStart(10)}`);
  lines.push(`Total params: ${total.toLocaleString('en-US')}`);
  return lines.join('\n');
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
  const summary = (models as unknown as { summary?: SummaryFn }).summary;
  let text: string;
  if (typeof summary === 'function') {
    let result: unknown;
    try {
      result = summary(model, input);
    } catch (e) {
      throw new CliError(`${name} with input [${input.join(', ')}]: ${(e as Error).message.split('\n')[0]}`);
    }
    const formatted = result as { format?: () => string } | string;
    text = typeof formatted === 'string' ? formatted : typeof formatted?.format === 'function' ? formatted.format() : String(formatted);
  } else {
    text = fallbackTable(model);
  }
  console.log(`${name}: ${info.description}; input [${input.join(', ')}]`);
  console.log(text);
  return text;
}
