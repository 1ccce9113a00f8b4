import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root folder (this package sits at `tooling/docs-check`). */
export const repositoryRoot: string = fileURLToPath(new URL('../../../', import.meta.url))

/**
 * The READMEs whose TypeScript snippets are checked: the root README and each `packages/<name>/README.md`.
 * (The turbo `test` inputs of this package list the same files.)
 *
 * @example
 * const files = readmeFiles() // ['/…/README.md', '/…/packages/cli/README.md', …]
 */
export function readmeFiles(root: string = repositoryRoot): string[] {
  const packages = join(root, 'packages')
  return [
    join(root, 'README.md'),
    ...readdirSync(packages)
      .sort()
      .map((name) => join(packages, name, 'README.md'))
      .filter((file) => existsSync(file)),
  ]
}
