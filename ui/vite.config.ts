// Build and unit-test configuration of the UI; `npm run build` writes ui/dist for `xinfang serve --ui`.
/// <reference types="vitest/config" />
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { defineConfig, type Plugin } from 'vite'
import vue from '@vitejs/plugin-vue'

// The board's offline announcement segments live with the other bundled data in assets/voice;
// the build copies them into dist/voice so every way of serving the UI has them.
const voiceDir = fileURLToPath(new URL('../assets/voice/', import.meta.url))
function voiceSegments(): Plugin {
  return {
    name: 'xinfang-voice-segments',
    generateBundle() {
      for (const file of readdirSync(voiceDir).filter((f) => f.endsWith('.wav'))) {
        this.emitFile({ type: 'asset', fileName: `voice/${file}`, source: readFileSync(voiceDir + file) })
      }
    },
  }
}

// The 审计记录 filter offers every operation by its Chinese name. The names live in the generated
// operation list (schemas/api/operations.json, from ops.rs); only name and summary are bundled,
// not the 200 kB of JSON Schemas beside them.
const operationsFile = fileURLToPath(new URL('../schemas/api/operations.json', import.meta.url))
const OPERATIONS_ID = 'virtual:operation-summaries'
function operationSummaries(): Plugin {
  return {
    name: 'xinfang-operation-summaries',
    resolveId: (source) => (source === OPERATIONS_ID ? `\0${OPERATIONS_ID}` : undefined),
    load(id) {
      if (id !== `\0${OPERATIONS_ID}`) return undefined
      this.addWatchFile(operationsFile)
      const list = JSON.parse(readFileSync(operationsFile, 'utf8')) as { operations: { name: string; summary: string }[] }
      return `export default ${JSON.stringify(list.operations.map((op) => [op.name, op.summary]))}`
    },
  }
}

// During `npm run dev` the API lives in a separately started `xinfang serve`; point at it with
// XINFANG_API=http://127.0.0.1:PORT so the UI keeps calling same-origin `/api/...` as in production.
const apiTarget = process.env.XINFANG_API

export default defineConfig({
  plugins: [vue(), voiceSegments(), operationSummaries()],
  // Relative asset URLs (with hash routing, see router.ts) let the same dist/ work from
  // `xinfang serve`, from the Tauri bundle and from any static file server.
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: apiTarget ? { proxy: { '/api': { target: apiTarget, changeOrigin: false } } } : {},
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})
