using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;
using VSwitch.Dataplane.Conntrack;
using VSwitch.Packets;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>GET /v2.0/vswitch/flows[?port_id=ID][&amp;active_within=S][&amp;limit=N][&amp;fields=F]</c>: the tracked connections (what
/// <c>vswitchctl flow list</c> shows), with data-path slots mapped back to Neutron ids.
/// </summary>
/// <remarks>
/// <para><b>Shape.</b> <c>{"flows": [{"kind", "zone", "network_id", "snat_inside", "protocol", "src", "dst", "src_port",
/// "dst_port", "state", "age_seconds", "packets_orig", "bytes_orig", "packets_reply", "bytes_reply", "rule_id",
/// "security_group_id", "in_port_id", "out_port_id"}]}</c>. <c>kind</c> is <c>connection</c>, or <c>snat</c> for a
/// router's SNAT binding: its tuple is the translated one (from the gateway's address and port), <c>network_id</c>
/// the external network and <c>snat_inside</c> the VM's <c>address:port</c> it stands for (null otherwise); or
/// <c>untranslated</c> for a connection from outside to a fixed IP that a router with SNAT remembers so that its
/// replies leave untranslated. Bindings have no ports, so <c>port_id</c> never lists them. Addresses and ports are the original direction's (for
/// ICMP echo the ports hold the identifier, for protocols without ports they are 0); <c>protocol</c> is Neutron's
/// name (<c>tcp</c>, <c>udp</c>, <c>icmp</c>, <c>ipv6-icmp</c>, <c>sctp</c>) or the number as text; <c>state</c> is
/// the name <c>conntrack -L</c> uses. <c>rule_id</c>/<c>security_group_id</c> name the rule that admitted the
/// connection, and the ids are null when there is none (or it has been deleted since).</para>
/// <para><b>Filters.</b> <c>port_id</c>: connections whose original direction entered or left on that port (an unknown
/// id is 404 PortNotFound; a port without a data-path slot has none). <c>active_within</c>: only connections that
/// carried a packet in the last S seconds (1..86400), as the console's flows screen asks every second: the
/// connections moving now, whatever their number, instead of the first N of the table, most of them idle.
/// <c>limit</c>: at most N entries (1..100000, default 1000). <c>fields</c>: only those attributes, as on Neutron's
/// lists (the console leaves out the ids it does not show, a third of each entry).</para>
/// <para><b>Cost.</b> The table is copied in chunks without stopping the workers (<see cref="ConnTable.List"/>); the
/// slot-to-id maps are built under the reconciler's lock, so they match the slots the listing saw unless a port
/// was replaced in between.</para>
/// </remarks>
internal static class FlowsEndpoints
{
    /// <summary>Entries returned when <c>limit</c> is not given.</summary>
    public const int DefaultLimit = 1000;

    /// <summary>The largest <c>limit</c> accepted.</summary>
    public const int MaxLimit = 100_000;

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/vswitch/flows", (HttpContext http) =>
        {
            api.RequireAdmin(http, "get_vswitch_flows");
            var portId = StatsEndpoints.PortIdQuery(api, http);
            var limit = Limit(http);
            var activeWithin = ActiveWithin(http);
            var want = Fields(http);
            var reconciler = api.Reconciler;
            var (portOfSlot, ruleOfSlot, networkOfZone, slot) = reconciler.ReadConsistent((model, statuses) =>
            {
                var ports = new Dictionary<int, Guid>();
                foreach (var (id, status) in statuses)
                {
                    if (status.Slot >= 0)
                    {
                        ports[status.Slot] = id;
                    }
                }
                var rules = new Dictionary<int, (Guid Rule, Guid Group)>();
                foreach (var group in model.SecurityGroups.Values)
                {
                    foreach (var rule in group.Rules)
                    {
                        var ruleSlot = reconciler.RuleSlot(rule.Id);
                        if (ruleSlot >= 0)
                        {
                            rules[ruleSlot] = (rule.Id, group.Id);
                        }
                    }
                }
                var networks = new Dictionary<int, Guid>();
                foreach (var id in model.Networks.Keys)
                {
                    var index = reconciler.NetworkIndex(id);
                    if (index >= 0)
                    {
                        networks[index] = id;
                    }
                }
                var slot = portId is { } p ? statuses.GetValueOrDefault(p)?.Slot ?? -1 : -1;
                return (ports, rules, networks, slot);
            });
            if (portId is not null && slot < 0)
            {
                return NeutronResults.Json(new JsonObject { ["flows"] = new JsonArray() });
            }
            var datapath = reconciler.Datapath;
            var connections = datapath.Conntrack.List(port: portId is null ? null : slot, max: limit, seenWithinMs: activeWithin * 1000);
            var now = datapath.NowMs();
            return new StreamedJson(w =>
            {
                w.WriteStartObject();
                w.WriteStartArray("flows");
                foreach (var c in connections)
                {
                    var binding = c.SnatInside;
                    var admitted = binding is null && ruleOfSlot.TryGetValue(c.RuleSlot, out var r) ? r : ((Guid Rule, Guid Group)?)null;
                    w.WriteStartObject();
                    var o = new Attributes(w, want);
                    o.String(Field.Kind, binding is not null ? "snat" : c.IsUntranslated ? "untranslated" : "connection");
                    o.Number(Field.Zone, c.Zone);
                    o.Id(Field.NetworkId, networkOfZone, c.NetworkIndex);
                    if (want.HasFlag(Field.SnatInside))
                    {
                        if (binding is { } b)
                        {
                            w.WriteString(NameOf(Field.SnatInside), $"{b.Address.ToIPAddress()}:{b.Port}");
                        }
                        else
                        {
                            w.WriteNull(NameOf(Field.SnatInside));
                        }
                    }
                    o.String(Field.Protocol, ProtocolName(c.Protocol));
                    o.Address(Field.Src, c.Source);
                    o.Address(Field.Dst, c.Destination);
                    o.Number(Field.SrcPort, c.SourcePort);
                    o.Number(Field.DstPort, c.DestinationPort);
                    o.String(Field.State, c.StateName);
                    o.Number(Field.AgeSeconds, Math.Round(Math.Max(0, now - c.CreatedMs) / 1000.0, 3));
                    o.Number(Field.PacketsOrig, c.PacketsOriginal);
                    o.Number(Field.BytesOrig, c.BytesOriginal);
                    o.Number(Field.PacketsReply, c.PacketsReply);
                    o.Number(Field.BytesReply, c.BytesReply);
                    o.Guid(Field.RuleId, admitted?.Rule);
                    o.Guid(Field.SecurityGroupId, admitted?.Group);
                    o.Id(Field.InPortId, portOfSlot, c.OrigInPort);
                    o.Id(Field.OutPortId, portOfSlot, c.OrigOutPort);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        });
    }

    private static int Limit(HttpContext http)
    {
        var text = http.Request.Query["limit"].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return DefaultLimit;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit < 1 || limit > MaxLimit)
        {
            throw NeutronErrors.InvalidAttribute("limit", $"'{text}' is not an integer between 1 and {MaxLimit}");
        }
        return limit;
    }

    /// <summary>The attributes of a connection, for <c>fields=</c>.</summary>
    [Flags]
    private enum Field
    {
        Kind = 1 << 0,
        Zone = 1 << 1,
        NetworkId = 1 << 2,
        SnatInside = 1 << 3,
        Protocol = 1 << 4,
        Src = 1 << 5,
        Dst = 1 << 6,
        SrcPort = 1 << 7,
        DstPort = 1 << 8,
        State = 1 << 9,
        AgeSeconds = 1 << 10,
        PacketsOrig = 1 << 11,
        BytesOrig = 1 << 12,
        PacketsReply = 1 << 13,
        BytesReply = 1 << 14,
        RuleId = 1 << 15,
        SecurityGroupId = 1 << 16,
        InPortId = 1 << 17,
        OutPortId = 1 << 18,
        All = (1 << 19) - 1,
    }

    /// <summary>Writes a connection's attribute, under its name, when <c>fields=</c> asked for it (or asked for nothing).</summary>
    private readonly struct Attributes(Utf8JsonWriter w, Field want)
    {
        public void String(Field field, string value)
        {
            if (want.HasFlag(field))
            {
                w.WriteString(NameOf(field), value);
            }
        }

        public void Number(Field field, long value)
        {
            if (want.HasFlag(field))
            {
                w.WriteNumber(NameOf(field), value);
            }
        }

        public void Number(Field field, double value)
        {
            if (want.HasFlag(field))
            {
                w.WriteNumber(NameOf(field), value);
            }
        }

        public void Address(Field field, IpAddress128 value)
        {
            if (want.HasFlag(field))
            {
                WriteAddress(w, NameOf(field), value);
            }
        }

        public void Guid(Field field, Guid? value)
        {
            if (want.HasFlag(field))
            {
                WriteGuid(w, NameOf(field), value);
            }
        }

        public void Id(Field field, Dictionary<int, Guid> map, int key)
        {
            if (want.HasFlag(field))
            {
                WriteId(w, NameOf(field), map, key);
            }
        }
    }

    private static readonly Dictionary<string, Field> s_fieldNames = new(StringComparer.Ordinal)
    {
        ["kind"] = Field.Kind, ["zone"] = Field.Zone, ["network_id"] = Field.NetworkId, ["snat_inside"] = Field.SnatInside,
        ["protocol"] = Field.Protocol, ["src"] = Field.Src, ["dst"] = Field.Dst, ["src_port"] = Field.SrcPort,
        ["dst_port"] = Field.DstPort, ["state"] = Field.State, ["age_seconds"] = Field.AgeSeconds,
        ["packets_orig"] = Field.PacketsOrig, ["bytes_orig"] = Field.BytesOrig, ["packets_reply"] = Field.PacketsReply,
        ["bytes_reply"] = Field.BytesReply, ["rule_id"] = Field.RuleId, ["security_group_id"] = Field.SecurityGroupId,
        ["in_port_id"] = Field.InPortId, ["out_port_id"] = Field.OutPortId,
    };

    /// <summary>Each attribute's name by its bit in <see cref="Field"/>: the same names as <see cref="s_fieldNames"/>, encoded once.</summary>
    private static readonly JsonEncodedText[] s_attributeNames = [.. Enumerable.Range(0, BitOperations.PopCount((uint)Field.All))
        .Select(bit => JsonEncodedText.Encode(s_fieldNames.Single(n => n.Value == (Field)(1 << bit)).Key))];

    private static JsonEncodedText NameOf(Field field) => s_attributeNames[BitOperations.TrailingZeroCount((uint)field)];

    /// <summary>Neutron's <c>fields=a&amp;fields=b</c> (or <c>fields=a,b</c>): only those attributes (unknown names select nothing); none given, all.</summary>
    private static Field Fields(HttpContext http)
    {
        var names = http.Request.Query["fields"].SelectMany(f => (f ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        return names.Count == 0 ? Field.All : names.Aggregate((Field)0, (want, name) => want | s_fieldNames.GetValueOrDefault(name));
    }

    /// <summary>The largest <c>active_within</c> accepted, in seconds (a day).</summary>
    public const int MaxActiveWithin = 86_400;

    private static long? ActiveWithin(HttpContext http)
    {
        var text = http.Request.Query["active_within"].FirstOrDefault();
        if (text is null)
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1 || seconds > MaxActiveWithin)
        {
            throw NeutronErrors.InvalidAttribute("active_within", $"'{text}' is not a number of seconds between 1 and {MaxActiveWithin}");
        }
        return seconds;
    }

    private static void WriteId(Utf8JsonWriter w, JsonEncodedText name, Dictionary<int, Guid> map, int key) =>
        WriteGuid(w, name, map.TryGetValue(key, out var id) ? id : null);

    /// <summary>An address as text, written without a string for it (5,000 connections a second for the console).</summary>
    private static void WriteAddress(Utf8JsonWriter w, JsonEncodedText name, IpAddress128 address)
    {
        Span<char> text = stackalloc char[48];
        var length = 0;
        if (address.IsIpv4Mapped)
        {
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                ((address.Ipv4 >> shift) & 0xFF).TryFormat(text[length..], out var digits, provider: CultureInfo.InvariantCulture);
                length += digits;
                if (shift > 0)
                {
                    text[length++] = '.';
                }
            }
        }
        else if (!address.ToIPAddress().TryFormat(text, out length))
        {
            w.WriteString(name, address.ToIPAddress().ToString());
            return;
        }
        w.WriteString(name, text[..length]);
    }

    private static void WriteGuid(Utf8JsonWriter w, JsonEncodedText name, Guid? id)
    {
        if (id is { } value)
        {
            w.WriteString(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    /// <summary>Neutron's name of an IP protocol number, or the number as text.</summary>
    public static string ProtocolName(byte protocol) => protocol switch
    {
        IpProtocol.Tcp => ProtocolNames.Tcp,
        IpProtocol.Udp => ProtocolNames.Udp,
        IpProtocol.Icmp => ProtocolNames.Icmp,
        IpProtocol.Icmpv6 => ProtocolNames.Ipv6Icmp,
        IpProtocol.Sctp => "sctp",
        _ => protocol.ToString(CultureInfo.InvariantCulture),
    };
}
