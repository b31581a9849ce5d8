// ESLint flat config: type-aware rules for all TypeScript, plus the rule that keeps protocol/
// and client/ runtime-neutral (DESIGN.md: "Enforce that with a lint rule, not a promise").
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Why protocol/, client/ and testing/ may not import these: shown with every violation. */
const RUNTIME_NEUTRAL_MESSAGE =
  'protocol/, client/ and testing/ are runtime-neutral and must stay browser-safe: no Node builtins ' +
  '(node:*), no `ws`, no `amqplib`. Put Node-only code under transports/ or server-reference/ ' +
  'and inject it.';

/** Node builtins without the `node:` prefix (fs, net, fs/promises, ...), excluding `_internal` ones. */
const bareBuiltins = builtinModules.filter((name) => !name.startsWith('_') && !name.startsWith('node:'));

/**
 * Top-level module names forbidden in runtime-neutral code, with their subpaths (fs/promises,
 * ws/lib/...). Matched exactly, so a local `./fs.js` or `../net/x.js` stays allowed.
 */
const forbiddenModules = [...bareBuiltins.filter((name) => !name.includes('/')), 'ws', 'amqplib'];

/**
 * Escapes a module name for use inside a regular expression.
 * @param {string} text
 */
const escapeRegex = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Alternation of the forbidden names, for the regular expressions below. */
const forbiddenAlternation = forbiddenModules.map(escapeRegex).join('|');

/**
 * Matches the same modules as a dynamic `import('...')` source, for no-restricted-syntax.
 * esquery's regex literals cannot hold a `/`, hence `\x2F`.
 */
const forbiddenSourceRegex = `^(node:.*|(${forbiddenAlternation})(\\x2F.*)?)$`;

export default defineConfig(
  globalIgnores([
    'dist/',
    'node_modules/',
    'docs/api/',
    'coverage/',
    'bench/results/',
    'data/',
    '.tmp/',
  ]),

  js.configs.recommended,

  // Type-aware rules for every TypeScript file and for the root config files.
  {
    files: ['**/*.ts', '**/*.tsx', '*.js', 'bin/**/*.js'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: {
          // Files that tsconfig.json does not include (it has no allowJs).
          allowDefaultProject: ['*.js', 'bin/*.js'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      // verbatimModuleSyntax already makes tsc demand `import type`; this only makes --fix write it.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'separate-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },

  // Plain JavaScript (config files, bin/): TypeScript's checker resolves names, not no-undef,
  // and there is no `globals` package to describe Node's globals.
  {
    files: ['**/*.js'],
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },

  // Runtime-neutral code: no Node builtins, no Node-only libraries.
  {
    // The web view (ui/) runs in browsers too.
    files: ['protocol/**/*.ts', 'client/**/*.ts', 'testing/**/*.ts', 'ui/**/*.ts', 'ui/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenModules.map((name) => ({ name, message: RUNTIME_NEUTRAL_MESSAGE })),
          patterns: [
            { group: ['node:*'], message: RUNTIME_NEUTRAL_MESSAGE },
            { regex: `^(${forbiddenAlternation})/`, message: RUNTIME_NEUTRAL_MESSAGE },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: `ImportExpression[source.value=/${forbiddenSourceRegex}/]`,
          message: RUNTIME_NEUTRAL_MESSAGE,
        },
      ],
    },
  },

  // Tests: `!` after a lookup the test has just asserted is fine, and expect(obj.method) is common.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
