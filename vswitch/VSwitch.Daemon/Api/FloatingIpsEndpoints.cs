using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary><c>/v2.0/floatingips</c>: list, show, create, update (associate, disassociate), delete. See <see cref="FloatingIpOperations"/>.</summary>
internal static class FloatingIpsEndpoints
{
    private static readonly HashSet<string> s_fields =
    [
        "floating_network_id", "floating_ip_address", "subnet_id", "port_id", "fixed_ip_address", "description", "project_id", "tenant_id",
        "dns_name", "dns_domain", "qos_policy_id",
    ];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/floatingips", (HttpContext http) =>
            ListQuery.Answer("floatingips", FloatingIpOperations.List(api.Models.Current, api.For(http)).Select(ResourceViews.FloatingIp), http.Request, NotFound));
        app.MapGet("/v2.0/floatingips/{id}", (HttpContext http, string id) =>
            NeutronResults.One("floatingip", ListQuery.Fields(ResourceViews.FloatingIp(FloatingIpOperations.Get(api.Models.Current, Id(id), api.For(http))), http.Request.Query)));
        app.MapPost("/v2.0/floatingips", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "floatingip", s_fields));
            var context = api.For(http);
            var fip = api.Models.Execute(model => FloatingIpOperations.Create(model, request, context));
            return NeutronResults.One("floatingip", ResourceViews.FloatingIp(fip), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/floatingips/{id}", async (HttpContext http, string id) =>
        {
            var fipId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "floatingip", s_fields));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var fip = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, FloatingIpOperations.Get(model, fipId, context).RevisionNumber);
                return FloatingIpOperations.Update(model, fipId, request, context);
            });
            return NeutronResults.One("floatingip", ResourceViews.FloatingIp(fip));
        });
        app.MapDelete("/v2.0/floatingips/{id}", (HttpContext http, string id) =>
        {
            var fipId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, FloatingIpOperations.Get(model, fipId, context).RevisionNumber);
                return FloatingIpOperations.Delete(model, fipId, context);
            });
            return Results.NoContent();
        });
    }

    private static FloatingIpBody Read(RequestBody body)
    {
        var disassociate = body.Resource.TryGetProperty("port_id", out var port) && port.ValueKind == JsonValueKind.Null;
        return new FloatingIpBody(
            FloatingNetworkId: body.Uuid("floating_network_id"),
            FloatingIpAddress: body.String("floating_ip_address"),
            SubnetId: body.Uuid("subnet_id"),
            PortId: disassociate ? null : body.Uuid("port_id"),
            FixedIpAddress: body.String("fixed_ip_address", nullable: true),
            Disassociate: disassociate,
            Description: body.String("description"),
            ProjectId: body.Project());
    }

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    internal static NeutronException NotFound(string text) => new(404, "FloatingIPNotFound", $"Floating IP {text} could not be found");
}
