namespace VSwitch.Control.Model;

/// <summary>A subnet create or update as the API received it; null means "not given".</summary>
/// <remarks><c>GatewayIp</c> is the text given, and <c>NoGateway</c> true when it was JSON null (no gateway);
/// <c>AllocationPools</c> are (start, end) texts, <c>HostRoutes</c> (destination, nexthop) texts.</remarks>
public sealed record SubnetBody(
    string? Name = null,
    Guid? NetworkId = null,
    int? IpVersion = null,
    string? Cidr = null,
    string? GatewayIp = null,
    bool NoGateway = false,
    IReadOnlyList<(string? Start, string? End)>? AllocationPools = null,
    bool? EnableDhcp = null,
    IReadOnlyList<string>? DnsNameservers = null,
    IReadOnlyList<(string? Destination, string? NextHop)>? HostRoutes = null,
    string? Ipv6RaMode = null,
    string? Ipv6AddressMode = null,
    string? Description = null,
    string? ProjectId = null);

/// <summary>One <c>fixed_ips</c> entry as received: an address, a subnet, or both.</summary>
public sealed record FixedIpBody(string? IpAddress, Guid? SubnetId = null)
{
    /// <summary>A plain address (the form configuration files and older callers use).</summary>
    public static implicit operator FixedIpBody(string ipAddress) => new(ipAddress);
}
