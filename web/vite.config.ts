import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard's type check has no Node types (web/ has no @types/node): declare what is used.
declare const process: { env: Record<string, string | undefined> };

// `npm run dev` proxies the API to a local `tutti serve` (default port 4870).
const target = process.env.TUTTI_URL ?? 'http://127.0.0.1:4870';

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': target, '/healthz': target, '/readyz': target, '/metrics': target } },
});
