import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { parseForm } from '../http/form.js';
import { AUTHORIZATION_REPEATABLE, pushedParameters } from './pushed-requests.js';

const client = { clientId: 'app' } as ClientRecord;
const form = (text: string) => parseForm(text, AUTHORIZATION_REPEATABLE);

describe('pushedParameters (RFC 9126 §2.1)', () => {
  it('keeps the authorization request, fills in client_id, leaves out the credentials', () => {
    const { params } = pushedParameters({ form: form('scope=openid&client_secret=s3cret&resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb'), client });
    expect(params.entries()).toEqual([
      ['scope', 'openid'],
      ['resource', 'https://a'],
      ['resource', 'https://b'],
      ['client_id', 'app'],
    ]);
  });

  it.each([
    ['request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax', 'invalid_request'],
    ['request=eyJhbGciOiJub25lIn0.e30.', 'request_not_supported'],
    ['client_id=other', 'invalid_request'],
  ])('refuses %s with %s', (body, error) => {
    let thrown: unknown;
    try {
      pushedParameters({ form: form(body), client });
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).error).toBe(error);
  });
});
