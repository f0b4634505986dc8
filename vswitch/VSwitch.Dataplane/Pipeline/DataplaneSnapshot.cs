using VSwitch.Dataplane.Policy;
using VSwitch.Dataplane.Ports;
using VSwitch.Dataplane.Routing;
using VSwitch.Packets;

namespace VSwitch.Dataplane.Pipeline;

/// <summary>
/// Everything a worker needs to forward a batch, frozen: ports by slot and networks by index.
/// </summary>
/// <remarks>
/// What: an immutable object graph built by the control plane and published with one reference write.
/// Why: workers read the current snapshot once per batch and never lock (STYLE rule 5; OVS <c>ovs-rcu</c>).
/// A change builds a new snapshot; the old one, and any port it alone references, is released only after every worker
/// has moved past it (see <see cref="SnapshotPublisher"/>).
/// </remarks>
public sealed class DataplaneSnapshot
{
    public static readonly DataplaneSnapshot Empty = new(0, [], []);

    /// <param name="generation">This snapshot's number (<see cref="Generation"/>).</param>
    /// <param name="ports">Ports by slot.</param>
    /// <param name="networks">Networks by index.</param>
    /// <param name="policyGeneration">The current policy generation (<see cref="PolicyGeneration"/>).</param>
    /// <param name="portPolicyGenerations">By slot, the generation at which the port's policy last changed; null: every
    /// port's is <paramref name="policyGeneration"/> (any change re-checks everything).</param>
    /// <param name="addressSets">The address sets the ports' classifiers name, by index.</param>
    public DataplaneSnapshot(long generation, SwitchPort?[] ports, NetworkSegment?[] networks, long policyGeneration = 0,
        long[]? portPolicyGenerations = null, AddressSet?[]? addressSets = null)
    {
        Generation = generation;
        Ports = ports;
        Networks = networks;
        PolicyGeneration = policyGeneration;
        AddressSets = addressSets ?? [];
        if (portPolicyGenerations is null || portPolicyGenerations.Length < ports.Length)
        {
            var all = new long[ports.Length];
            Array.Fill(all, policyGeneration);
            portPolicyGenerations?.CopyTo(all, 0);
            portPolicyGenerations = all;
        }
        PortPolicyGenerations = portPolicyGenerations;
        Filtered = new bool[networks.Length];
        foreach (var port in ports)
        {
            if (port?.Policy is not null && (uint)port.Network < (uint)networks.Length)
            {
                Filtered[networks[port.Network]?.Zone ?? port.Network] = true;
            }
        }
        // Networks joined by a router share their zone: a routed packet is judged at both ends, so any filtered port in
        // the zone makes every network of it filtered.
        for (var i = 0; i < networks.Length; i++)
        {
            if (networks[i] is { } network && network.Zone != i)
            {
                Filtered[i] = Filtered[network.Zone];
            }
            // A router translates ports (SNAT): its later fragments need their first fragment's ports too.
            if (networks[i] is { RouterInterfaces.Length: > 0 })
            {
                Filtered[i] = true;
            }
        }
    }

    /// <summary>Routers by index (<see cref="RouterInterface.Router"/>); null where free.</summary>
    public LogicalRouter?[] Routers { get; init; } = [];

    /// <summary>
    /// By network index: some port of the network has port security, so its traffic is judged, or a router has an
    /// interface there, whose NAT translates ports: later IP fragments need their first fragment's L4 fields.
    /// </summary>
    public bool[] Filtered { get; }

    /// <summary>
    /// Grows whenever anything a policy verdict depends on changes (rules, groups, membership, port settings): flow-cache
    /// entries and conntrack admissions are stamped with it.
    /// </summary>
    public long PolicyGeneration { get; }

    /// <summary>
    /// By slot, the policy generation at which the port's verdicts last changed: a flow-cache entry of the port, or a
    /// connection through it, stamped earlier is re-checked; the other ports' entries and connections stay valid.
    /// </summary>
    public long[] PortPolicyGenerations { get; }

    /// <summary>The address sets that rules naming a remote group or an address group look addresses up in.</summary>
    public AddressSet?[] AddressSets { get; }

    /// <summary>
    /// The generation a connection between two slots must have been admitted (or re-checked) at to be trusted as is.
    /// </summary>
    public long RequiredGeneration(int inSlot, int outSlot)
    {
        var generations = PortPolicyGenerations;
        var a = (uint)inSlot < (uint)generations.Length ? generations[inSlot] : PolicyGeneration;
        var b = (uint)outSlot < (uint)generations.Length ? generations[outSlot] : PolicyGeneration;
        return Math.Max(a, b);
    }

