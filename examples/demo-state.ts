/** What the demo creates on first start and reuses afterwards (`.gatehouse/demo.json`, mode 0600). */
export interface DemoState {
  issuer: string;
  appUrl: string;
  apiAudience: string;
  sessionSecret: string;
  user: { username: string; password: string };
  web: { clientId: string; clientSecret: string };
  machine: { clientId: string; clientSecret: string };
}
