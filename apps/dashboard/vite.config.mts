import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const INITIAL_JS_TARGET_BYTES = 250 * 1024;

/**
 * Prints the gzipped size of the JavaScript a first visit downloads before the app renders: the
 * entry chunk and its static imports (views loaded with import() are not counted).
 */
function initialJsSizeReport(): Plugin {
  return {
    name: 'sluice-initial-js-size',
    apply: 'build',
    generateBundle(_options, bundle) {
      const entry = Object.values(bundle).find((item) => item.type === 'chunk' && item.isEntry);
      if (entry === undefined || entry.type !== 'chunk') return;
      const seen = new Set<string>();
      const queue = [entry.fileName];
      let gzipped = 0;
      while (queue.length > 0) {
        const fileName = queue.pop() as string;
        if (seen.has(fileName)) continue;
        seen.add(fileName);
        const chunk = bundle[fileName];
        if (chunk === undefined || chunk.type !== 'chunk') continue;
        gzipped += gzipSync(chunk.code, { level: 9 }).length;
        queue.push(...chunk.imports);
      }
      const kb = (gzipped / 1024).toFixed(1);
      const verdict = gzipped <= INITIAL_JS_TARGET_BYTES ? 'within' : 'OVER';
      console.log(
        `[dashboard] initial JS: ${kb} kB gzipped in ${seen.size} chunk(s) (${verdict} the 250 kB target)`,
      );
    },
  };
}

export default defineConfig({
  base: '/',
  plugins: [
    react(),
    VitePWA({
      // Registered by hand in main.tsx (no extra registerSW.js request on the critical path).
      injectRegister: null,
      registerType: 'autoUpdate',
      includeAssets: ['icons/*.png'],
      manifest: {
        name: 'Sluice dashboard',
        short_name: 'Sluice',
        description: 'Watch the process live, steer programs and react to alerts.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#0b1620',
        theme_color: '#0f2a3d',
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          {
            src: '/icons/icon-maskable-512.png',
            sizes: '512x512',
            type: 'image/png',
            purpose: 'maskable',
          },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // The app shell answers every navigation offline; API, WebSocket, metrics and health
        // requests always go to the network (live data must never come from a cache).
        navigateFallback: '/index.html',
        navigateFallbackDenylist: [/^\/api\//, /^\/ws/, /^\/metrics/, /^\/health/, /^\/write/],
        cleanupOutdatedCaches: true,
      },
    }),
    initialJsSizeReport(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
});
