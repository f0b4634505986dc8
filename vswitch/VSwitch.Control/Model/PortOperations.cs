using System.Collections.Immutable;
using VSwitch.Dataplane.Ports;
using VSwitch.Packets;

namespace VSwitch.Control.Model;

/// <summary>
/// Create, update, delete and read ports, with Neutron's port-security rules.
/// </summary>
/// <remarks>
/// <para><b>Addresses.</b> The MAC is validated as Neutron's <c>validate_mac_address</c> (six octets, not all zeros, not
/// broadcast) and must be unique in the network (<c>MacAddressInUse</c>, 409); without one the port gets a MAC under
/// Neutron's base <c>fa:16:3e</c>, derived from its id and the first free one in the network. Fixed IPs (Neutron's
/// IPAM, <see cref="Ipam"/>): an entry names an <c>ip_address</c>, a <c>subnet_id</c> to allocate from (the lowest free
/// address of its pools; the EUI-64 address on a SLAAC subnet), or both. On a network with subnets an address must lie
/// in one (<c>InvalidIpForNetwork</c>; in the named one, <c>InvalidIpForSubnet</c>), not be an IPv4 network or broadcast
/// address, nor the gateway (<c>IpAddressAlreadyAllocated</c>); on a network without subnets any address is accepted, as
/// before subnets existed. A port created without <c>fixed_ips</c> gets one address of the first IPv4 subnet with a free
/// one, its EUI-64 address on each SLAAC subnet and one of the first other IPv6 subnet; a full subnet is
/// <c>IpAddressGenerationFailure</c> (409). One given twice is refused as <c>validate_fixed_ips</c> does, and one another
/// port of the network holds is <c>IpAddressInUse</c> (409). A port's addresses are freed with it. Allowed address pairs take an
/// address or CIDR and an optional MAC, the port's by default; the same pair twice is
/// <c>DuplicateAddressPairInRequest</c> (400).</para>
/// <para><b>Port security</b> (ML2's <c>_portsec_ext_port_create_processing</c> and the port-security extension):</para>
/// <list type="bullet">
/// <item>On create, a port with port security and no <c>security_groups</c> gets its project's <c>default</c> group;
/// an explicit empty list means none. With port security disabled no default is added, and asking for groups is
/// <c>PortSecurityAndIPRequiredForSecurityGroups</c> (400).</item>
/// <item>On update, adding groups to a port without port security is the same 400; disabling port security while
/// groups remain (not cleared in the same request) is <c>PortSecurityPortHasSecurityGroup</c> (409). Enabling it
/// again does not add <c>default</c>.</item>
/// <item>Allowed address pairs need port security (<c>AddressPairAndPortSecurityRequired</c>, 409).</item>
/// <item>Groups must exist and belong to the port's project (else <c>SecurityGroupNotFound</c> naming the missing ids,
/// 404, as <c>_get_security_groups_on_port</c>), and be all stateful or all stateless (<c>SecurityGroupConflict</c>,
/// 409).</item>
/// </list>
/// <para><b>Device.</b> Switch-specific: the <c>binding:profile</c> device is empty (not attached) or a device string
/// its port type accepts (<see cref="OperationContext.PortTypes"/>; the type's message is the 400's reason); two ports
/// cannot use what a type says only one may (an interface, whatever the namespace, I/O path or ring; a socket path):
/// <c>DeviceInUse</c>, 409.</para>
/// <para><b>Thread-safety.</b> Pure functions of immutable inputs (see <see cref="SwitchModel"/> on applying results).</para>
/// </remarks>
public static class PortOperations
{
    /// <summary>The largest per-port connection limit (the largest connection table).</summary>
    public const int MaxConntrackLimit = 1 << 28;

    /// <summary>Neutron's default <c>base_mac</c> prefix.</summary>
    private const ulong BaseMac = 0xFA163E_000000UL;

