/** `npm run bench -- NAME [options]`: runs bench/NAME.ts (Strata and its peers in one run); bench/README.md lists them. */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'util.ts', 'peers.ts', 'kernels.ts'].includes(f))
  .map((f) => f.replace(/\.ts$/, ''));
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME [options]; NAME is one of: ${available.join(', ')}`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(`./${name}.ts`);
