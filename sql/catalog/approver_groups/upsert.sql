-- Sets a user's approver group (who reviews that user's experiments, and how many must approve).
-- params: user_id VARCHAR; approvers VARCHAR[]; min_approvals INTEGER; now TIMESTAMP
INSERT OR REPLACE INTO approver_groups (user_id, approvers, min_approvals, updated_at)
VALUES ($user_id, $approvers, $min_approvals, $now)
