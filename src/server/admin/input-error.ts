/** Invalid input to an admin operation (CLI or admin API), naming the field. */
export class AdminInputError extends Error {
  readonly code = 'ERR_INVALID_INPUT';
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'AdminInputError';
    this.field = field;
  }
}