    public static ModelChange<PortSpec> Create(SwitchModel model, PortBody request, OperationContext context)
    {
        var name = NeutronAttributes.Name(request.Name);
        var description = NeutronAttributes.Description(request.Description);
        var project = NeutronAttributes.Project(request.ProjectId, context);
        var networkId = request.NetworkId ?? throw NeutronErrors.MissingAttribute("network_id");
        var device = ValidateDevice(request.Device ?? "", context.PortTypes);
        var conntrackLimit = ValidateConntrackLimit(request.ConntrackLimit);
        MacAddress? mac = request.MacAddress is null ? null : ParseMac(request.MacAddress);
        var network = NetworkOperations.Get(model, networkId, context);
        model = ProjectDefaults.EnsureProject(model, project, context);
        var before = model; // a project's automatic groups are not the request's: not counted against it

        var id = context.NewId();
        var now = context.Now();
        var port = new PortSpec(id, name, network.Id, device, mac ?? FreeMac(model, network.Id, id), request.AdminStateUp ?? true)
        {
            ProjectId = project,
            Description = description,
            PortSecurityEnabled = request.PortSecurityEnabled ?? true,
            ConntrackLimit = conntrackLimit,
            CreatedAt = now,
            UpdatedAt = now,
        };
        port = port with { FixedIps = ResolveFixedIps(model, port, request.FixedIps) };
        var pairs = request.AllowedAddressPairs is null ? EquatableArray<AllowedAddressPair>.Empty : ParsePairs(request.AllowedAddressPairs, port.Mac);
        if (!pairs.IsEmpty && !port.PortSecurityEnabled)
        {
            throw NeutronErrors.AddressPairAndPortSecurityRequired();
        }
        EquatableArray<Guid> groups;
        if (port.PortSecurityEnabled)
        {
            groups = request.SecurityGroups is null
                ? (model.DefaultGroupOf(project) is { } defaultGroup ? [defaultGroup.Id] : [])
                : ValidateGroups(model, request.SecurityGroups, project);
        }
        else
        {
            groups = request.SecurityGroups is { Count: > 0 } ? throw NeutronErrors.PortSecurityAndIPRequiredForSecurityGroups() : [];
        }
        port = port with { AllowedAddressPairs = pairs, SecurityGroupIds = groups };
        CheckUnique(model, port, context.PortTypes);
        return new ModelChange<PortSpec>(QuotaOperations.Enforce(before, model with { Ports = model.Ports.Add(id, port) }, context), port);
    }

    public static ModelChange<PortSpec> Update(SwitchModel model, Guid id, PortBody request, OperationContext context)
    {
        var name = request.Name is null ? null : NeutronAttributes.Name(request.Name);
        var description = request.Description is null ? null : NeutronAttributes.Description(request.Description);
        var device = request.Device is null ? null : ValidateDevice(request.Device, context.PortTypes);
        var conntrackLimit = ValidateConntrackLimit(request.ConntrackLimit);
        MacAddress? mac = request.MacAddress is null ? null : ParseMac(request.MacAddress);
        var port = Get(model, id, context);
        if (request.NetworkId is { } networkId && networkId != port.NetworkId)
        {
            throw NeutronErrors.ReadOnlyAttribute("network_id");
        }
        if (port.IsServicePort && (device is { Length: > 0 } || request.PortSecurityEnabled == true || request.SecurityGroups is { Count: > 0 }
            || request.FixedIps is not null || request.AllowedAddressPairs is { Count: > 0 }))
        {
            // The switch answers on a router's interface itself: it has no device, no port security and keeps its addresses.
            throw NeutronErrors.BadRequestMessage($"Port {id} belongs to the switch ({port.DeviceOwner}): its device, addresses and port security are not the user's to set");
        }
        NeutronAttributes.RefuseProjectChange(request.ProjectId, port.ProjectId);
        model = ProjectDefaults.EnsureProject(model, port.ProjectId, context);

        var updated = port with
        {
            Name = name ?? port.Name,
            Description = description ?? port.Description,
            Device = device ?? port.Device,
            Mac = mac ?? port.Mac,
            AdminStateUp = request.AdminStateUp ?? port.AdminStateUp,
            PortSecurityEnabled = request.PortSecurityEnabled ?? port.PortSecurityEnabled,
            ConntrackLimit = request.ResetConntrackLimit ? null : conntrackLimit ?? port.ConntrackLimit,
            RevisionNumber = port.RevisionNumber + 1,
            UpdatedAt = context.Now(),
        };
        if (request.FixedIps is not null)
        {
            updated = updated with { FixedIps = ResolveFixedIps(model, updated, request.FixedIps) };
        }
        var pairs = request.AllowedAddressPairs is null
            ? port.AllowedAddressPairs
            : ParsePairs(request.AllowedAddressPairs, updated.Mac);
        if (!pairs.IsEmpty && !updated.PortSecurityEnabled)
        {
            throw NeutronErrors.AddressPairAndPortSecurityRequired();
        }
        if (request.SecurityGroups is { Count: > 0 } && !updated.PortSecurityEnabled)
        {
            throw NeutronErrors.PortSecurityAndIPRequiredForSecurityGroups();
        }
        var groups = request.SecurityGroups is null ? port.SecurityGroupIds : ValidateGroups(model, request.SecurityGroups, port.ProjectId);
        if (!groups.IsEmpty && !updated.PortSecurityEnabled)
        {
            throw NeutronErrors.PortSecurityPortHasSecurityGroup();
        }
        updated = updated with { AllowedAddressPairs = pairs, SecurityGroupIds = groups };
        CheckUnique(model, updated, context.PortTypes);
        // A floating IP whose fixed IP the port gives up lets go of it: the address may go to another port next.
        foreach (var fip in model.FloatingIps.Values.Where(f => f.PortId == id && f.FixedIpAddress is { } ip && !updated.FixedIps.Contains(ip)))
        {
            model = model with { FloatingIps = model.FloatingIps.SetItem(fip.Id, fip with { PortId = null, FixedIpAddress = null, RouterId = null }) };
        }
        return new ModelChange<PortSpec>(model with { Ports = model.Ports.SetItem(id, updated) }, updated);
    }

