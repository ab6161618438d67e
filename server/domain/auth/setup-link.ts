import { newSecret } from '../shared/ids.ts';
import { sameSecret, sha256 } from './secrets.ts';

export const SETUP_LINK_TTL_MS = 24 * 3600_000;

/**
 * The one-time setup link printed at start-up while no user exists. Only its hash is held, in
 * this process's memory: the link needs no table, dies with the process (a restart prints a new
 * one) and stops working once any user exists, which is checked in the creating transaction.
 */
export class SetupLink {
  private hash: string | null = null;
  private expiresAt = 0;

  /** Issues a fresh token (the old one stops working) and returns it. */
  issue(now: Date): string {
    const token = newSecret();
    this.hash = sha256(token);
    this.expiresAt = now.getTime() + SETUP_LINK_TTL_MS;
    return token;
  }

  matches(token: string | null | undefined, now: Date): boolean {
    return (
      !!token &&
      this.hash !== null &&
      now.getTime() < this.expiresAt &&
      sameSecret(sha256(token), this.hash)
    );
  }

  consume(): void {
    this.hash = null;
  }
}
