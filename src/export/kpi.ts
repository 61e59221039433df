// A KPI view as tables for a spreadsheet (Chinese headers, as the subdistrict's reports have them): the
// figures overall, one row each, and one sheet per breakdown, a row per group. Rates are written as
// percentages with their numerator and denominator beside them, times in minutes.

import { KPI_DEFINITIONS, RATE_KEYS, TIME_KEYS, type Dimension, type FigureSet, type RateKey, type TimeKey } from '../domain/kpi.js';
import type { KpiGroup, KpiReport } from '../services/kpi.service.js';
import { sheet, type AnySheet, type Column } from './table.js';

export const DIMENSION_NAMES: Record<Dimension, string> = {
  department: '部门',
  category: '类别',
  grid: '网格',
  community: '社区',
  subdistrict: '街道',
  member: '网格员',
  channel: '渠道',
  urgency: '紧急程度',
};

const percent = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 10);

interface OverallRow {
  key: RateKey | TimeKey;
  figures: FigureSet;
}

const isRate = (key: RateKey | TimeKey): key is RateKey => (RATE_KEYS as readonly string[]).includes(key);

const OVERALL: Column<OverallRow>[] = [
  { header: '指标', value: (r) => KPI_DEFINITIONS[r.key].name.zh, width: 14 },
  { header: '分子 / 个案数', value: (r) => (isRate(r.key) ? r.figures[r.key].numerator : r.figures[r.key as TimeKey].count) },
  { header: '分母', value: (r) => (isRate(r.key) ? r.figures[r.key].denominator : null) },
  { header: '比率 (%)', value: (r) => (isRate(r.key) ? percent(r.figures[r.key].value) : null) },
  { header: '平均 (分钟)', value: (r) => (isRate(r.key) ? null : r.figures[r.key as TimeKey].meanMin) },
  { header: '中位 (分钟)', value: (r) => (isRate(r.key) ? null : r.figures[r.key as TimeKey].medianMin) },
  { header: 'P90 (分钟)', value: (r) => (isRate(r.key) ? null : r.figures[r.key as TimeKey].p90Min) },
  { header: '定义', value: (r) => `${KPI_DEFINITIONS[r.key].numerator} / ${KPI_DEFINITIONS[r.key].denominator}`, width: 60 },
];

/** The columns of a breakdown sheet: the group, then each figure. */
export function groupColumns(dimension: Dimension): Column<KpiGroup>[] {
  const columns: Column<KpiGroup>[] = [
    { header: DIMENSION_NAMES[dimension], value: (g) => g.name ?? g.key ?? '（无）', width: 16 },
    { header: '编号', value: (g) => g.key, width: 12 },
  ];
  for (const key of RATE_KEYS) {
    const name = KPI_DEFINITIONS[key].name.zh;
    columns.push(
      { header: `${name} (%)`, value: (g) => percent(g.figures[key].value) },
      { header: `${name} 分子`, value: (g) => g.figures[key].numerator },
      { header: `${name} 分母`, value: (g) => g.figures[key].denominator },
    );
  }
  for (const key of TIME_KEYS) {
    const name = KPI_DEFINITIONS[key].name.zh;
    columns.push({ header: `${name} 个案数`, value: (g) => g.figures[key].count }, { header: `${name} 中位 (分钟)`, value: (g) => g.figures[key].medianMin });
  }
  return columns;
}

/** The sheets of a report: 总体 and one per breakdown it holds. */
export function kpiSheets(report: KpiReport): AnySheet[] {
  const sheets: AnySheet[] = [sheet({ name: '总体', columns: OVERALL, rows: [...RATE_KEYS, ...TIME_KEYS].map((key) => ({ key, figures: report.overall })) })];
  for (const [dimension, groups] of Object.entries(report.breakdowns) as [Dimension, KpiGroup[]][]) {
    sheets.push(sheet({ name: `按${DIMENSION_NAMES[dimension]}`, columns: groupColumns(dimension), rows: groups }));
  }
  return sheets;
}
