using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using VSwitch.Control.Model;

namespace VSwitch.Daemon.Api;

/// <summary>
/// <c>/v2.0/address-groups</c> (Neutron's <c>address-group</c>): list, show, create, update (name, description),
/// <c>add_addresses</c>, <c>remove_addresses</c>, delete. See <see cref="AddressGroupOperations"/>.
/// </summary>
internal static class AddressGroupsEndpoints
{
    private static readonly HashSet<string> s_create = ["name", "description", "addresses", "project_id", "tenant_id"];

    public static void Map(IEndpointRouteBuilder app, ApiContext api)
    {
        app.MapGet("/v2.0/address-groups", (HttpContext http) =>
            ListQuery.Answer("address_groups", AddressGroupOperations.List(api.Models.Current, api.For(http)).Select(ResourceViews.AddressGroup), http.Request, NotFound));
        app.MapGet("/v2.0/address-groups/{id}", (HttpContext http, string id) =>
            NeutronResults.One("address_group", ListQuery.Fields(ResourceViews.AddressGroup(AddressGroupOperations.Get(api.Models.Current, Id(id), api.For(http))), http.Request.Query)));
        app.MapPost("/v2.0/address-groups", async (HttpContext http) =>
        {
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "address_group", s_create));
            var context = api.For(http);
            var group = api.Models.Execute(model => AddressGroupOperations.Create(model, request, context));
            return NeutronResults.One("address_group", ResourceViews.AddressGroup(group), StatusCodes.Status201Created);
        });
        app.MapPut("/v2.0/address-groups/{id}", async (HttpContext http, string id) =>
        {
            var groupId = Id(id);
            using var document = await RequestBody.ReadDocumentAsync(http.Request);
            var request = Read(RequestBody.Envelope(document, "address_group", s_create));
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            var group = api.Models.Execute(model =>
            {
                IfMatch.Check(expected, AddressGroupOperations.Get(model, groupId, context).RevisionNumber);
                return AddressGroupOperations.Update(model, groupId, request, context);
            });
            return NeutronResults.One("address_group", ResourceViews.AddressGroup(group));
        });
        foreach (var (action, change) in new (string, Func<SwitchModel, Guid, IReadOnlyList<string>, OperationContext, ModelChange<AddressGroup>>)[]
            { ("add_addresses", AddressGroupOperations.AddAddresses), ("remove_addresses", AddressGroupOperations.RemoveAddresses) })
        {
            app.MapPut($"/v2.0/address-groups/{{id}}/{action}", async (HttpContext http, string id) =>
            {
                var groupId = Id(id);
                using var document = await RequestBody.ReadDocumentAsync(http.Request);
                var addresses = Addresses(document);
                var context = api.For(http);
                var group = api.Models.Execute(model => change(model, groupId, addresses, context));
                return NeutronResults.One("address_group", ResourceViews.AddressGroup(group));
            });
        }
        app.MapDelete("/v2.0/address-groups/{id}", (HttpContext http, string id) =>
        {
            var groupId = Id(id);
            var context = api.For(http);
            var expected = IfMatch.Expected(http.Request);
            api.Models.Execute(model =>
            {
                IfMatch.Check(expected, AddressGroupOperations.Get(model, groupId, context).RevisionNumber);
                return AddressGroupOperations.Delete(model, groupId, context);
            });
            return Results.NoContent();
        });
    }

    private static AddressGroupBody Read(RequestBody body) => new(
        body.String("name"), body.String("description"), body.Has("addresses") ? Strings(body.Resource.GetProperty("addresses"), "addresses") : null, body.Project());

    /// <summary><c>{"addresses": ["198.18.0.0/16", ...]}</c>, non-empty.</summary>
    private static List<string> Addresses(JsonDocument document)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("addresses", out var addresses))
        {
            throw NeutronErrors.BadRequestMessage("Unable to find 'addresses' in request body");
        }
        var list = Strings(addresses, "addresses");
        return list.Count > 0 ? list : throw NeutronErrors.InvalidAttribute("addresses", "a non-empty list is required");
    }

    private static List<string> Strings(JsonElement value, string name) => value.ValueKind == JsonValueKind.Array
        ? [.. value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw NeutronErrors.InvalidAttribute(name, $"{v.GetRawText()} is not a string"))]
        : throw NeutronErrors.InvalidAttribute(name, $"'{value.GetRawText()}' is not a list");

    private static Guid Id(string text) => Guid.TryParseExact(text, "D", out var id) ? id : throw NotFound(text);

    private static NeutronException NotFound(string text) => new(404, "AddressGroupNotFound", $"Address group {text} could not be found.");
}
