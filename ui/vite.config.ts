import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a running server: ASTROLABE_URL=http://127.0.0.1:9090 npm run dev
const target = (globalThis as any).process?.env?.ASTROLABE_URL ?? 'http://127.0.0.1:9090';

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    chunkSizeWarningLimit: 200,
    reportCompressedSize: true,
  },
  server: { proxy: { '/api': { target, changeOrigin: true } } },
  preview: { proxy: { '/api': { target, changeOrigin: true } } },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
} as any);
