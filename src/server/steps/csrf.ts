import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { errorPage, type PageText } from '../http/pages.js';
import { verifyCsrf } from '../session/browser.js';

/** What a form's CSRF step reads: the posted form, from a browser whose cookie it carried. */
export interface PostedForm {
  ctx: Pick<ServerContext, 'config' | 'secrets'>;
  browserId: string;
  form: FormParams;
}

/**
 * The one answer to a form whose `csrf` is not this browser's token for `subject` (or that comes
 * without the browser cookie at all: `browserId` undefined): the 403 "Request not accepted" page,
 * saying `message` (what to do next, in the words of the page the form was on), in the request's
 * language (`uiLocales`: those of the sign-in or sign-out the form belongs to, when known).
 * `undefined` when the token is good. Each form's step keeps its name and its message; the rule is here.
 *
 * @example
 * return csrfRefusal(ctx, { browserId, subject: id, token: form.get('csrf') }, { key: 'error.formNotAccepted.message' }, request.uiLocales);
 */
export function csrfRefusal(
  ctx: Pick<ServerContext, 'config' | 'secrets'> & { request?: Pick<ServerContext['request'], 'languages'> },
  posted: { browserId: string | undefined; subject: string; token: string | undefined },
  message: PageText,
  uiLocales: readonly string[] = [],
): Response | undefined {
  if (posted.browserId !== undefined && verifyCsrf(ctx, posted.browserId, posted.subject, posted.token)) return undefined;
  return errorPage(ctx, 403, { key: 'error.notAccepted.title' }, message, { uiLocales });
}
