using System.CommandLine;
using VSwitch.Admin.Client.Resources;
using VSwitch.Cli.Output;
using static VSwitch.Cli.Output.Renderer;

namespace VSwitch.Cli.Commands;

/// <summary>
/// <c>flow list [--port P] [--active-within S] [--limit N]</c>: the connection-tracking table, one tracked connection
/// per row, with the rule and group that admitted it (<c>GET /v2.0/vswitch/flows</c>).
/// </summary>
internal static class FlowCommands
{
    public static readonly Column<FlowEntry>[] Columns =
    [
        new("zone", "Zone", f => Num((long)f.Zone)),
        new("protocol", "Protocol", f => Str(f.Protocol)),
        new("source", "Source", f => Str(Endpoint(f.Src, f.SrcPort))),
        new("destination", "Destination", f => Str(Endpoint(f.Dst, f.DstPort))),
        new("state", "State", f => Str(f.State)),
        new("age_seconds", "Age (s)", f => Num(f.AgeSeconds)),
        new("packets", "Packets (orig/reply)", f => Str(Invariant($"{f.PacketsOrig}/{f.PacketsReply}"))),
        new("bytes", "Bytes (orig/reply)", f => Str(Invariant($"{f.BytesOrig}/{f.BytesReply}"))),
        new("security_group_id", "Security Group", f => Str(f.SecurityGroupId)),
        new("rule_id", "Rule", f => Str(f.RuleId)),
        new("network_id", "Network", f => Str(f.NetworkId), Listed: false),
        new("kind", "Kind", f => Str(f.Kind), Listed: false),
        new("snat_inside", "SNAT Inside", f => Str(f.SnatInside), Listed: false),
        new("in_port_id", "In Port", f => Str(f.InPortId), Listed: false),
        new("out_port_id", "Out Port", f => Str(f.OutPortId), Listed: false),
    ];

    public static Command Build(CliApp app)
    {
        var port = Flags.Text("--port", "Only connections through this port (name or ID)", "PORT");
        var limit = new Option<int?>("--limit") { Description = "At most this many connections", HelpName = "N" };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1)
            {
                r.AddError("--limit must be at least 1");
            }
        });
        var activeWithin = new Option<int?>("--active-within")
        {
            Description = "Only connections that carried a packet in the last S seconds",
            HelpName = "S",
        };
        activeWithin.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is < 1 or > 86_400)
            {
                r.AddError("--active-within must be between 1 and 86400 seconds");
            }
        });
        var list = new Command("list", "List tracked connections") { port, activeWithin, limit };
        var output = OutputOptions.AddTo(list);
        app.SetAction(list, async (parse, client, cancellation) =>
        {
            var portId = parse.GetValue(port) is { } p ? (await client.FindPortAsync(p, cancellation)).Id : null;
            List(app.Out, output.Read(parse), Columns, await client.ListFlowsAsync(portId, parse.GetValue(limit), cancellation,
                parse.GetValue(activeWithin)));
        });
        return new Command("flow", "Inspect connection tracking") { list };
    }

    /// <summary><c>198.18.0.1:80</c>, <c>[2001:db8::1]:80</c>, or the bare address when the protocol has no ports.</summary>
    public static string? Endpoint(string? address, int? port) => address is null || port is null
        ? address
        : address.Contains(':') ? Invariant($"[{address}]:{port}") : Invariant($"{address}:{port}");
}
