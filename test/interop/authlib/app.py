"""A relying party built the way the reference documents build one: Flask + Authlib's Flask client.

Used by test/interop/authlib-flask.test.ts against a real `gatehouse start`. Everything after the
sign-in happens in the /authorize callback, which answers with JSON saying what worked:

    /login      -> authorize_redirect (PKCE S256, state and nonce made by Authlib)
    /authorize  -> authorize_access_token (code exchange + ID token validation: signature via the
                   JWKS, iss, aud, exp, iat, nonce, at_hash), the RFC 9207 `iss` check, UserInfo,
                   a refresh token grant, revocation of the new access token, and introspection
                   to see that it is revoked.

Configuration (environment):
    OIDC_ISSUER         the issuer, e.g. http://127.0.0.1:3000 (discovery is at its well-known URL)
    OIDC_CLIENT_ID      the client registered with --redirect-uri http://127.0.0.1:PORT/authorize
    OIDC_CLIENT_SECRET  its secret (registered with the default client_secret_basic)
    PORT                where this app listens on 127.0.0.1 (default 5000)
    FLASK_SECRET_KEY    signs Flask's session cookie (default: random per process)

Run with Debian's interpreter and packages: /usr/bin/python3 app.py (python3-flask, python3-authlib).
"""
import json
import os
import secrets
import sys

from authlib.integrations.flask_client import OAuth, OAuthError
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, jsonify, redirect, request, session, url_for
from werkzeug.serving import make_server

ISSUER = os.environ['OIDC_ISSUER'].rstrip('/')
CLIENT_ID = os.environ['OIDC_CLIENT_ID']
CLIENT_SECRET = os.environ['OIDC_CLIENT_SECRET']
PORT = int(os.environ.get('PORT', '5000'))
SCOPE = 'openid profile email offline_access'

app = Flask(__name__)
app.secret_key = os.environ.get('FLASK_SECRET_KEY') or secrets.token_urlsafe(32)
# Browsers share cookies between ports of one host: keep clear of the provider's cookie names.
app.config['SESSION_COOKIE_NAME'] = 'authlib_rp_session'

oauth = OAuth(app)
oauth.register(
    name='gatehouse',
    server_metadata_url=ISSUER + '/.well-known/openid-configuration',
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    client_kwargs={
        'scope': SCOPE,
        # Authlib makes a code_verifier per authorization and sends the S256 challenge.
        'code_challenge_method': 'S256',
        # Authlib's default for a client with a secret; spelled out since Gatehouse requires
        # the method the client was registered with.
        'token_endpoint_auth_method': 'client_secret_basic',
    },
)


def metadata():
    return oauth.gatehouse.load_server_metadata()


def back_channel():
    """A plain Authlib OAuth2Session for the calls the Flask integration has no helper for."""
    return OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_endpoint_auth_method='client_secret_basic',
        revocation_endpoint_auth_method='client_secret_basic',
        scope=SCOPE,
    )


@app.route('/')
def home():
    user = session.get('user')
    return jsonify({'signed_in': user is not None, 'user': user})


@app.route('/login')
def login():
    redirect_uri = url_for('authorize', _external=True)
    return oauth.gatehouse.authorize_redirect(redirect_uri)


@app.route('/authorize', methods=['GET', 'POST'])
def authorize():
    result = {'issuer': ISSUER}
    # RFC 9207: the authorization response names its issuer; Authlib 1.2 does not check it itself.
    params = request.args if request.method == 'GET' else request.form
    result['iss_param'] = params.get('iss')
    result['iss_matches'] = params.get('iss') == metadata()['issuer']
    try:
        # Exchanges the code (with the code_verifier kept in the session) and, as the request had
        # a nonce, validates the ID token: signature, iss, aud, exp, iat, nonce, at_hash.
        token = oauth.gatehouse.authorize_access_token()
    except OAuthError as error:
        return jsonify({**result, 'error': error.error, 'error_description': error.description}), 400
    claims = token.get('userinfo')
    result['id_token_valid'] = claims is not None
    result['id_token_claims'] = dict(claims) if claims is not None else None
    result['scope'] = token.get('scope')
    result['has_refresh_token'] = 'refresh_token' in token

    # UserInfo with the new access token (Authlib keeps it as the app's current token).
    userinfo = oauth.gatehouse.userinfo()
    result['sub'] = userinfo.get('sub')
    result['email'] = userinfo.get('email')
    result['name'] = userinfo.get('name')
    result['userinfo_sub_matches'] = claims is not None and userinfo.get('sub') == claims['sub']
    session['user'] = {'sub': userinfo.get('sub'), 'email': userinfo.get('email'), 'name': userinfo.get('name')}

    meta = metadata()
    client = back_channel()

    # Refresh token grant (client_secret_basic): new access token, rotated refresh token.
    refreshed = client.refresh_token(meta['token_endpoint'], refresh_token=token['refresh_token'])
    result['refreshed'] = bool(refreshed.get('access_token')) and refreshed['access_token'] != token['access_token']
    result['refresh_token_rotated'] = bool(refreshed.get('refresh_token')) and refreshed['refresh_token'] != token['refresh_token']

    # The refreshed access token works at UserInfo...
    before = client.get(meta['userinfo_endpoint'], headers={'Authorization': 'Bearer ' + refreshed['access_token']}, withhold_token=True)
    result['userinfo_status_before_revocation'] = before.status_code

    # ...then is revoked (RFC 7009) and introspection (RFC 7662) says it is no longer active.
    revocation = client.revoke_token(meta['revocation_endpoint'], token=refreshed['access_token'], token_type_hint='access_token')
    result['revocation_status'] = revocation.status_code
    introspection = client.introspect_token(meta['introspection_endpoint'], token=refreshed['access_token'], token_type_hint='access_token')
    result['introspection_status'] = introspection.status_code
    result['introspection_after_revocation'] = introspection.json()
    result['revoked'] = revocation.status_code == 200 and introspection.json().get('active') is False
    after = client.get(meta['userinfo_endpoint'], headers={'Authorization': 'Bearer ' + refreshed['access_token']}, withhold_token=True)
    result['userinfo_status_after_revocation'] = after.status_code
    return jsonify(result)


def main():
    server = make_server('127.0.0.1', PORT, app)
    # One JSON line when listening, for whoever started us.
    print(json.dumps({'ready': True, 'port': server.server_port}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == '__main__':
    sys.exit(main())
