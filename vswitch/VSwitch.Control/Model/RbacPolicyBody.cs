namespace VSwitch.Control.Model;

/// <summary>An RBAC policy create or update; null members are not given (only <c>target_tenant</c> may be updated).</summary>
public sealed record RbacPolicyBody(string? ObjectType = null, Guid? ObjectId = null, string? Action = null, string? Target = null, string? ProjectId = null);
