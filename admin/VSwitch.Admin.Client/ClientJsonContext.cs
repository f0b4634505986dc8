using System.Text.Json.Serialization;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary>
/// Source-generated System.Text.Json metadata for every DTO the client sends or reads: no reflection at run time, so
/// <c>vswitchctl</c> starts fast and could be trimmed.
/// </summary>
/// <remarks>
/// Null members are not written: a request record's null means "not given" (Neutron leaves the attribute as it is, or
/// applies its default). Numbers may arrive as strings (Neutron's converters accept both, so some servers send both).
/// </remarks>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    WriteIndented = true)]
[JsonSerializable(typeof(Network))]
[JsonSerializable(typeof(List<Network>))]
[JsonSerializable(typeof(NetworkRequest))]
[JsonSerializable(typeof(Subnet))]
[JsonSerializable(typeof(List<Subnet>))]
[JsonSerializable(typeof(SubnetRequest))]
[JsonSerializable(typeof(Router))]
[JsonSerializable(typeof(List<Router>))]
[JsonSerializable(typeof(RouterRequest))]
[JsonSerializable(typeof(RouterInterface))]
[JsonSerializable(typeof(FloatingIp))]
[JsonSerializable(typeof(List<FloatingIp>))]
[JsonSerializable(typeof(FloatingIpRequest))]
[JsonSerializable(typeof(Port))]
[JsonSerializable(typeof(List<Port>))]
[JsonSerializable(typeof(PortRequest))]
[JsonSerializable(typeof(SecurityGroup))]
[JsonSerializable(typeof(List<SecurityGroup>))]
[JsonSerializable(typeof(SecurityGroupRequest))]
[JsonSerializable(typeof(SecurityGroupRule))]
[JsonSerializable(typeof(List<SecurityGroupRule>))]
[JsonSerializable(typeof(SecurityGroupRuleRequest))]
[JsonSerializable(typeof(AddressGroup))]
[JsonSerializable(typeof(List<AddressGroup>))]
[JsonSerializable(typeof(AddressGroupRequest))]
[JsonSerializable(typeof(AddressesRequest))]
[JsonSerializable(typeof(RbacPolicy))]
[JsonSerializable(typeof(List<RbacPolicy>))]
[JsonSerializable(typeof(RbacPolicyRequest))]
[JsonSerializable(typeof(Quota))]
[JsonSerializable(typeof(List<Quota>))]
[JsonSerializable(typeof(QuotaRequest))]
[JsonSerializable(typeof(Dictionary<string, QuotaUsage>))]
[JsonSerializable(typeof(SwitchStats))]
[JsonSerializable(typeof(List<FlowEntry>))]
[JsonSerializable(typeof(List<NeighborEntry>))]
[JsonSerializable(typeof(PacketTrace))]
[JsonSerializable(typeof(TraceRequest))]
public sealed partial class ClientJsonContext : JsonSerializerContext;
