/**
 * Gatehouse's server-side packages (database drivers, native modules, the mailer) are optional
 * dependencies: npm installs them by default, so `npx gatehouse start` works in one step, and
 * `npm install gatehouse --omit=optional` leaves them out for applications that use only
 * `gatehouse/client` or `gatehouse/resource`. See ARCHITECTURE.md, "Packaging".
 */

/**
 * One of Gatehouse's optional dependencies is needed but not installed. `code` is
 * `ERR_MISSING_DEPENDENCY`; the message names the package and the command that installs it.
 *
 * @example
 * try {
 *   await import('gatehouse/stores/postgres');
 * } catch (error) {
 *   if ((error as { code?: string }).code === 'ERR_MISSING_DEPENDENCY') console.error((error as Error).message);
 * }
 */
class MissingDependencyError extends Error {
  readonly code = 'ERR_MISSING_DEPENDENCY';
  /** The npm package to install, e.g. `pg`. */
  readonly packageName: string;

  constructor(packageName: string, neededBy: string, options?: ErrorOptions) {
    super(
      `${neededBy} needs the package "${packageName}", which is not installed ` +
        `(an optional dependency of gatehouse, left out by "npm install --omit=optional" or when its install failed). ` +
        `Install it: npm install ${packageName}`,
      options,
    );
    this.name = 'MissingDependencyError';
    this.packageName = packageName;
  }
}

/**
 * Loads an optional dependency through `load` (a literal `() => import('pg')`, so that TypeScript
 * types the module and tools see the specifier), turning "package not found" into a
 * {@link MissingDependencyError}; any other failure (a native module built for another Node.js)
 * passes through unchanged. Modules await it at their top level, so a missing package fails the
 * import of the one subpath that needs it, at start rather than at first use.
 *
 * @example
 * const { default: pg } = await importOptional('pg', () => import('pg'), 'gatehouse/stores/postgres');
 */
export async function importOptional<T>(packageName: string, load: () => Promise<T>, neededBy: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isPackageNotFound(error, packageName)) throw new MissingDependencyError(packageName, neededBy, { cause: error });
    throw error;
  }
}

/** Node's ESM resolver: `ERR_MODULE_NOT_FOUND`, "Cannot find package 'pg' imported from ...". */
function isPackageNotFound(error: unknown, packageName: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && message.includes(`'${packageName}'`);
}
