namespace VSwitch.Control.Model;

/// <summary>A network log create or update as the API received it; null means "not given".</summary>
/// <param name="Name">Default <c>""</c>; updatable.</param>
/// <param name="Description">Default <c>""</c>; updatable.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
/// <param name="ResourceType">Required on create; only <c>security_group</c>.</param>
/// <param name="ResourceId">Create only: a security group.</param>
/// <param name="TargetId">Create only: a port.</param>
/// <param name="Event">Create only: <c>ACCEPT</c>, <c>DROP</c> or <c>ALL</c> (default).</param>
/// <param name="Enabled">Default true; updatable.</param>
public sealed record NetworkLogBody(
    string? Name = null,
    string? Description = null,
    string? ProjectId = null,
    string? ResourceType = null,
    Guid? ResourceId = null,
    Guid? TargetId = null,
    string? Event = null,
    bool? Enabled = null);
