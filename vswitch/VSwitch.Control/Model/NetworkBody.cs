namespace VSwitch.Control.Model;

/// <summary>A network create or update as the API received it (the resource object of the JSON body); null means "not given" (create: the default; update: unchanged).</summary>
/// <param name="Name">Neutron default <c>""</c>.</param>
/// <param name="AdminStateUp">Default true.</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="ProjectId">Create only (<c>project_id</c> or <c>tenant_id</c>); default: the caller's project.</param>
/// <param name="Mtu">Default <see cref="NetworkSpec.DefaultMtu"/>; <see cref="NetworkSpec.MinMtu"/> to <see cref="NetworkSpec.MaxMtu"/>.</param>
/// <param name="VlanTransparent">Create only; default false.</param>
/// <param name="External">Neutron's <c>router:external</c>; default false.</param>
public sealed record NetworkBody(string? Name = null, bool? AdminStateUp = null, string? Description = null, string? ProjectId = null,
    int? Mtu = null, bool? VlanTransparent = null, bool? External = null);
