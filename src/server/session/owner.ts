/** The owner id under which a user's sessions, sign-in events and known browsers are kept (to list them, or end them all). */
export function userOwner(sub: string): string {
  return `user:${sub}`;
}
