export { escapeHtml } from './escape.js';
export { DEFAULT_BRANDING, type Branding } from './branding.js';
export { contrastRatio, isHexColor, readableTextColor, relativeLuminance } from './color.js';
export type { PageBase } from './layout.js';
export type { ClientSummary } from './client.js';
export type { AccountSummary } from './account.js';
export { describeScopes } from './scopes.js';
export { renderLoginPage, type LoginPageView } from './login-page.js';
export { renderConsentPage, type ConsentPageView } from './consent-page.js';
export { renderSelectAccountPage, type SelectAccountPageView } from './select-account-page.js';
export { renderErrorPage, type ErrorPageView } from './error-page.js';
export {
  renderLogoutConfirmPage,
  renderSignedOutPage,
  type LogoutConfirmPageView,
} from './logout-pages.js';
export { renderFormPostPage, type FormPostPageView } from './form-post-page.js';
export { CSRF_FIELD } from './form.js';
export { maskEmail, maskPhone } from './mask.js';
export { renderMfaChallengePage, type MfaChallengePageView, type MfaContact } from './mfa-challenge-page.js';
export { renderMfaEnrollPage, type MfaEnrollPageView } from './mfa-enroll-page.js';
export { renderRecoveryCodesPage, type RecoveryCodesPageView } from './recovery-codes-page.js';
export {
  renderAccountPage,
  type AccountApp,
  type AccountFactor,
  type AccountPageActions,
  type AccountPageView,
  type AccountSession,
  type AccountSignIn,
  type AccountTime,
} from './account-page.js';
export { renderContactVerifyPage, type ContactVerifyPageView } from './contact-verify-page.js';
export { renderReauthRequiredPage, type ReauthRequiredPageView } from './reauth-required-page.js';
export { renderHomePage, type HomePageView } from './home-page.js';
export { renderLockoutPage, type LockoutPageView } from './lockout-page.js';
export { faviconSvg } from './favicon.js';
export { describeSignInMethods, type CodeKind, type SignInDetail } from './sign-in-methods.js';
export { durationUntil, formatDate, formatDateTime, retryTime, shownTimeAgo, timeAgo, type ShownTime } from './time.js';
