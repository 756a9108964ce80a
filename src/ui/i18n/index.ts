export { canonicalLocale, directionOf } from './locales.js';
export { chooseLocale, parseAcceptLanguage } from './negotiate.js';
export { compileMessages, englishMessages, Messages, type Catalog, type MessageKey, type MessageValue, type Translator } from './messages.js';
export { checkCatalog } from './check.js';
