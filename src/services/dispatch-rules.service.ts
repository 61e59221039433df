// 自动派单: auto-dispatch rules. A rule sends new reports of a category in a jurisdiction (of one urgency,
// or of any) straight to a department: the report is written already accepted, filed and dispatched, as
// system events (services/cases/report.ts). Administrators keep every rule; a dispatcher those of their
// own jurisdiction. The rules are read on every report, so each process keeps them in memory: dropped at
// once when this process changes them, reloaded at most RULES_TTL_MS later when another process did.

import { requireCapability } from '../domain/access.js';
import { conflict, forbidden, invalid, notFound } from '../domain/errors.js';
import { newId } from '../domain/ids.js';
import type { DispatchRule, Jurisdiction } from '../domain/records.js';
import { URGENCIES, type Urgency } from '../domain/types.js';
import { isWithin } from '../domain/workflow.js';
import type { Principal, ServiceContext } from './context.js';

/** How long a process trusts its copy of the rules: another process's change reaches it within this. */
export const RULES_TTL_MS = 30_000;

/** A new rule as the API takes it: no urgency (or null) matches any urgency. */
export interface DispatchRuleInput {
  categoryId: string;
  jurisdictionId: string;
  urgency?: Urgency | null;
  departmentId: string;
}

/**
 * The rule for a new report, or none: its category's rules at the deepest unit of the report's chain that
 * has one (the most specific jurisdiction wins), there a rule of the report's urgency before one of any
 * urgency; between equals, the oldest. `chain` runs from the report's unit up (Router.chain).
 */
export function matchRule(rules: readonly DispatchRule[], categoryId: string, urgency: Urgency, chain: readonly Pick<Jurisdiction, 'id'>[]): DispatchRule | undefined {
  const candidates = rules.filter((r) => r.categoryId === categoryId && (r.urgency === null || r.urgency === urgency));
  if (candidates.length === 0) return undefined;
  for (const unit of chain) {
    const here = candidates.filter((r) => r.jurisdictionId === unit.id);
    if (here.length > 0) return here.find((r) => r.urgency === urgency) ?? here[0];
  }
  return undefined;
}

/** The rules in memory, by category: what a report asks. */
export class RuleBook {
  private readonly byCategory = new Map<string, DispatchRule[]>();

  constructor(rules: readonly DispatchRule[]) {
    for (const rule of rules) {
      const list = this.byCategory.get(rule.categoryId) ?? [];
      list.push(rule);
      this.byCategory.set(rule.categoryId, list);
    }
  }

  match(categoryId: string, urgency: Urgency, chain: readonly Pick<Jurisdiction, 'id'>[]): DispatchRule | undefined {
    const rules = this.byCategory.get(categoryId);
    return rules ? matchRule(rules, categoryId, urgency, chain) : undefined;
  }
}

export class DispatchRuleService {
  private cached?: { book: Promise<RuleBook>; loadedAt: number };

