using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>neighbor list</c>: the addresses the routers learned by ARP on their external networks (the upstream router and
/// other hosts that are no port), with the network's name (<c>GET /v2.0/vswitch/neighbors</c>).
/// </summary>
internal static class NeighborCommands
{
    public static Column<NeighborEntry>[] Columns(IReadOnlyDictionary<string, string> networkNames) =>
    [
        new("network", "Network", n => Str(networkNames.GetValueOrDefault(n.NetworkId, n.NetworkId))),
        new("ip_address", "IP Address", n => Str(n.IpAddress)),
        new("mac_address", "MAC Address", n => Str(n.MacAddress)),
        new("age_seconds", "Age (s)", n => Num(n.AgeSeconds)),
        new("network_id", "Network ID", n => Str(n.NetworkId), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var list = new Command("list", "List the addresses routers learned by ARP outside");
        var output = OutputOptions.AddTo(list);
        app.SetAction(list, async (parse, client, cancellation) =>
        {
            var neighbors = await client.ListNeighborsAsync(cancellation);
            var names = neighbors.Count == 0 ? []
                : (await client.ListNetworksAsync(cancellation: cancellation)).Where(n => n.Name.Length > 0).ToDictionary(n => n.Id, n => n.Name);
            List(app.Out, output.Read(parse), Columns(names), neighbors);
        });
        return new Command("neighbor", "Inspect what routers learned outside") { list };
    }
}