    public static SwitchModel Delete(SwitchModel model, Guid id, OperationContext context)
    {
        if (Get(model, id, context) is { IsServicePort: true } servicePort)
        {
            throw NeutronErrors.ServicePortInUse(id, servicePort.DeviceOwner);
        }
        // A floating IP on the port lets go of it (Neutron's disassociate_floatingips).
        foreach (var fip in model.FloatingIps.Values.Where(f => f.PortId == id))
        {
            model = model with { FloatingIps = model.FloatingIps.SetItem(fip.Id, fip with { PortId = null, FixedIpAddress = null, RouterId = null }) };
        }
        // The network logs whose target_id is the port go with it (the logging plugin's _clean_logs).
        return NetworkLogOperations.WithoutPort(model with { Ports = model.Ports.Remove(id) }, id);
    }

    /// <summary>The port, or <c>PortNotFound</c> (404) if it is missing or not visible to the caller.</summary>
    public static PortSpec Get(SwitchModel model, Guid id, OperationContext context) =>
        model.Ports.TryGetValue(id, out var port) && context.CanSee(port.ProjectId) ? port : throw NeutronErrors.PortNotFound(id);

    public static IEnumerable<PortSpec> List(SwitchModel model, OperationContext context) =>
        model.Ports.Values.Where(p => context.CanSee(p.ProjectId));

    private static MacAddress ParseMac(string text) =>
        MacAddress.TryParse(text, out var mac) && !mac.IsZero && !mac.IsBroadcast
            ? mac
            : throw NeutronErrors.InvalidAttribute("mac_address", $"'{text}' is not a valid MAC address");