    /// <summary>Increases with every published change.</summary>
    public long Generation { get; }

    /// <summary>Ports by slot; null where a slot is free.</summary>
    public SwitchPort?[] Ports { get; }

    /// <summary>Networks by index (the index is also the conntrack zone); null where free.</summary>
    public NetworkSegment?[] Networks { get; }
}

/// <summary>A port as the data path sees it.</summary>
/// <param name="Slot">Index in <see cref="DataplaneSnapshot.Ports"/> and in the counter arrays.</param>
/// <param name="Name">The port's name, for logs and traces.</param>
/// <param name="Port">The open backend.</param>
/// <param name="Network">Index of the port's network.</param>
/// <param name="AdminUp">False: every frame from or to the port is dropped as <c>port_down</c>.</param>
/// <param name="Mac">The port's own MAC (a static MAC-table entry), if it has one.</param>
/// <param name="Policy">Port security and security groups; null when port security is disabled (nothing filtered).</param>
/// <param name="Logging">Which of the port's security-group decisions go to the security-group log (Neutron network
/// logs covering the port).</param>
public sealed record SwitchPort(int Slot, string Name, IPort Port, int Network, bool AdminUp, MacAddress? Mac, PortPolicy? Policy = null,
    SecurityGroupLogging Logging = SecurityGroupLogging.None)
{
    /// <summary>
    /// The most tracked connections the port may have (0: no limit), counted on both ends of a connection; past it a
    /// new connection is dropped as <c>conntrack_full</c> (OVN's <c>ct-zone-limit</c>).
    /// </summary>
    public int ConntrackLimit { get; init; }

    /// <summary>
    /// The DHCPv4 server the switch runs for the port (its address on a subnet with DHCP enabled), or null: then DHCP
    /// client messages are forwarded as before.
    /// </summary>
    public VSwitch.Packets.Dhcp.DhcpV4Server? Dhcp { get; init; }

    /// <summary>
    /// The DHCPv6 server the switch runs for the port (its network has subnets with <c>dhcpv6-stateful</c> or
    /// <c>dhcpv6-stateless</c> address modes and DHCP enabled), or null: then DHCPv6 client messages are forwarded as before.
    /// </summary>
    public VSwitch.Packets.Dhcp.DhcpV6Server? DhcpV6 { get; init; }

    /// <summary>
    /// What the switch advertises to the port's router solicitations (its network's IPv6 subnets with an
    /// <c>ipv6_ra_mode</c>), or null: then solicitations are forwarded as before.
    /// </summary>
    public VSwitch.Packets.Ndp.RouterAdvertisementSettings? RouterAdvertisement { get; init; }
}

/// <summary>An L2 segment: frames leave it only through a router's interface on it.</summary>
/// <param name="Index">Small integer id: the MAC-table and conntrack zone.</param>
/// <param name="Name">The network's name.</param>
/// <param name="Members">Slots of the network's ports, the flood list.</param>
/// <param name="Stateful">Some port of the network has stateful security groups: its IP traffic is tracked.</param>
/// <param name="Mtu">The largest IP packet (L2 payload) the network carries; larger frames from a port that are not GSO
/// super-frames are dropped (<c>mtu</c>). 0: no limit.</param>
/// <param name="VlanTransparent">Tagged frames from ports are carried (Neutron's <c>vlan_transparent</c>); otherwise a frame
/// with a VLAN tag other than a priority tag (VLAN 0) is dropped (<c>vlan</c>), as on an access port.</param>
public sealed record NetworkSegment(int Index, string Name, int[] Members, bool Stateful = false, int Mtu = 0, bool VlanTransparent = false)
{
    private readonly int _zone = -1;

    /// <summary>
    /// The conntrack zone of the network's traffic: its own index, unless routers join it to other networks; then every
    /// network they join shares the lowest index among them, so that a routed connection is one entry whichever end
    /// sends (routed packets keep their addresses, and Neutron forbids overlapping subnets on a router).
    /// </summary>
    public int Zone { get => _zone < 0 ? Index : _zone; init => _zone = value; }

    /// <summary>
    /// The zone the network had before a router joined or left it (-1: none): connections tracked there are still found
    /// (a lookup that finds nothing in <see cref="Zone"/> tries it), so adding or removing a router interface cuts no
    /// established connection; they age out of the old zone as they end.
    /// </summary>
    public int PreviousZone { get; init; } = -1;

    /// <summary>The router interfaces on this network: frames to their MACs are routed, ARP and ND for their addresses answered.</summary>
    public RouterInterface[] RouterInterfaces { get; init; } = [];
}
