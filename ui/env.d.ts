// Type declarations the compiler needs for .vue imports in TypeScript files.
declare module '*.vue' {
  import type { DefineComponent } from 'vue'
  const component: DefineComponent<object, object, unknown>
  export default component
}

// The operations' names and Chinese summaries, read from schemas/api/operations.json by the
// `xinfang-operation-summaries` plugin in vite.config.ts.
declare module 'virtual:operation-summaries' {
  const summaries: readonly (readonly [import('./src/api/types').OperationName, string])[]
  export default summaries
}
