// Lint for what the compiler does not catch: promises nobody awaits or handles
// (a sync loop must never leave a rejection unhandled), promises passed where a
// callback's result is ignored, and type-only imports kept apart (verbatimModuleSyntax).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', '.tmp/**', 'test/consumers/fixtures/**', 'node_modules/**', 'bench-output/**', 'test-output/**', '.demo-data/**', '**/*.js'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
);
