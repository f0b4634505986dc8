namespace VSwitch.Control.Model;

/// <summary>A port create or update as the API received it (the resource object of the JSON body); null means "not given" (create: the default; update: unchanged).</summary>
/// <remarks>
/// For <see cref="SecurityGroups"/> an empty list is not the same as null: on create, null gives the project's
/// <c>default</c> group and an empty list gives none; on update, an empty list removes every group (the API maps a
/// JSON <c>null</c> to an empty list, as Neutron does).
/// </remarks>
/// <param name="Name">Default <c>""</c>.</param>
/// <param name="NetworkId">Required on create; read-only afterwards.</param>
/// <param name="Device">The backend from <c>binding:profile</c> <c>{"device": ...}</c>; default <c>""</c> (not attached).</param>
/// <param name="MacAddress">Default: generated (<c>fa:16:3e:xx:xx:xx</c>, Neutron's base MAC).</param>
/// <param name="AdminStateUp">Default true.</param>
/// <param name="FixedIps">The <c>fixed_ips</c> entries: an <c>ip_address</c>, a <c>subnet_id</c> to allocate from, or both.</param>
/// <param name="AllowedAddressPairs">Neutron's <c>allowed_address_pairs</c>.</param>
/// <param name="SecurityGroups">Group ids (see remarks).</param>
/// <param name="PortSecurityEnabled">Default true.</param>
/// <param name="Description">Default <c>""</c>.</param>
/// <param name="ProjectId">Create only; default: the caller's project.</param>
/// <param name="ConntrackLimit">From <c>binding:profile</c> <c>{"conntrack_limit": N}</c>: 0 no limit, N a limit; null:
/// not given.</param>
/// <param name="ResetConntrackLimit">True when a <c>binding:profile</c> came without <c>conntrack_limit</c> (the profile
/// is replaced whole): the port goes back to the switch's default.</param>
public sealed record PortBody(
    string? Name = null,
    Guid? NetworkId = null,
    string? Device = null,
    string? MacAddress = null,
    bool? AdminStateUp = null,
    IReadOnlyList<FixedIpBody>? FixedIps = null,
    IReadOnlyList<AllowedAddressPairBody>? AllowedAddressPairs = null,
    IReadOnlyList<Guid>? SecurityGroups = null,
    bool? PortSecurityEnabled = null,
    string? Description = null,
    string? ProjectId = null,
    int? ConntrackLimit = null,
    bool ResetConntrackLimit = false);

/// <summary>One <c>allowed_address_pairs</c> entry as received.</summary>
/// <param name="IpAddress">An address or a CIDR (required).</param>
/// <param name="MacAddress">Default: the port's MAC.</param>
public sealed record AllowedAddressPairBody(string? IpAddress, string? MacAddress = null);
