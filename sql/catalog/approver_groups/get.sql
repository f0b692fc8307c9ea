-- A user's approver group, if set.
-- params: user_id VARCHAR
-- grain: user
SELECT user_id, approvers, min_approvals, updated_at FROM approver_groups WHERE user_id = $user_id
