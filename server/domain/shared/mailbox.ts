/**
 * Providers that deliver `first.last@` and `firstlast@` to one inbox. Elsewhere a dot is part
 * of the name (two colleagues may differ only by one), so only these lose their dots.
 */
const DOTLESS_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The inbox an address reaches, for budgets: lower-cased, without a `+tag` (every common
 * provider delivers `victim+1@` to `victim@`), without dots where the provider ignores them,
 * and googlemail.com as gmail.com. Mail still goes to the address as typed; only the count of
 * what one inbox was sent uses this.
 */
export function mailboxKey(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return email.trim().toLowerCase();
  let local = email.slice(0, at).trim().toLowerCase();
  let domain = email
    .slice(at + 1)
    .trim()
    .toLowerCase()
    .replace(/\.$/, '');
  const plus = local.indexOf('+');
  if (plus > 0) local = local.slice(0, plus);
  if (DOTLESS_DOMAINS.has(domain)) {
    local = local.replace(/\./g, '');
    domain = 'gmail.com';
  }
  return `${local}@${domain}`;
}

/** The domain part of a mailbox key. */
export function mailboxDomain(key: string): string {
  return key.slice(key.lastIndexOf('@') + 1);
}
