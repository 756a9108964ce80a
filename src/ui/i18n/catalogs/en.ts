/**
 * English, the source catalog: every other catalog has exactly its keys, with the same placeholders
 * and tags (checked by `catalogs.test.ts` and, for an operator's files, at start). Messages are ICU
 * MessageFormat (`{name}`, `{count, plural, one {# code} other {# codes}}`, `<strong>{x}</strong>`);
 * write a key literally where it is used (`t('login.title')`), never built from pieces, so that the
 * check of unused keys sees it.
 */
export const en = {
  'language.name': 'English',

  'layout.documentTitle': '{title} – {product}',
  'switcher.label': 'Language',
  'switcher.submit': 'Change',

  'client.continueTo': 'to continue to {client}',
  'account.signedInAs': 'Signed in as',

  'login.title': 'Sign in',
  'login.username': 'Username or email',
  'login.password': 'Password',
  'login.forgotPassword': 'Forgot password?',
  'login.submit': 'Sign in',
  'login.emailCode': 'Email me a sign-in code',
  'login.or': 'or',
  'login.continueWith': 'Continue with {provider}',
  'login.passkey': 'Sign in with a passkey',
  'login.signUp': 'New here? <link>Create an account</link>',
  'login.error.incorrect': 'The username or password is incorrect.',
  'login.error.emailRequired': 'Enter your email address to get a sign-in code.',

  'passkey.useSteps': 'Follow the steps on your device to use your passkey.',
  'passkey.verified': 'Verified. Continuing…',
  'passkey.cancelled': 'The passkey request was cancelled or timed out. Try again.',
  'passkey.notVerified': 'The passkey could not be verified. Try again, or use another way to verify.',

  'consent.title': 'Allow access to {client}',
  'consent.heading': '{client} wants to access your {product} account',
  'consent.unverified': 'Unverified',
  'consent.registeredBySelf': 'Registered by the app itself, not by {product}.',
  'consent.describedBySelf': 'Described by the app itself at {host}, not registered with {product}.',
  'consent.answerGoesTo': 'It receives your answer at {domain}.',
  'consent.willAllow': 'This will allow {client} to:',
  'consent.claims': 'See these details of your account: {claims}',
  'consent.onlyAt': 'Only at {resources}.',
  'consent.device': 'You are signing in on a device. Only allow this if you started it yourself and your device shows the code {code}.',
  'consent.trust': 'Only allow this if you trust {client} with this information.',
  'consent.cancel': 'Cancel',
  'consent.allow': 'Allow',

  'scope.openid': 'Sign you in with your account',
  'scope.profile': 'See your name, profile picture and basic profile details',
  'scope.email': 'See your email address',
  'scope.address': 'See your postal address',
  'scope.phone': 'See your phone number',
  'scope.offline_access': 'Keep access when you are not using the app, until you revoke it',
  'scope.other': 'Use the "{scope}" permission',

  'claim.name': 'your name',
  'claim.given_name': 'your given name',
  'claim.family_name': 'your family name',
  'claim.middle_name': 'your middle name',
  'claim.nickname': 'your nickname',
  'claim.preferred_username': 'your username',
  'claim.profile': 'your profile page',
  'claim.picture': 'your profile picture',
  'claim.website': 'your website',
  'claim.gender': 'your gender',
  'claim.birthdate': 'your birthdate',
  'claim.zoneinfo': 'your time zone',
  'claim.locale': 'your language',
  'claim.updated_at': 'when your profile last changed',
  'claim.email': 'your email address',
  'claim.email_verified': 'whether your email address is verified',
  'claim.address': 'your postal address',
  'claim.phone_number': 'your phone number',
  'claim.phone_number_verified': 'whether your phone number is verified',
  'claim.other': '"{claim}"',

  'error.reference': 'Reference: <code>{id}</code>',
  'error.expired.title': 'Sign-in request expired',
  'error.expired.message': 'This sign-in request has expired or was already used. Go back to the application and start again.',
  'error.completed.title': 'Request already completed',
  'error.completed.message': 'This sign-in request was already completed. Go back to the application and start again.',
  'error.notAccepted.title': 'Request not accepted',
  'error.notAccepted.message': 'The application sent a request that cannot be accepted. Details: {detail}',
  'error.invalidRequest.title': 'Invalid sign-in request',
  'error.invalidRequest.message': 'The application sent an invalid sign-in request. Details: {detail}',
  'error.formNotAccepted.message':
    'The form was not accepted (it may have been open too long, or sent from another site). Go back to the application and try again.',
  'error.unavailable.title': 'Temporarily unavailable',
  'error.unavailable.message': 'Please try again in a few seconds.',
  'error.unexpected.title': 'Something went wrong',
  'error.unexpected.message': 'An unexpected error occurred. Please try again later.',
} as const;

/** The name of every message. */
export type MessageKey = keyof typeof en;

/** A catalog: a message for every key of English. */
export type Catalog = Record<MessageKey, string>;
