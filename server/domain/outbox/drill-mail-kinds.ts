/** The single email of drills: participants are told when one starts. */
export const drillOutboxKinds = ['drill_start'] as const;
export type DrillOutboxPayload = { drillId: string };
