using System.Text.Json;
using System.Text.Json.Serialization;

namespace VSwitch.Admin.Client.Resources;

/// <summary>A port as the API shows it: a device (<c>binding:profile.device</c>) attached to a network.</summary>
public sealed record Port
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string Name { get; set; } = "";
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("network_id")] public string NetworkId { get; set; } = "";
    [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }
    [JsonPropertyName("admin_state_up")] public bool AdminStateUp { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("fixed_ips")] public IReadOnlyList<FixedIp> FixedIps { get; set; } = [];
    [JsonPropertyName("allowed_address_pairs")] public IReadOnlyList<AddressPair> AllowedAddressPairs { get; set; } = [];
    [JsonPropertyName("security_groups")] public IReadOnlyList<string> SecurityGroups { get; set; } = [];
    [JsonPropertyName("port_security_enabled")] public bool PortSecurityEnabled { get; set; }
    [JsonPropertyName("binding:profile")] public BindingProfile? BindingProfile { get; set; }
    [JsonPropertyName("device_owner")] public string? DeviceOwner { get; set; }
    [JsonPropertyName("device_id")] public string? DeviceId { get; set; }

    /// <summary>
    /// How the switch runs the port: <c>queues</c>, <c>io</c>/<c>io_fallback</c> (TAP), <c>rx</c> (AF_PACKET),
    /// <c>status_reason</c>. Values are kept as JSON: this switch sends strings, Neutron's drivers also send booleans
    /// and numbers (<c>port_filter: true</c>).
    /// </summary>
    [JsonPropertyName("binding:vif_details")] public Dictionary<string, JsonElement>? VifDetails { get; set; }
    [JsonPropertyName("project_id")] public string? ProjectId { get; set; }
    [JsonPropertyName("revision_number")] public long RevisionNumber { get; set; }
    [JsonPropertyName("created_at")] public string? CreatedAt { get; set; }
    [JsonPropertyName("updated_at")] public string? UpdatedAt { get; set; }

    /// <summary>The device string (<c>tap:NAME[@NETNS]</c>, <c>afpacket:IF</c>, <c>memory[:NAME]</c>), empty if unattached.</summary>
    [JsonIgnore] public string Device => BindingProfile?.Device ?? "";

    /// <summary>The port's own connection limit (0: none), or null for the switch's default.</summary>
    [JsonIgnore] public int? ConntrackLimit => BindingProfile?.ConntrackLimit;

    /// <summary>One <c>binding:vif_details</c> value as text (a string as is, anything else as JSON), or null.</summary>
    public string? VifDetail(string key) =>
        VifDetails is not null && VifDetails.TryGetValue(key, out var value)
            ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText()
            : null;
}

/// <summary>One fixed IP of a port: the address and the subnet holding it (null on a network without subnets).</summary>
public sealed record FixedIp
{
    /// <summary>The address; in a request, null lets the switch allocate one from <see cref="SubnetId"/>.</summary>
    [JsonPropertyName("ip_address")] public string? IpAddress { get; set; }
    [JsonPropertyName("subnet_id")] public string? SubnetId { get; set; }
}

/// <summary>An allowed address pair: an address or CIDR the port may also send from, with an optional MAC.</summary>
public sealed record AddressPair
{
    [JsonPropertyName("ip_address")] public string IpAddress { get; set; } = "";
    [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }
}

/// <summary>
/// Neutron's <c>binding:profile</c>; this switch reads <c>device</c> and <c>conntrack_limit</c>. It is replaced whole by
/// an update: a profile without a device detaches the port, one without a limit gives the port the switch's default.
/// </summary>
public sealed record BindingProfile
{
    [JsonPropertyName("device")] public string? Device { get; set; }

    /// <summary>The most tracked connections the port may have (0: no limit; null: the switch's default).</summary>
    [JsonPropertyName("conntrack_limit")] public int? ConntrackLimit { get; set; }
}

/// <summary>The attributes of a port create or update; null members are not sent (left as they are).</summary>
public sealed record PortRequest
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("network_id")] public string? NetworkId { get; set; }
    [JsonPropertyName("mac_address")] public string? MacAddress { get; set; }
    [JsonPropertyName("admin_state_up")] public bool? AdminStateUp { get; set; }
    [JsonPropertyName("fixed_ips")] public IReadOnlyList<FixedIp>? FixedIps { get; set; }
    [JsonPropertyName("allowed_address_pairs")] public IReadOnlyList<AddressPair>? AllowedAddressPairs { get; set; }
    [JsonPropertyName("security_groups")] public IReadOnlyList<string>? SecurityGroups { get; set; }
    [JsonPropertyName("port_security_enabled")] public bool? PortSecurityEnabled { get; set; }
    [JsonPropertyName("binding:profile")] public BindingProfile? BindingProfile { get; set; }
}
