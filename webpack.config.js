// Builds www/ into dist/, a static site: the page, its analysis worker, the
// two wasm cores from pkg/ (threaded and single-threaded, made by
// scripts/build-web.sh), the bundled sample and the service worker.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import CopyPlugin from 'copy-webpack-plugin';

import { CSP } from './www/csp.js';

const here = dirname(fileURLToPath(import.meta.url));

export default {
  entry: {
    main: './www/src/main.js',
    sw: './www/sw.js',
  },
  output: {
    path: resolve(here, 'dist'),
    filename: '[name].js',
    chunkFilename: '[name].[contenthash:8].js',
    assetModuleFilename: 'assets/[name].[contenthash:8][ext]',
    clean: true,
  },
  devtool: false,
  module: {
    rules: [
      // wasm-bindgen-rayon's worker helper imports the package root without a file name.
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
    ],
  },
  plugins: [
    new CopyPlugin({
      patterns: [
        { from: 'www/index.html', transform: (content) => content.toString().replace('%CSP%', CSP) },
        { from: 'www/style.css' },
        { from: 'www/favicon.svg' },
      ],
    }),
  ],
  performance: { hints: false },
};