  constructor(
    private readonly ctx: ServiceContext,
    /** Milliseconds since some fixed point, for the cache's age (not the domain's clock, which tests move). */
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  private get store() {
    return this.ctx.uow.autocommit.notify;
  }

  /**
   * The rules for reports, from memory. Load it before a transaction, never inside one: on SQLite the
   * transaction holds the only connection.
   */
  book(): Promise<RuleBook> {
    const now = this.monotonic();
    if (!this.cached || now - this.cached.loadedAt >= RULES_TTL_MS) {
      const book = this.store.dispatchRules().then((rules) => new RuleBook(rules));
      const entry = { book, loadedAt: now };
      this.cached = entry;
      // A failed load is not kept: the next report tries again.
      book.catch(() => {
        if (this.cached === entry) this.cached = undefined;
      });
    }
    return this.cached.book;
  }

  /** Drop the copy in memory: the next report reads the rules afresh. */
  invalidate(): void {
    this.cached = undefined;
  }

  /** The rules the caller keeps: all of them for an administrator, those within a dispatcher's jurisdiction. */
  async list(principal: Principal): Promise<DispatchRule[]> {
    const scope = this.scopeOf(principal);
    const [rules, router] = await Promise.all([this.store.dispatchRules(), this.ctx.routing()]);
    return scope === null ? rules : rules.filter((r) => isWithin(router.unit(r.jurisdictionId)?.path ?? `/${r.jurisdictionId}`, scope));
  }

  /**
   * Add a rule. Its category, jurisdiction and department must exist (400 naming the field), the department
   * must serve the jurisdiction (sit inside it, or above it as a district bureau does: dispatch's own
   * rule), a dispatcher may only add rules within their jurisdiction (403), and one rule per category,
   * jurisdiction and urgency (409).
   */
  async create(principal: Principal, input: DispatchRuleInput): Promise<DispatchRule> {
    const scope = this.scopeOf(principal);
    const [router, reference] = await Promise.all([this.ctx.routing(), this.ctx.reference()]);
    const category = reference.categoryById.get(input.categoryId);
    if (!category || !category.active) throw invalid('categoryId', `There is no active category with id ${input.categoryId}.`, 'category_not_found');
    const unit = router.unit(input.jurisdictionId);
    if (!unit) throw invalid('jurisdictionId', `There is no jurisdiction with id ${input.jurisdictionId}.`, 'jurisdiction_not_found');
    const urgency = input.urgency ?? null;
    if (urgency !== null && !URGENCIES.includes(urgency)) throw invalid('urgency', `urgency must be one of ${URGENCIES.join(', ')}, or left out for any.`, 'urgency_not_known');
    const department = reference.departmentById.get(input.departmentId);
    if (!department) throw invalid('departmentId', `There is no department with id ${input.departmentId}.`, 'department_not_found');
    if (scope !== null && !isWithin(unit.path, scope)) {
      throw forbidden('out_of_scope', 'That jurisdiction is outside yours: only its own command centre or an administrator may set its rules.', { field: 'jurisdictionId' });
    }
    const departmentPath = router.unit(department.jurisdictionId)?.path ?? `/${department.jurisdictionId}`;
    if (!isWithin(departmentPath, unit.path) && !isWithin(unit.path, departmentPath)) {
      throw invalid('departmentId', `${department.names.zh} does not serve ${unit.names.zh}: choose a department of that jurisdiction or above it.`, 'department_not_serving');
    }
    const existing = (await this.store.dispatchRules()).find((r) => r.categoryId === category.id && r.jurisdictionId === unit.id && r.urgency === urgency);
    if (existing) {
      throw conflict('dispatch_rule_exists', 'A rule for this category, jurisdiction and urgency already exists; delete it first to change it.', { ruleId: existing.id });
    }
    const now = this.ctx.now();
    const rule: DispatchRule = { id: newId(now.getTime()), categoryId: category.id, jurisdictionId: unit.id, urgency, departmentId: department.id, createdBy: principal.user.id, createdAt: now.toISOString() };
    await this.store.insertDispatchRule(rule);
    this.invalidate();
    return rule;
  }

  /** Delete a rule (404 when there is none; 403 when it is outside a dispatcher's jurisdiction). */
  async remove(principal: Principal, id: string): Promise<void> {
    const scope = this.scopeOf(principal);
    const rule = (await this.store.dispatchRules()).find((r) => r.id === id);
    if (!rule) throw notFound('dispatch_rule', id);
    if (scope !== null) {
      const path = (await this.ctx.routing()).unit(rule.jurisdictionId)?.path ?? `/${rule.jurisdictionId}`;
      if (!isWithin(path, scope)) throw forbidden('out_of_scope', 'That rule belongs to another jurisdiction.', { id });
    }
    await this.store.deleteDispatchRule(id);
    this.invalidate();
  }

  /** Null for an administrator (every rule); a dispatcher's jurisdiction path. */
  private scopeOf(principal: Principal): string | null {
    requireCapability(principal.actor, 'manage_dispatch_rules');
    if (principal.actor.role === 'admin') return null;
    if (!principal.actor.jurisdictionPath) throw forbidden('no_jurisdiction', 'Your account has no jurisdiction; ask an administrator to set one.');
    return principal.actor.jurisdictionPath;
  }
}
