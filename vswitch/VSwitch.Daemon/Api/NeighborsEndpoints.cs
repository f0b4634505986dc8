using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Packets;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>GET /v2.0/vswitch/neighbors</c>: what the routers learned by ARP outside (the upstream router, other hosts on
/// an external network that are no port of the switch), as <c>ip neigh</c> shows a Linux router's table.
/// </summary>
/// <remarks>
/// <para><b>Shape.</b> <c>{"neighbors": [{"network_id", "ip_address", "mac_address", "age_seconds"}]}</c>, sorted by
/// network and address; only answers younger than their lifetime (300 s). Addresses the switch holds (ports, gateways,
/// floating IPs) are never in it: the routers know those from the model.</para>
/// <para><b>Why.</b> When a VM cannot reach the internet through SNAT, the first question is whether the gateway's
/// next hop answered ARP at all (<c>vswitch_router_arp_requests_total</c> counts the asking).</para>
/// </remarks>
internal static class NeighborsEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/vswitch/neighbors", (HttpContext http) =>
        {
            api.RequireAdmin(http, "get_vswitch_neighbors");
            var reconciler = api.Reconciler;
            var networkOfIndex = reconciler.ReadConsistent((model, _) =>
            {
                var networks = new Dictionary<int, Guid>();
                foreach (var id in model.Networks.Keys)
                {
                    var index = reconciler.NetworkIndex(id);
                    if (index >= 0)
                    {
                        networks[index] = id;
                    }
                }
                return networks;
            });
            var datapath = reconciler.Datapath;
            var neighbors = datapath.Neighbors.Snapshot(datapath.NowMs())
                .Where(n => networkOfIndex.ContainsKey(n.Network))
                .OrderBy(n => networkOfIndex[n.Network])
                .ThenBy(n => n.Address)
                .Select(n => new JsonObject
                {
                    ["network_id"] = networkOfIndex[n.Network].ToString(),
                    ["ip_address"] = IpAddress128.FromIpv4(n.Address).ToString(),
                    ["mac_address"] = n.Mac.ToString(),
                    ["age_seconds"] = Math.Round(Math.Max(0, n.AgeMs) / 1000.0, 3),
                });
            return NeutronResults.Json(new JsonObject { ["neighbors"] = new JsonArray([.. neighbors]) });
        });
    }
}
