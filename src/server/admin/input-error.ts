/** Invalid input to an admin operation (CLI or admin API), naming the field. */
export class AdminInputError extends Error {
  readonly code: string = 'ERR_INVALID_INPUT';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'AdminInputError';
    this.field = field;
  }
}

/**
 * No record has the id an admin operation was given (`field` names what was looked for: `client`,
 * `user`). A kind of {@link AdminInputError}, so the command reports it as before; the admin API
 * answers it `404`.
 */
export class AdminNotFoundError extends AdminInputError {
  override readonly code = 'ERR_NOT_FOUND';
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'AdminNotFoundError';
  }
}
