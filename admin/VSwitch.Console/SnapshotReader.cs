using System.Diagnostics;
using VSwitch.Admin.Client;
using VSwitch.Admin.Client.Resources;
using VSwitch.Console.Model;

namespace VSwitch.Console;

/// <summary>
/// Reads one <see cref="SwitchSnapshot"/> from the API: stats, ports and groups always, the tracked connections when
/// the flows screen is open (by default only those that carried a packet since about the last refresh), routers and
/// floating IPs when the routers screen is; the requests go out concurrently.
/// </summary>
/// <remarks>
/// <para>Runs off the UI thread, one read at a time; it only reads. A failure is the client's exception (the daemon is
/// unreachable, or refused), which the console shows in its message line while it keeps the last data on screen.</para>
/// <para>Ports and groups seldom change: they are asked for with the tag of the last answer, and the daemon sends them
/// again only when they changed (until then the snapshot holds the same lists).</para>
/// </remarks>
internal sealed class SnapshotReader(VSwitchClient client)
{
    /// <summary>The API is asked for at most this many connections per refresh.</summary>
    public const int FlowLimit = 5000;

    /// <summary>
    /// "Active" connections carried a packet in this many seconds (by the data path's clock, which the workers and
    /// the conntrack sweep advance): the refresh interval and a second more, so that a connection that moved since
    /// the last refresh is listed unless that refresh came more than a second late.
    /// </summary>
    public const int ActiveWithinSeconds = 2;

    /// <summary>What the flows screen reads of a connection (not the network, rule and group ids: a third of each).</summary>
    public static readonly string[] FlowFields =
    [
        "zone", "protocol", "src", "dst", "src_port", "dst_port", "state", "age_seconds",
        "packets_orig", "bytes_orig", "packets_reply", "bytes_reply", "in_port_id", "out_port_id",
    ];

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Versioned<List<Port>>? _ports;
    private Versioned<List<SecurityGroup>>? _groups;

    /// <param name="screen">The screen shown (the flows and routers screens read more).</param>
    /// <param name="activeFlowsOnly">Whether only the connections active in the last <see cref="ActiveWithinSeconds"/> are read.</param>
    /// <param name="flowPortId">Only the connections through this port (null: all ports), asked of the API so that a port's
    /// connections are all there even when the whole table has more than <see cref="FlowLimit"/>.</param>
    /// <param name="cancellation">Ends the read when the console closes.</param>
    public async Task<SwitchSnapshot> ReadAsync(Screen screen, bool activeFlowsOnly, string? flowPortId, CancellationToken cancellation)
    {
        var stats = client.GetStatsAsync(cancellation);
        var ports = client.ListPortsIfChangedAsync(_ports, cancellation);
        var groups = client.ListSecurityGroupsIfChangedAsync(_groups, cancellation);
        var flows = screen == Screen.Flows ? ReadFlowsAsync(activeFlowsOnly, flowPortId, cancellation) : null;
        var routing = screen == Screen.Routers ? ReadRoutingAsync(cancellation) : null;
        await Task.WhenAll(stats, ports, groups, flows ?? Task.CompletedTask, routing ?? Task.CompletedTask).ConfigureAwait(false);
        (_ports, _groups) = (ports.Result, groups.Result);
        return new SwitchSnapshot(_clock.Elapsed, stats.Result, ports.Result.Value, groups.Result.Value, flows?.Result, routing?.Result);
    }

    private async Task<List<FlowEntry>> ReadFlowsAsync(bool activeOnly, string? portId, CancellationToken cancellation)
    {
        try
        {
            return await client.ListFlowsAsync(portId, FlowLimit, cancellation, activeOnly ? ActiveWithinSeconds : null, FlowFields).ConfigureAwait(false);
        }
        catch (VSwitchApiException ex) when (portId is not null && ex.Type == "PortNotFound")
        {
            // The port was deleted since it was picked: it has no connections (the screen still names it).
            return [];
        }
    }

    private async Task<RoutingInventory> ReadRoutingAsync(CancellationToken cancellation)
    {
        var routers = client.ListRoutersAsync(cancellation: cancellation);
        var floatingIps = client.ListFloatingIpsAsync(cancellation: cancellation);
        var subnets = client.ListSubnetsAsync(cancellation: cancellation);
        var networks = client.ListNetworksAsync(cancellation: cancellation);
        await Task.WhenAll(routers, floatingIps, subnets, networks).ConfigureAwait(false);
        return new RoutingInventory(routers.Result, floatingIps.Result, subnets.Result, networks.Result);
    }
}
