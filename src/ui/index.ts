export { escapeHtml } from './escape.js';
export { DEFAULT_BRANDING, type Branding } from './branding.js';
export { contrastRatio, isHexColor, readableTextColor } from './color.js';
export type { ClientSummary } from './client.js';
export { describeScopes } from './scopes.js';
export { renderLoginPage } from './login-page.js';
export { renderConsentPage } from './consent-page.js';
export { renderSelectAccountPage } from './select-account-page.js';
export { renderErrorPage } from './error-page.js';
export { renderLogoutConfirmPage, renderSignedOutPage } from './logout-pages.js';
export { renderFormPostPage } from './form-post-page.js';
export { maskEmail, maskPhone } from './mask.js';
export { renderMfaChallengePage, type MfaChallengePageView } from './mfa-challenge-page.js';
export { renderMfaEnrollPage, type MfaEnrollPageView } from './mfa-enroll-page.js';
export { renderRecoveryCodesPage } from './recovery-codes-page.js';
export { renderAccountPage, type AccountApp, type AccountDetails, type AccountPageActions, type AccountPageView } from './account-page.js';
export { renderContactVerifyPage } from './contact-verify-page.js';
export { renderAccountDeletedPage, renderDeleteAccountPage, renderEmailConfirmPage } from './account-change-pages.js';
export { renderReauthRequiredPage } from './reauth-required-page.js';
export { renderHomePage, type HomePageView } from './home-page.js';
export { renderInvitationPage, renderInvitationReadyPage } from './invitation-page.js';
export { renderLockoutPage, type LockoutPageView } from './lockout-page.js';
export { faviconSvg } from './favicon.js';
export { describeSignInMethods, type SignInDetail } from './sign-in-methods.js';
export { durationUntil, formatDate, formatDateTime, retryTime, shownTimeAgo, timeAgo } from './time.js';
export {
  renderForgotPasswordPage,
  renderNewPasswordPage,
  renderPasswordChangedPage,
  renderResetLinkInvalidPage,
  renderResetLinkSentPage,
  type BackLink,
} from './password-reset-pages.js';
export { renderEmailCodePage } from './email-sign-in-pages.js';
export { renderInvitationOnlyPage, renderSignUpPage } from './sign-up-page.js';
export { renderConfirmEmailPage, renderEmailConfirmedPage, renderVerifyEmailPage } from './verify-email-page.js';
export { renderDeviceCodePage, renderDeviceDonePage } from './device-pages.js';
