// Module resolution hooks for hide-packages.mjs: a hidden package fails as Node fails for a package
// that is not installed (ERR_MODULE_NOT_FOUND, "Cannot find package 'name' imported from ...").
let hidden = new Set();

export function initialize(data) {
  hidden = new Set(data.hidden);
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function resolve(specifier, context, nextResolve) {
  if (hidden.has(packageName(specifier))) {
    const error = new Error(`Cannot find package '${packageName(specifier)}' imported from ${context.parentURL} (hidden by the test)`);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}
