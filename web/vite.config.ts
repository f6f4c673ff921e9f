import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a local `tutti serve` (default port 4870).
const target = process.env.TUTTI_URL ?? 'http://127.0.0.1:4870';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': target, '/healthz': target, '/readyz': target, '/metrics': target } },
});
