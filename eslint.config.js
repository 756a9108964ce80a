// ESLint flat config: typescript-eslint's strict, type-checked rules on every TypeScript file
// (src, test, examples, config), ESLint's recommended rules on the plain JavaScript (bench, bin,
// scripts, CI helpers). Type information comes from the project service (tsconfig.json).
//
// typescript-eslint 8 needs TypeScript's classic JavaScript API (TypeScript < 6.1), which
// TypeScript 7 does not ship: package.json installs TypeScript 7 as `@typescript/native` (its
// `tsc` is the project's compiler) and TypeScript 6 as `typescript` (only for this linter).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'dist-check/', 'dist-examples/', 'coverage/', '.gatehouse/', 'bench/results/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // The examples compile with tsconfig.examples.json and import the built package, so
          // `npm run build` must run before linting them. examples/reference-app/ is not listed:
          // the tests import it, which puts it in tsconfig.json's program already.
          allowDefaultProject: ['examples/*.ts', 'examples/device-cli/*.ts'],
          defaultProject: 'tsconfig.examples.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The bug class this config exists for: a promise nobody awaits loses its errors.
      '@typescript-eslint/no-floating-promises': 'error',
      // Numbers and booleans print fine in messages; objects, null and undefined stay errors.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // tsconfig's noUncheckedIndexedAccess makes `match[1]!` / `list[i]!` the way to say "checked
      // above"; the rule would turn each of those ~800 sites into a redundant runtime check.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // An async implementation of an async contract (the memory store, test fakes) keeps "errors
      // arrive as rejections" even when it has nothing to await; dropping `async` would change that.
      '@typescript-eslint/require-await': 'off',
      // Interfaces get no implicit index signature: records stored as `Json` (artifacts, audit
      // details) must be type aliases, so neither form can be the rule.
      '@typescript-eslint/consistent-type-definitions': 'off',
      // `(x) => doSomething(x)` as a callback is idiomatic; braces would add nothing.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // oauth4webapi marks its insecure-http switch deprecated only "to make it stand out"; here it
      // sits behind our own loudly named `allowInsecureRequests` option. openid-client (the interop
      // tests' independent client) marks its own the same way; those tests run over plain http.
      '@typescript-eslint/no-deprecated': [
        'error',
        {
          allow: [
            { from: 'package', package: 'oauth4webapi', name: 'allowInsecureRequests' },
            { from: 'package', package: 'openid-client', name: 'allowInsecureRequests' },
          ],
        },
      ],
      // Express's request type is extended the way its types document: `declare global { namespace Express }`.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // `_`-prefixed names mark deliberately unused parameters and destructured leftovers.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Test code (and the fault matrix, chaos/, run by Vitest too): two rules whose findings there
    // are the test framework's shape, not bugs.
    files: ['test/**/*.ts', 'src/**/*.test.ts', 'src/ui/testing/**/*.ts', 'chaos/**/*.ts'],
    rules: {
      // `let server: T;` set in beforeAll is typed as always set, but afterAll must also clean up
      // after a beforeAll that failed half way, so its `server?.stop()` guards are needed.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Vitest's asymmetric matchers (expect.any, expect.stringMatching, expect.objectContaining)
      // are typed `any`, and their place is inside an expected object.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
);
