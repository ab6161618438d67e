/** The single emails of following one incident, rendered at send time by mail/compose. */
export const followOutboxKinds = ['follow_confirmation', 'follow_update'] as const;
export type FollowOutboxKind = (typeof followOutboxKinds)[number];

export type FollowOutboxPayload =
  /** follow_confirmation: the double opt-in link; follow_update: one published update. */
  { followerId: string; updateId?: string };

export function isFollowOutboxKind(kind: string): kind is FollowOutboxKind {
  return (followOutboxKinds as readonly string[]).includes(kind);
}