    /// <summary>
    /// The port's fixed IPs from the request (see the class remarks): each entry an address, a subnet to allocate from,
    /// or both; none given on create: one address from the network's first IPv4 subnet with a free one, the EUI-64
    /// address on each SLAAC subnet, one from the first other IPv6 subnet. Null on a port create with no subnets: none.
    /// </summary>
    internal static EquatableArray<IpPrefix> ResolveFixedIps(SwitchModel model, PortSpec port, IReadOnlyList<FixedIpBody>? requested)
    {
        var subnets = SubnetOperations.Of(model, port.NetworkId).ToList();
        // Taken: other ports' addresses and the gateways (kept for the network's router).
        var used = new HashSet<UInt128>();
        foreach (var other in model.Ports.Values)
        {
            if (other.NetworkId == port.NetworkId && other.Id != port.Id)
            {
                foreach (var ip in other.FixedIps)
                {
                    used.Add(Ipam.Value(ip.Address));
                }
            }
        }
        foreach (var subnet in subnets)
        {
            if (subnet.GatewayIp is { } gateway)
            {
                used.Add(Ipam.Value(gateway.Address));
            }
        }
        var chosen = ImmutableArray.CreateBuilder<IpPrefix>();
        void Take(IpPrefix address, string text)
        {
            if (chosen.Contains(address))
            {
                throw NeutronErrors.InvalidAttribute("fixed_ips", $"Duplicate IP address '{text}'");
            }
            chosen.Add(address);
            used.Add(Ipam.Value(address.Address));
        }
        IpPrefix Allocate(Subnet subnet) =>
            subnet.IsAutoAddress && port.Mac is { } mac ? Ipam.Eui64(subnet.Cidr, mac)
            : Ipam.NextFree(subnet, used) ?? throw NeutronErrors.IpAddressGenerationFailure(port.NetworkId);

        if (requested is null)
        {
            if (subnets.FirstOrDefault(s => s.Cidr.Family == Ethertype.IPv4) is not null)
            {
                var free = subnets.Where(s => s.Cidr.Family == Ethertype.IPv4).Select(s => Ipam.NextFree(s, used)).FirstOrDefault(a => a is not null);
                Take(free ?? throw NeutronErrors.IpAddressGenerationFailure(port.NetworkId), "");
            }
            foreach (var subnet in subnets.Where(s => s.Cidr.Family == Ethertype.IPv6 && s.IsAutoAddress && port.Mac is not null))
            {
                Take(Allocate(subnet), "");
            }
            if (subnets.FirstOrDefault(s => s.Cidr.Family == Ethertype.IPv6 && !s.IsAutoAddress) is { } stateful)
            {
                Take(Allocate(stateful), "");
            }
            return chosen.ToImmutable();
        }
        foreach (var entry in requested)
        {
            IpPrefix? address = null;
            if (entry.IpAddress is { } text)
            {
                address = IpPrefix.TryParseHost(text, out var parsed)
                    ? parsed : throw NeutronErrors.InvalidAttribute("fixed_ips", $"'{text}' is not a valid IP address");
            }
            Subnet? subnet = null;
            if (entry.SubnetId is { } subnetId)
            {
                subnet = model.Subnets.TryGetValue(subnetId, out var s) && s.NetworkId == port.NetworkId ? s
                    : throw NeutronErrors.InvalidInput($"Failed to create port on network {port.NetworkId}, because fixed_ips included invalid subnet {subnetId}");
                if (address is { } a && !subnet.Cidr.Contains(a.Address, a.Family))
                {
                    throw NeutronErrors.InvalidIpForSubnet(a.AddressText);
                }
            }
            else if (address is { } a && subnets.Count > 0)
            {
                subnet = subnets.FirstOrDefault(s => s.Cidr.Contains(a.Address, a.Family)) ?? throw NeutronErrors.InvalidIpForNetwork(a.AddressText);
            }
            else if (address is null)
            {
                throw NeutronErrors.InvalidAttribute("fixed_ips", "each entry needs an ip_address or a subnet_id");
            }
            if (address is { } given && subnet is not null)
            {
                var (first, last) = Ipam.Range(subnet.Cidr);
                var value = Ipam.Value(given.Address);
                if (subnet.Cidr.Family == Ethertype.IPv4 && subnet.Cidr.PrefixLength <= 30 && (value == first || value == last))
                {
                    throw NeutronErrors.InvalidIpForSubnet(given.AddressText);
                }
                if (subnet.GatewayIp == given)
                {
                    throw NeutronErrors.IpAddressAlreadyAllocated(given.AddressText, subnet.Id);
                }
            }
            Take(address ?? Allocate(subnet!), entry.IpAddress ?? "");
        }
        return chosen.ToImmutable();
    }

    /// <param name="requests">The pairs as received.</param>
    /// <param name="portMac">The port's MAC, the default of each pair (a configuration-file port may have none; then
    /// every pair must name its MAC).</param>
    private static EquatableArray<AllowedAddressPair> ParsePairs(IReadOnlyList<AllowedAddressPairBody> requests, MacAddress? portMac)
    {
        var pairs = ImmutableArray.CreateBuilder<AllowedAddressPair>(requests.Count);
        foreach (var request in requests)
        {
            if (string.IsNullOrEmpty(request.IpAddress))
            {
                throw NeutronErrors.AllowedAddressPairsMissingIP();
            }
            MacAddress mac;
            if (request.MacAddress is not null)
            {
                if (!MacAddress.TryParse(request.MacAddress, out mac) || mac.IsZero || mac.IsBroadcast)
                {
                    throw NeutronErrors.BadRequestMessage($"'{request.MacAddress}' is not a valid MAC address");
                }
            }
            else
            {
                mac = portMac ?? throw NeutronErrors.BadRequestMessage($"The port has no MAC address: give mac_address for {request.IpAddress}");
            }
            if (!IpPrefix.TryParse(request.IpAddress, out var prefix))
            {
                throw NeutronErrors.BadRequestMessage($"'{request.IpAddress}' is neither a valid IP address, nor is it a valid IP subnet");
            }
            var pair = new AllowedAddressPair(prefix, mac);
            if (pairs.Contains(pair))
            {
                throw NeutronErrors.DuplicateAddressPairInRequest(mac.ToString(), request.IpAddress);
            }
            pairs.Add(pair);
        }
        return pairs.ToImmutable();
    }

