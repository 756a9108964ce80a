// Prettier (`npm run format:check`), set to the code as it was written by hand, so that adopting it
// changed as few lines as possible: single quotes, semicolons, trailing commas, `(x) =>`.
// printWidth 160: code lines here run past 140 often (1 line in 50 of src/; long HTML and message
// strings most of all); at 140 Prettier rewrapped half again as many lines as at 160.
/** @type {import('prettier').Config} */
export default {
  printWidth: 160,
  singleQuote: true,
  // The pages are html`…` templates whose text and whitespace are what the page shows (and what the
  // page tests assert): Prettier must not reformat the markup inside them.
  embeddedLanguageFormatting: 'off',
};
