namespace VSwitch.Control.Model;

/// <summary>A security group create or update as the API received it (the resource object of the JSON body); null means "not given".</summary>
/// <param name="Name">Default <c>""</c>; never <c>default</c> (in any case).</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="Stateful">Default true; can change only while no port uses the group.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
public sealed record SecurityGroupBody(string? Name = null, string? Description = null, bool? Stateful = null, string? ProjectId = null);
