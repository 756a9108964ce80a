import { renderDeviceCodePage } from '../../ui/index.js';
import type { MessageText } from '../../ui/message-text.js';
import { clientAddress, type ServerContext } from '../context.js';
import { findByUserCode, type PendingDeviceAuthorization } from '../device/device-authorizations.js';
import { startDeviceInteraction } from '../device/device-interaction.js';
import { formatUserCode, normalizeUserCode } from '../device/user-code.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import { pipeline } from '../http/pipeline.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import type { Reservation } from '../protection/rate-limits.js';
import { pathTo } from '../routes.js';
import { csrfToken } from '../session/browser.js';
import { readAccountForm } from '../steps/account.js';
import { checkFormCsrf, requireBrowserCookie, withBrowser, type WithBrowser } from '../steps/self-service.js';

/** What the device page's CSRF tokens are bound to, with the browser. */
const DEVICE_CSRF = 'device';
const NOT_A_CODE: MessageText = { key: 'device.error.notACode' };
/** The same words for a code never issued, expired or already used: a guesser learns nothing more. */
const WRONG_CODE: MessageText = { key: 'device.error.wrongCode' };

/** The device page by GET, the code filled in when given: where its language switcher comes back to. */
function devicePagePath(ctx: ServerContext, userCode: string | undefined): string {
  const path = pathTo(ctx, 'device');
  return userCode === undefined ? path : `${path}?${new URLSearchParams({ user_code: userCode })}`;
}

/**
 * The code-entry form (again, with `error`), the code filled in when given, in the language the
 * user picked or the browser asks for. Shown by GET it has the language switcher; again after a
 * refused code (a POST) it has none.
 */
function devicePage(ctx: ServerContext, browser: WithBrowser, userCode: string | undefined, error?: MessageText): Response {
  const returnTo = error === undefined ? devicePagePath(ctx, userCode) : undefined;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderDeviceCodePage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, [], returnTo),
        nonce,
        action: pathTo(ctx, 'device'),
        csrfToken: csrfToken(ctx, browser.browserId, DEVICE_CSRF),
        ...(userCode !== undefined ? { userCode } : {}),
        ...(error !== undefined ? { error } : {}),
      }),
    { status: error ? 400 : 200, setCookies: browser.setCookies },
  );
}

/**
 * GET /device[?user_code=…] — the verification URI (RFC 8628 §3.3) and, with the code, the
 * complete one (§3.3.1): the code is filled in, never submitted by the link alone (§5.4). A
 * `user_code` that cannot be a code is left out, not echoed.
 */
export const deviceCodePage = endpoint(
  pipeline<EndpointInput>('device')
    .step(withBrowser)
    .respond((c) => {
      const typed = new URL(c.request.url).searchParams.get('user_code');
      const code = typed === null ? undefined : normalizeUserCode(typed);
      return devicePage(c.ctx, c, code === undefined ? undefined : formatUserCode(code));
    }),
);

type Posted = EndpointInput & WithBrowser & { form: FormParams };

/** A typed value that cannot be a code is refused at once: no lookup, so nothing is spent. */
function readUserCode(c: Posted): { userCode: string } | Response {
  const userCode = normalizeUserCode(c.form.get('user_code') ?? '');
  return userCode === undefined ? devicePage(c.ctx, c, undefined, NOT_A_CODE) : { userCode };
}

/**
 * RFC 8628 §5.1: one point of the address's budget (`deviceCodePerIp`) and one of the
 * installation's (`deviceCodeGlobal`), spent before the code is looked up; a code that is found
 * gives them back, so both count wrong codes. However many guesses race, at most the budgets are
 * looked up; the global one bounds guessing from any number of addresses.
 */
async function spendCodeTry({ ctx, request }: Posted): Promise<{ attempt: Reservation } | Response> {
  const attempt = await ctx.limits.reserve([
    { limiter: 'deviceCodePerIp', key: clientAddress(ctx) },
    { limiter: 'deviceCodeGlobal', key: 'all' },
  ]);
  return attempt.limited ? rateLimitedResponse(ctx, attempt.limited, request) : { attempt };
}

/** The live device authorization of the code; otherwise the form again (the points stay spent). */
async function findDevice(c: Posted & { userCode: string; attempt: Reservation }): Promise<{ device: PendingDeviceAuthorization } | Response> {
  const device = await findByUserCode(c.ctx, c.userCode);
  if (!device) return devicePage(c.ctx, c, undefined, WRONG_CODE);
  await c.attempt.refund();
  return { device };
}

/**
 * POST /device — `user_code`, `csrf`: the code entered (or confirmed) by the user. A live code
 * starts the sign-in interaction of its device authorization in this browser.
 */
export const deviceCodeEntry = endpoint(
  pipeline<EndpointInput>('device.post')
    .step(requireBrowserCookie)
    .step(readAccountForm)
    .step(checkFormCsrf(DEVICE_CSRF))
    .step(readUserCode)
    .step(spendCodeTry)
    .step(findDevice)
    .respond((c) => startDeviceInteraction(c.ctx, c.device, c.userCode, { id: c.browserId, setCookies: c.setCookies })),
);
