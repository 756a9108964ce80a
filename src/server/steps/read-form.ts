import type { FormParams } from '../http/form.js';
import { readForm } from '../http/form.js';
import type { EndpointInput } from '../http/endpoint.js';

/**
 * Reads the form-encoded body (RFC 6749 §3.1, §3.2): the right content type, UTF-8, no repeated
 * parameter, at most `limits.maxBodyBytes`. `resource` may repeat (RFC 8707 §2), and so may
 * `audience` (RFC 8693 §2.1, token exchange; no other endpoint reads it).
 */
export async function readFormBody({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ form: FormParams }> {
  return { form: await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes, repeatable: ['resource', 'audience'] }) };
}