    /// <summary>The requested groups, in order: none twice (Neutron's <c>uuid_list</c>), they must exist, be the port's project's and agree on statefulness.</summary>
    private static EquatableArray<Guid> ValidateGroups(SwitchModel model, IReadOnlyList<Guid> requested, ProjectId project)
    {
        var twice = requested.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => $"'{g.Key}'").ToList();
        if (twice.Count > 0)
        {
            throw NeutronErrors.InvalidAttribute("security_groups", $"Duplicate items in the list: {string.Join(", ", twice)}");
        }
        var ids = requested.ToList();
        var missing = ids.Where(id => !model.SecurityGroups.TryGetValue(id, out var g)
            || (!project.IsNone && g.ProjectId != project && !RbacOperations.IsSharedWith(model, id, project))).ToList();
        if (missing.Count > 0)
        {
            throw NeutronErrors.SecurityGroupNotFound(string.Join(", ", missing));
        }
        if (ids.Select(id => model.SecurityGroups[id].Stateful).Distinct().Count() > 1)
        {
            throw NeutronErrors.MixedStatefulGroups();
        }
        return ids.ToEquatableArray();
    }

    /// <summary>MAC, fixed IPs and device must not be another port's (MAC and IPs within the network).</summary>
    internal static void CheckUnique(SwitchModel model, PortSpec port, PortTypes types)
    {
        var deviceKey = DeviceKey(port.Device, types);
        foreach (var other in model.Ports.Values)
        {
            if (other.Id == port.Id)
            {
                continue;
            }
            if (deviceKey is not null && DeviceKey(other.Device, types) == deviceKey)
            {
                throw NeutronErrors.DeviceInUse(port.Device, other.Id);
            }
            if (other.NetworkId != port.NetworkId)
            {
                continue;
            }
            if (port.Mac is { } mac && other.Mac == mac)
            {
                throw NeutronErrors.MacAddressInUse(port.NetworkId, mac);
            }
            foreach (var ip in port.FixedIps)
            {
                if (other.FixedIps.Contains(ip))
                {
                    throw NeutronErrors.IpAddressInUse(port.NetworkId, ip.AddressText);
                }
            }
        }
    }

    /// <summary>A free <c>fa:16:3e:xx:xx:xx</c> in the network, starting from the port id's first three octets.</summary>
    internal static MacAddress FreeMac(SwitchModel model, Guid networkId, Guid portId)
    {
        var used = model.Ports.Values.Where(p => p.NetworkId == networkId && p.Mac is not null).Select(p => p.Mac!.Value.Value).ToHashSet();
        Span<byte> bytes = stackalloc byte[16];
        portId.TryWriteBytes(bytes, bigEndian: true, out _);
        var start = ((ulong)bytes[13] << 16) | ((ulong)bytes[14] << 8) | bytes[15];
        for (ulong i = 0; i < 0x1000000; i++)
        {
            var candidate = BaseMac | ((start + i) & 0xFFFFFF);
            if (!used.Contains(candidate))
            {
                return new MacAddress(candidate);
            }
        }
        throw new NeutronException(503, "NetworkMacAddressGenerationFailure", $"Unable to generate unique mac on network {networkId}.");
    }

    /// <summary>The device string as given when its port type accepts it (or it is empty: not attached), else 400 with the type's reason.</summary>
    private static string ValidateDevice(string device, PortTypes types) =>
        device.Length == 0 || types.TryParse(device, out _, out var error)
            ? device
            : throw NeutronErrors.InvalidAttribute("binding:profile", error);

    /// <summary>A port's connection limit as stored (null: the switch's default), or 400 naming the range.</summary>
    private static int? ValidateConntrackLimit(int? limit) => limit switch
    {
        null => null,
        >= 0 and <= MaxConntrackLimit => limit,
        _ => throw NeutronErrors.InvalidAttribute("binding:profile",
            $"conntrack_limit must be from 0 (no limit) to {MaxConntrackLimit}, not {limit}"),
    };

    /// <summary>What only one port may use (the type's key), or null for no device or a shared one.</summary>
    private static string? DeviceKey(string device, PortTypes types) =>
        device.Length != 0 && types.TryParse(device, out var parsed, out _) ? parsed!.Exclusive : null;
}
