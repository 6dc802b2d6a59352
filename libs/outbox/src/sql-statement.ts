/**
 * One SQL statement and its parameters (`$1` … in `values`), as a caller hands it over to run inside a
 * statement of the library's (InboxService.claimWith's read, OutboxService.addWith's change).
 */
export interface SqlStatement {
  statement: string;
  values: unknown[];
}
