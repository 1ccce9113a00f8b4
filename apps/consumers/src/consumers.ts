/** A consumer project: a fresh npm project of the kind a team starts from, running one README quickstart. */
export interface Consumer {
  name: string
  /** The README heading (`### <readme>`) whose quickstart it runs. */
  readme: string
  type: 'commonjs' | 'module'
  /** The TypeScript major it compiles with (see `typescriptVersion`). */
  typescript: 5 | 7
  tsconfig: Record<string, unknown>
}

const esm = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  target: 'ES2022',
  strict: true,
  // The packages' own declarations are compiled too: a missing @types package shows up here.
  skipLibCheck: false,
  outDir: 'dist',
  rootDir: 'src',
  types: ['node'],
}

export const CONSUMERS: Consumer[] = [
  {
    name: 'NestJS, CommonJS (the tsconfig `nest new` writes)',
    readme: 'NestJS',
    type: 'commonjs',
    typescript: 5,
    tsconfig: {
      module: 'commonjs',
      declaration: true,
      removeComments: true,
      emitDecoratorMetadata: true,
      experimentalDecorators: true,
      allowSyntheticDefaultImports: true,
      target: 'ES2023',
      sourceMap: true,
      outDir: './dist',
      rootDir: './src',
      incremental: true,
      skipLibCheck: true,
      strictNullChecks: true,
      forceConsistentCasingInFileNames: true,
      noImplicitAny: false,
      strictBindCallApply: false,
      noFallthroughCasesInSwitch: false,
    },
  },
  {
    name: 'NestJS, ESM',
    readme: 'NestJS',
    type: 'module',
    typescript: 5,
    tsconfig: {
      ...esm,
      target: 'ES2023',
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      skipLibCheck: true,
    },
  },
  { name: 'Koa, ESM', readme: 'Koa', type: 'module', typescript: 7, tsconfig: esm },
  { name: 'Hono on @hono/node-server, ESM', readme: 'Hono', type: 'module', typescript: 7, tsconfig: esm },
]
