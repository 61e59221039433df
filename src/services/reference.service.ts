// Reference data as the API and the CLI see it: categories, departments, the jurisdiction tree, the
// working-day calendar, and whether the database answers. Routes and commands ask here, never a
// repository; a calendar change drops the cached calendar so deadlines use it at once.

import type { Category, Department, Jurisdiction } from '../domain/records.js';
import type { ServiceContext } from './context.js';

export type JurisdictionNode = Omit<Jurisdiction, 'geometry'>;

export class ReferenceService {
  constructor(private readonly ctx: ServiceContext) {}

  private get repo() {
    return this.ctx.uow.autocommit.reference;
  }

  /** Categories a report may use (active ones). */
  async categories(): Promise<Category[]> {
    return (await this.repo.categories()).filter((c) => c.active);
  }

  departments(): Promise<Department[]> {
    return this.repo.departments();
  }

  /** The tree without polygons (those come from GET /map/jurisdictions). */
  async jurisdictions(): Promise<JurisdictionNode[]> {
    return (await this.repo.jurisdictions()).map(({ geometry: _g, ...unit }) => unit);
  }

  async departmentByCode(code: string): Promise<Department | undefined> {
    return (await this.repo.departments()).find((d) => d.code === code);
  }

  async jurisdictionByCode(code: string): Promise<JurisdictionNode | undefined> {
    return (await this.jurisdictions()).find((j) => j.code === code);
  }

  /** Holidays and 调休 working days, by date. */
  async calendar(): Promise<{ date: string; kind: string }[]> {
    return (await this.repo.calendarDays()).sort((a, b) => a.date.localeCompare(b.date));
  }

  /** Mark a date (admin, checked by the route's gate); deadlines computed from now on use it. */
  async setCalendarDay(date: string, kind: 'holiday' | 'workday'): Promise<{ date: string; kind: string }> {
    await this.repo.setCalendarDay(date, kind);
    this.ctx.invalidate();
    return { date, kind };
  }

  /** One cheap read: true when the database answers. */
  async databaseAnswers(): Promise<boolean> {
    try {
      await this.repo.calendarDays();
      return true;
    } catch {
      return false;
    }
  }
}
