using System.Diagnostics;
using VSwitch.Admin.Client;
using VSwitch.Console.Model;

namespace VSwitch.Console;

/// <summary>
/// Reads one <see cref="SwitchSnapshot"/> from the API: stats, ports and groups always, the tracked connections when
/// the flows screen is open, routers and floating IPs when the routers screen is; the requests go out concurrently.
/// </summary>
/// <remarks>Runs off the UI thread; it only reads. A failure is the client's exception (the daemon is unreachable,
/// or refused), which the console shows in its message line while it keeps the last data on screen.</remarks>
internal sealed class SnapshotReader(VSwitchClient client)
{
    /// <summary>The API is asked for at most this many connections per refresh.</summary>
    public const int FlowLimit = 5000;

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task<SwitchSnapshot> ReadAsync(Screen screen, CancellationToken cancellation)
    {
        var stats = client.GetStatsAsync(cancellation);
        var ports = client.ListPortsAsync(cancellation: cancellation);
        var groups = client.ListSecurityGroupsAsync(cancellation: cancellation);
        var flows = screen == Screen.Flows ? client.ListFlowsAsync(limit: FlowLimit, cancellation: cancellation) : null;
        var routing = screen == Screen.Routers ? ReadRoutingAsync(cancellation) : null;
        await Task.WhenAll(stats, ports, groups, flows ?? Task.CompletedTask, routing ?? Task.CompletedTask).ConfigureAwait(false);
        return new SwitchSnapshot(_clock.Elapsed, stats.Result, ports.Result, groups.Result, flows?.Result, routing?.Result);
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
