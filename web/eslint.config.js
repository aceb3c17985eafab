// @ts-check
// ESLint for the web front (`npm run lint` in web/, `make lint`): browser ES modules as written,
// no bundler. The recommended rules, plus rules for bugs this kind of code has.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['node_modules/'] },
  js.configs.recommended,
  {
    files: ['assets/js/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: globals.browser },
    rules: {
      // Coercing comparisons ('1' == 1, null == undefined) hide type mix-ups in API data.
      eqeqeq: ['error', 'always'],
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'all', ignoreRestSiblings: true }],
      // A const or class used before its line runs throws (temporal dead zone).
      'no-use-before-define': ['error', { functions: false, classes: true, variables: true }],
      'array-callback-return': 'error',
      'no-promise-executor-return': 'error',
      'no-self-compare': 'error',
      'no-template-curly-in-string': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
      'no-new-wrappers': 'error',
      'no-return-assign': 'error',
      'no-sequences': 'error',
      // No code from strings and no HTML from data (docs/web.md "Safety"; the gateway's CSP).
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-script-url': 'error',
      'no-alert': 'error',
      'no-restricted-properties': ['error',
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'createContextualFragment'].map((property) => (
          { property, message: 'Build elements with h() from dom.js: data becomes text nodes.' })),
        { object: 'document', property: 'write', message: 'Build elements with h() from dom.js.' },
        { object: 'document', property: 'writeln', message: 'Build elements with h() from dom.js.' },
      ],
    },
  },
  {
    files: ['eslint.config.js'],
    languageOptions: { globals: globals.node },
  },
];
