import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** One operator action as kept. */
export interface OperatorAction {
  id: string;
  at: Date;
  operator: string;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  outcome: string;
}

/** Every statement on `operator_actions`: the audit of what operators did to dead letters and parked rows. */
export class OperatorAudit {
  /** Records an action in the caller's transaction (with the change it made, or with its refusal); returns its id. */
  async record(manager: EntityManager, action: Omit<OperatorAction, 'id' | 'at'>): Promise<string> {
    const id = randomUUID();
    await manager.query(`INSERT INTO operator_actions (id, operator, action, target, detail, outcome) VALUES ($1, $2, $3, $4, $5, $6)`, [
      id,
      action.operator,
      action.action,
      action.target,
      JSON.stringify(action.detail),
      action.outcome,
    ]);
    return id;
  }

  /** A long action (a group replay) says how it went on, and how it ended. */
  async setOutcome(manager: EntityManager, id: string, outcome: string, detail?: Record<string, unknown>): Promise<void> {
    await manager.query(`UPDATE operator_actions SET outcome = $2, detail = detail || COALESCE($3::jsonb, '{}') WHERE id = $1`, [
      id,
      outcome,
      detail ? JSON.stringify(detail) : null,
    ]);
  }

  list(manager: EntityManager, limit: number): Promise<OperatorAction[]> {
    return manager.query(`SELECT id, at, operator, action, target, detail, outcome FROM operator_actions ORDER BY at DESC, id LIMIT $1`, [limit]);
  }
}
