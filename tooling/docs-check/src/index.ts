export { type CheckOptions, checkSnippets, formatProblems, type SnippetProblem } from './check'
export { extractFromMarkdown, extractSnippets, type Snippet, type SnippetFlag } from './extract'
export { readmeFiles, repositoryRoot } from './files'
