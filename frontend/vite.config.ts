/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
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

// The page shell (the head's metadata and the site header) is written once,
// in partials/; a page names a part with a line <!--shell:NAME--> and the
// build and the dev server put it in, indented like the marker. At build
// time rather than from script so that pages arrive whole (no header drawn
// late) and stay readable without JavaScript. <!--baton:head--> is a
// different marker: the Go server fills it per request.
function pageShell(): Plugin {
  const part = (name: string): string => {
    try {
      return readFileSync(resolve(root, 'partials', `${name}.html`), 'utf8').trimEnd();
    } catch (err) {
      throw new Error(`page shell: no partial "${name}" (partials/${name}.html): ${String(err)}`);
    }
  };
  return {
    name: 'baton-page-shell',
    transformIndexHtml: {
      // Before Vite's own pass, so the partials' asset URLs are bundled too.
      order: 'pre',
      handler(html) {
        return html.replace(/^([ \t]*)<!--shell:([a-z-]+)-->$/gm, (_m, indent: string, name: string) =>
          part(name).split('\n').map((l) => (l ? indent + l : l)).join('\n'));
      },
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
  plugins: [pageShell(), pageRoutes(), keepGitkeep()],
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
