/** The single email of change reviews: the named reviewer is asked to confirm or object. */
export const changeReviewOutboxKinds = ['change_review_request'] as const;
export type ChangeReviewOutboxPayload = { changeId: string };
