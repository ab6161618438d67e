import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client.ts';
import { settings } from '../../../db/schema/index.ts';
import type { Config } from '../../config.ts';

/**
 * The host part of every Message-ID and List-Id Herald mints, from the page's public URL as
 * the settings have it now (falling back to the configured one), so single messages, broadcasts
 * and calendar UIDs agree after the URL changes.
 */
export function messageIdHost(publicUrl: string): string {
  try {
    return new URL(publicUrl).hostname || 'herald.invalid';
  } catch {
    return 'herald.invalid';
  }
}

/** What minting a Message-ID needs from the configuration: the fallback public URL. */
export type MessageIdConfig = Pick<Config, 'publicUrl'>;

/** The Message-ID host as of now, read in the caller's transaction. */
export async function readMessageIdHost(tx: DbOrTx, config: MessageIdConfig): Promise<string> {
  const [s] = await tx.select({ url: settings.publicUrl }).from(settings).where(eq(settings.id, 1));
  return messageIdHost(s?.url ?? config.publicUrl);
}
