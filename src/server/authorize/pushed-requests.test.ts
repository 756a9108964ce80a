import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { parseForm } from '../http/form.js';
import { AUTHORIZATION_REPEATABLE } from './params.js';
import { pushedParameters } from './pushed-requests.js';
import type { RequestObjectContext } from './request-object.js';

const client = { clientId: 'app' } as ClientRecord;
/** No request object in these cases: nothing of the context is used (request objects: test/server/flow/request-objects.test.ts). */
const ctx = {} as RequestObjectContext;
const form = (text: string) => parseForm(text, AUTHORIZATION_REPEATABLE);

describe('pushedParameters (RFC 9126 §2.1)', () => {
  it('keeps the authorization request, fills in client_id, leaves out the credentials', async () => {
    const { params, requestObject } = await pushedParameters({
      ctx,
      form: form('scope=openid&client_secret=s3cret&resource=https%3A%2F%2Fa&resource=https%3A%2F%2Fb'),
      client,
    });
    expect(params.entries()).toEqual([
      ['scope', 'openid'],
      ['resource', 'https://a'],
      ['resource', 'https://b'],
      ['client_id', 'app'],
    ]);
    expect(requestObject).toBe(false);
  });

  it.each([
    ['request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax', 'invalid_request'],
    ['client_id=other', 'invalid_request'],
  ])('refuses %s with %s', async (body, error) => {
    let thrown: unknown;
    try {
      await pushedParameters({ ctx, form: form(body), client });
    } catch (caught) {
      thrown = caught;
    }
    expect(thrown).toBeInstanceOf(OAuthError);
    expect((thrown as OAuthError).error).toBe(error);
  });

  it('refuses a plain push from a client registered with require_signed_request_object (RFC 9101 §10.5)', async () => {
    const strict = { ...client, requireSignedRequestObject: true } as ClientRecord;
    await expect(pushedParameters({ ctx, form: form('scope=openid'), client: strict })).rejects.toMatchObject({ error: 'invalid_request' });
  });
});
