namespace VSwitch.Control.Model;

/// <summary>A project's quota overrides (<c>PUT /v2.0/quotas/PROJECT</c>); resources not named take the defaults.</summary>
public sealed record ProjectQuota(ProjectId ProjectId, QuotaLimits Overrides);
