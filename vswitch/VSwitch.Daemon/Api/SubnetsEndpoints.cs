using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary><c>/v2.0/subnets</c>: list, show, create (one or bulk), update, delete. See <see cref="SubnetOperations"/>.</summary>
internal static class SubnetsEndpoints
{
    private static readonly HashSet<string> s_create =
    [
        "name", "description", "network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "enable_dhcp",
        "dns_nameservers", "host_routes", "ipv6_ra_mode", "ipv6_address_mode", "project_id", "tenant_id", "subnetpool_id",
        "prefixlen", "use_default_subnetpool", "service_types", "segment_id",
    ];

    private static readonly HashSet<string> s_pool = ["start", "end"];
    private static readonly HashSet<string> s_route = ["destination", "nexthop"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/subnets", (HttpContext http) =>
            ListQuery.Answer("subnets", SubnetOperations.List(api.Models.Current, api.For(http)).Select(ResourceViews.Subnet), http.Request, NotFound));
        app.MapGet("/v2.0/subnets/{id}", (HttpContext http, string id) =>
            NeutronResults.One("subnet", ListQuery.Fields(ResourceViews.Subnet(SubnetOperations.Get(api.Models.Current, Id(id), api.For(http))), http.Request.Query)));
        app.MapPost("/v2.0/subnets", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var context = api.For(http);
            if (RequestBody.Bulk(document, "subnets", "subnet", s_create) is { } many)
            {
                var requests = many.Select(Read).ToList();
                var created = api.Models.Execute(model => BulkCreate.All(model, requests, (m, r) => SubnetOperations.Create(m, r, context)));
                return NeutronResults.Many("subnets", created.Select(ResourceViews.Subnet), StatusCodes.Status201Created);
            }
            var request = Read(RequestBody.Envelope(document, "subnet", s_create));
            var subnet = api.Models.Execute(model => SubnetOperations.Create(model, request, context));
            return NeutronResults.One("subnet", ResourceViews.Subnet(subnet), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/subnets/{id}", async (HttpContext http, string id) =>
        {
            var subnetId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "subnet", s_create));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var subnet = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, SubnetOperations.Get(model, subnetId, context).RevisionNumber);
                return SubnetOperations.Update(model, subnetId, request, context);
            });
            return NeutronResults.One("subnet", ResourceViews.Subnet(subnet));
        });
        app.MapDelete("/v2.0/subnets/{id}", (HttpContext http, string id) =>
        {
            var subnetId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, SubnetOperations.Get(model, subnetId, context).RevisionNumber);
                return SubnetOperations.Delete(model, subnetId, context);
            });
            return Results.NoContent();
        });
    }

    private static SubnetBody Read(RequestBody body)
    {
        if (body.Resource.TryGetProperty("subnetpool_id", out var pool) && pool.ValueKind != JsonValueKind.Null)
        {
            throw NeutronErrors.InvalidInput("subnet pools are not supported: give a cidr");
        }
        var gatewayGiven = body.Resource.TryGetProperty("gateway_ip", out var gateway);
        return new SubnetBody(
            Name: body.String("name"),
            NetworkId: body.Uuid("network_id"),
            IpVersion: body.Int("ip_version"),
            Cidr: body.String("cidr"),
            GatewayIp: gatewayGiven && gateway.ValueKind != JsonValueKind.Null ? body.String("gateway_ip") : null,
            NoGateway: gatewayGiven && gateway.ValueKind == JsonValueKind.Null,
            AllocationPools: body.ObjectList("allocation_pools", s_pool)?.Select(p => (p.String("start"), p.String("end"))).ToList(),
            EnableDhcp: body.Bool("enable_dhcp"),
            DnsNameservers: Strings(body, "dns_nameservers"),
            HostRoutes: body.ObjectList("host_routes", s_route)?.Select(r => (r.String("destination"), r.String("nexthop"))).ToList(),
            Ipv6RaMode: body.String("ipv6_ra_mode", nullable: true),
            Ipv6AddressMode: body.String("ipv6_address_mode", nullable: true),
            Description: body.String("description"),
            ProjectId: body.Project());
    }

    /// <summary>A list of strings; JSON null is the empty list.</summary>
    private static List<string>? Strings(RequestBody body, string name)
    {
        if (!body.Resource.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Null => [],
            JsonValueKind.Array => [.. value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String
                ? v.GetString()! : throw NeutronErrors.InvalidAttribute(name, $"{v.GetRawText()} is not a string"))],
            _ => throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' is not a list"),
        };
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    internal static NeutronException NotFound(string text) => new(404, "SubnetNotFound", $"Subnet {text} could not be found.");
}
