namespace VSwitch.Control.Model;

/// <summary>
/// Neutron's RBAC policy: the owner of an object grants another project (or every project, <c>*</c>) an action on it.
/// Here the one object type is <c>security_group</c> and the one action <c>access_as_shared</c> (see
/// <see cref="RbacOperations"/>).
/// </summary>
/// <remarks><c>Target</c> is a project id or <c>*</c>; <c>ProjectId</c> owns the policy (the shared group's project).</remarks>
public sealed record RbacPolicy(Guid Id, string ObjectType, Guid ObjectId, string Action, string Target, ProjectId ProjectId)
{
    public const string SecurityGroupType = "security_group";
    public const string AccessAsShared = "access_as_shared";
    public const string Everyone = "*";
}
