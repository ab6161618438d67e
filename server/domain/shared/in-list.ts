import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

/**
 * A list of values as one bound JSON array, for `x IN (...)`: one parameter and one statement
 * text whatever the count, instead of a placeholder per value that the query builder assembles
 * and the driver binds one by one (the outbox writes hundreds of ids per group, dozens of groups
 * a second), and no limit on how many values a statement may bind.
 */
export const jsonList = (values: readonly (string | number)[]): SQL =>
  sql`(SELECT value FROM json_each(${JSON.stringify(values)}))`;

/** `column IN (values)`, the values bound as one JSON array (`jsonList`). */
export const inJsonList = (column: SQLWrapper, values: readonly (string | number)[]): SQL =>
  sql`${column} IN ${jsonList(values)}`;
