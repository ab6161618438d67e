import { describe, expect, it } from 'vitest';
import {
  defaultImpact,
  pageIndicator,
  worstComponentStatus,
} from '../../server/domain/status/rollup.ts';

describe('page roll-up', () => {
  it('is All Systems Operational when every component is operational and no incident is open', () => {
    expect(pageIndicator(['operational', 'operational'], [])).toEqual({
      indicator: 'none',
      description: 'All Systems Operational',
    });
  });
  it('maps the worst component: degraded → minor, partial → major, major outage → critical', () => {
    expect(pageIndicator(['operational', 'degraded_performance'], []).indicator).toBe('minor');
    expect(pageIndicator(['degraded_performance', 'partial_outage'], []).indicator).toBe('major');
    expect(pageIndicator(['partial_outage', 'major_outage'], [])).toEqual({
      indicator: 'critical',
      description: 'Major System Outage',
    });
  });
  it('gives maintenance only when under_maintenance is the only problem', () => {
    expect(pageIndicator(['operational', 'under_maintenance'], [])).toEqual({
      indicator: 'maintenance',
      description: 'Service Under Maintenance',
    });
    expect(pageIndicator(['degraded_performance', 'under_maintenance'], []).indicator).toBe(
      'minor',
    );
  });
  it('raises the indicator to at least the impact of an unresolved incident', () => {
    expect(pageIndicator(['operational'], ['major']).indicator).toBe('major');
    expect(pageIndicator(['major_outage'], ['minor']).indicator).toBe('critical');
    expect(pageIndicator(['under_maintenance'], ['minor']).indicator).toBe('minor');
    expect(pageIndicator(['operational'], ['none']).indicator).toBe('none');
  });
  it('gives a group the status of its worst child', () => {
    expect(worstComponentStatus(['operational', 'under_maintenance', 'degraded_performance'])).toBe(
      'degraded_performance',
    );
    expect(worstComponentStatus([])).toBe('operational');
  });
  it('derives a new incident impact from its worst component or its priority, whichever is worse', () => {
    expect(defaultImpact(3, ['major_outage'])).toBe('critical');
    expect(defaultImpact(0, [])).toBe('critical');
    expect(defaultImpact(2, ['degraded_performance'])).toBe('minor');
    expect(defaultImpact(3, [])).toBe('none');
  });
});
