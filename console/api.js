// Talking to Cognito (sign-in) and to the console API (everything else).

let config = null;
const KEY = 'chatdrop.console.token';

export async function loadConfig() {
  config = await (await fetch('config.json')).json();
  return config;
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

// Cognito's InitiateAuth, USER_PASSWORD_AUTH: the ID token carries the groups and the
// retailer the API checks.
export async function signIn(email, password) {
  const response = await fetch(config.cognitoEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: config.clientId,
      AuthParameters: { USERNAME: email, PASSWORD: password },
    }),
  });
  const body = await response.json().catch(() => ({}));
  const idToken = body.AuthenticationResult && body.AuthenticationResult.IdToken;
  if (!response.ok || !idToken) {
    throw new Error(body.message || body.__type || `HTTP ${response.status}`);
  }
  sessionStorage.setItem(KEY, idToken);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function call(method, path, body) {
  const response = await fetch(config.apiBase + path, {
    method,
    headers: {
      authorization: `Bearer ${token()}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) {
    signOut();
    location.hash = '#/signin';
  }
  const type = response.headers.get('content-type') || '';
  const data = type.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, (data && data.error) || `HTTP ${response.status}`);
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body || {});
