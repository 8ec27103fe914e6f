/// <reference types="vitest/config" />
import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

// The Go binary embeds dist/ with `//go:embed all:dist`, which fails to
// compile when the directory is empty or missing. The committed dist/.gitkeep
// keeps a fresh checkout buildable; emptyOutDir deletes it, so every build
// writes it back.
function keepGitkeep(): Plugin {
  return {
    name: 'baton-keep-gitkeep',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '.gitkeep', source: '' });
    },
  };
}

// In `npm run dev`, mirror the Go server's page routes so /v/{slug},
// /embed/{slug} and /record load the right entry. The API (tus uploads included) and the
// media files are proxied to a running `baton serve` (BATON_DEV_API, default
// http://127.0.0.1:8080).
function pageRoutes(): Plugin {
  return {
    name: 'baton-page-routes',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const url = req.url ?? '/';
        if (/^\/v\/[^/]+\/?(\?.*)?$/.test(url)) req.url = '/watch.html';
        else if (/^\/embed\/[^/]+\/?(\?.*)?$/.test(url)) req.url = '/embed.html';
        else if (/^\/record\/?(\?.*)?$/.test(url)) req.url = '/record.html';
        else if (/^\/(login|signup|invite\/[^/]+)\/?(\?.*)?$/.test(url)) req.url = '/login.html';
        else if (/^\/account\/?(\?.*)?$/.test(url)) req.url = '/account.html';
        else if (/^\/waiting\/?(\?.*)?$/.test(url)) req.url = '/waiting.html';
        else if (/^\/checkins(\/[^/?]+)?\/?(\?.*)?$/.test(url)) req.url = '/checkin.html';
        next();
      });
    },
  };
}

const api = process.env.BATON_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [pageRoutes(), keepGitkeep()],
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/media': { target: api, changeOrigin: false },
      '/oembed': { target: api, changeOrigin: false },
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: resolve(root, 'index.html'),
        watch: resolve(root, 'watch.html'),
        embed: resolve(root, 'embed.html'),
        record: resolve(root, 'record.html'),
        login: resolve(root, 'login.html'),
        account: resolve(root, 'account.html'),
        waiting: resolve(root, 'waiting.html'),
        checkin: resolve(root, 'checkin.html'),
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
