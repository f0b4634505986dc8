namespace VSwitch.Control.Model;

/// <summary>
/// The attribute checks Neutron's API layer applies to every resource before the plugin sees the request: string
/// lengths (<c>NAME_MAX_LEN</c> and <c>DESCRIPTION_MAX_LEN</c> are 255) and the owning project.
/// </summary>
internal static class NeutronAttributes
{
    public const int NameMaxLength = 255;
    public const int DescriptionMaxLength = 255;

    public static string Name(string? value, string attribute = "name")
    {
        value ??= "";
        return value.Length > NameMaxLength ? throw NeutronErrors.TooLong(attribute, value, NameMaxLength) : value;
    }

    public static string Description(string? value)
    {
        value ??= "";
        return value.Length > DescriptionMaxLength ? throw NeutronErrors.TooLong("description", value, DescriptionMaxLength) : value;
    }

    /// <summary>The owner of a new object: the request's project if given, else the caller's.</summary>
    public static ProjectId Project(string? requested, OperationContext context)
    {
        if (requested is null)
        {
            return context.ProjectId;
        }
        var project = ProjectId.Parse(requested);
        return context.IsAdmin || project == context.ProjectId
            ? project
            : throw NeutronErrors.BadRequestMessage("Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges");
    }

    /// <summary>Refuses a project in an update (Neutron's <c>project_id</c> is not <c>allow_put</c>).</summary>
    public static void RefuseProjectChange(string? requested, ProjectId current)
    {
        if (requested is not null && requested != current.Value)
        {
            throw NeutronErrors.ReadOnlyAttribute("project_id");
        }
    }
}
