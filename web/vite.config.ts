import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { extractStyle } from '@ant-design/static-style-extract';
import { ConfigProvider } from 'antd';
import MagicString from 'magic-string';
import { createElement } from 'react';
import { defineConfig, type Plugin } from 'vite';
import { ANTD } from './src/antd.ts';

/** The API the dev server forwards to (`npm run dev:web`); the platform on its default port. */
const api = process.env.SI_API_URL ?? 'http://127.0.0.1:8000';
const lsDir = path.resolve(import.meta.dirname, '../node_modules/@heartexlabs/label-studio/build/static');
const lsFiles: Record<string, string> = {
  'ls/main.js': path.join(lsDir, 'js/main.js'),
  'ls/main.css': path.join(lsDir, 'css/main.css'),
};

/**
 * The Label Studio editor ships as one prebuilt bundle defining the global `LabelStudio`;
 * it is served as-is under /ls/ (copied into the build, never from a CDN) and loaded by the
 * labeling pages only.
 */
function labelStudioAssets(): Plugin {
  return {
    name: 'label-studio-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = lsFiles[(req.url ?? '').split('?')[0]!.slice(1)];
        if (!file) return next();
        res.setHeader('content-type', file.endsWith('.js') ? 'text/javascript' : 'text/css');
        fs.createReadStream(file).pipe(res);
      });
    },
    generateBundle() {
      for (const [fileName, file] of Object.entries(lsFiles)) {
        this.emitFile({ type: 'asset', fileName, source: fs.readFileSync(file) });
      }
    },
  };
}

/**
 * `virtual:antd.css`: every Ant Design component's stylesheet under the console's settings,
 * rendered once at build (or dev-server) start, for antd's zero-runtime mode.
 */
function antdStylesheet(): Plugin {
  const id = 'virtual:antd.css';
  const resolved = `\0${id}`;
  let css: string | undefined;
  return {
    name: 'antd-stylesheet',
    resolveId: (source) => (source === id ? resolved : undefined),
    load(loading) {
      if (loading !== resolved) return;
      css ??= extractStyle((node) =>
        createElement(ConfigProvider, { ...ANTD, theme: { hashed: false } }, node),
      );
      return css;
    },
  };
}

/**
 * In zero-runtime mode antd never calls a component's style function (the stylesheet above
 * holds their output), yet each would still ship: the build hands every style hook an empty
 * one, so the generators drop out of the bundle. Component tokens and CSS variables stay.
 */
function antdStyleFunctionsOut(): Plugin {
  const hooks = new Set(['genStyleHooks', 'genComponentStyleHook', 'genSubStyleComponent']);
  type Node = { type: string; start: number; end: number; [key: string]: unknown };
  const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && 'type' in v;
  return {
    name: 'antd-style-functions-out',
    apply: 'build',
    transform: {
      filter: { id: /[\\/]node_modules[\\/]antd[\\/]es[\\/].*style.*\.js$/ },
      handler(code) {
        const out = new MagicString(code);
        const visit = (node: Node) => {
          const callee = node.callee as Node | undefined;
          const styleFn = (node.arguments as Node[] | undefined)?.[1];
          if (node.type === 'CallExpression' && callee?.type === 'Identifier' && styleFn) {
            if (hooks.has(callee.name as string)) out.overwrite(styleFn.start, styleFn.end, '() => []');
          }
          for (const value of Object.values(node)) {
            if (Array.isArray(value)) value.filter(isNode).forEach(visit);
            else if (isNode(value)) visit(value);
          }
        };
        visit(this.parse(code) as unknown as Node);
        return out.hasChanged() ? { code: out.toString(), map: out.generateMap({ hires: true }) } : null;
      },
    },
  };
}

/** Writes .br and .gz beside each built script and stylesheet; the server sends them to clients that accept them. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle(error) {
      if (error || !fs.existsSync(outDir)) return;
      const walk = (dir: string): string[] =>
        fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
          const full = path.join(dir, e.name);
          return e.isDirectory() ? walk(full) : [full];
        });
      for (const file of walk(outDir).filter((f) => /\.(js|css|html|json|svg)$/.test(f))) {
        const body = fs.readFileSync(file);
        if (body.length < 1024) continue;
        fs.writeFileSync(`${file}.gz`, zlib.gzipSync(body, { level: 9 }));
        fs.writeFileSync(
          `${file}.br`,
          zlib.brotliCompressSync(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [antdStylesheet(), antdStyleFunctionsOut(), labelStudioAssets(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      // antd marks its modules "use client" for React Server Components; meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    // '^/system/': the page /system is the console's; the server's routes are under it.
    proxy: Object.fromEntries(['/api', '/docs', '^/system/', '/health', '/metrics'].map((p) => [p, api])),
  },
});
