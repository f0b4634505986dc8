using System.Globalization;
using System.Text.Json;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary>The switch-specific read endpoints under <c>/v2.0/vswitch/</c>: stats, conntrack flows, learned neighbours and packet trace.</summary>
public sealed partial class VSwitchClient
{
    public async Task<SwitchStats> GetStatsAsync(CancellationToken cancellation = default)
    {
        using var answer = await ExchangeAsync(HttpMethod.Get, "v2.0/vswitch/stats", null, cancellation);
        return ReadMember(answer.Span, null, Json.SwitchStats, HttpMethod.Get, "v2.0/vswitch/stats")
            ?? throw new VSwitchConnectionException($"{_where} answered the stats request with an empty body");
    }

    /// <summary>
    /// Tracked connections, optionally only those of one port, or only those that carried a packet in the last
    /// <paramref name="activeWithinSeconds"/>, at most <paramref name="limit"/>; with <paramref name="fields"/>, only
    /// those attributes (Neutron's <c>fields=</c>; the others are left at their defaults).
    /// </summary>
    public Task<List<FlowEntry>> ListFlowsAsync(string? portId = null, int? limit = null, CancellationToken cancellation = default,
        int? activeWithinSeconds = null, IEnumerable<string>? fields = null)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (portId is not null)
        {
            query.Add(new("port_id", portId));
        }
        if (activeWithinSeconds is { } seconds)
        {
            query.Add(new("active_within", seconds.ToString(CultureInfo.InvariantCulture)));
        }
        if (fields is not null)
        {
            query.Add(new("fields", string.Join(',', fields)));
        }
        if (limit is { } n)
        {
            query.Add(new("limit", n.ToString(CultureInfo.InvariantCulture)));
        }
        return ListAsync("v2.0/vswitch/flows", "flows", Json.ListFlowEntry, query, cancellation);
    }

    /// <summary>The addresses the routers learned by ARP outside.</summary>
    public Task<List<NeighborEntry>> ListNeighborsAsync(CancellationToken cancellation = default) =>
        ListAsync("v2.0/vswitch/neighbors", "neighbors", Json.ListNeighborEntry, [], cancellation);

    /// <summary>Traces <paramref name="packet"/> (e.g. <c>tcp 198.18.0.1:40000 &gt; 198.18.0.2:80 syn</c>) entering port <paramref name="portId"/>.</summary>
    public Task<PacketTrace> TraceAsync(string portId, string packet, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/vswitch/trace", "trace", Json.PacketTrace,
            JsonSerializer.SerializeToNode(new TraceRequest { PortId = portId, Packet = packet }, Json.TraceRequest), cancellation);
}
