// Vite build of Strata Lab: static pages under web/ → dist-web/ (relative URLs, so they can be hosted anywhere).
// `npx vite` serves them in development with the same /data routes as `strata lab`.
import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, labHandler } from './src/cli/lab.js';

const page = (p: string) => fileURLToPath(new URL(`./web/${p}`, import.meta.url));

export default defineConfig({
  root: 'web',
  base: './',
  publicDir: false,
  build: {
    outDir: '../dist-web',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: {
        index: page('index.html'),
        playground: page('playground/index.html'),
        cnnLab: page('cnn-lab/index.html'),
        filterBench: page('filter-bench/index.html'),
      },
    },
  },
  worker: { format: 'es' },
  plugins: [
    {
      name: 'strata-lab-data',
      configureServer(server) {
        const handle = labHandler(fileURLToPath(new URL('./web/', import.meta.url)), defaultDataDir());
        server.middlewares.use((req, res, next) => (req.url?.startsWith('/data/') ? handle(req, res) : next()));
      },
    },
  ],
});
