import type { Db } from '../../../db/client.ts';
import type { Config } from '../../config.ts';
import type { Clock } from './clock.ts';

/** What domain verbs need; `createDeps` builds it (plus HTTP-side parts) in one place. */
export interface DomainDeps {
  db: Db;
  clock: Clock;
  config: Config;
}
