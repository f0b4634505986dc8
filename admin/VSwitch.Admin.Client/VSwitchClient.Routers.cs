using System.Text.Json;
using System.Text.Json.Nodes;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/routers</c>, their interfaces (<c>add_router_interface</c>, <c>remove_router_interface</c>).</summary>
public sealed partial class VSwitchClient
{
    public Task<List<Router>> ListRoutersAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/routers", "routers", Json.ListRouter, filters, cancellation);

    public Task<Router> GetRouterAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/routers/{Escape(id)}", "router", Json.Router, null, cancellation);

    public Task<Router> FindRouterAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("router", nameOrId, GetRouterAsync, (name, c) => ListRoutersAsync([new("name", name)], c), cancellation);

    public Task<Router> CreateRouterAsync(RouterRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/routers", "router", Json.Router, Envelope("router", request, Json.RouterRequest), cancellation);

    public Task<Router> UpdateRouterAsync(string id, RouterRequest request, CancellationToken cancellation = default)
    {
        var body = Envelope("router", request, Json.RouterRequest);
        if (request.ClearGateway)
        {
            body["router"]!["external_gateway_info"] = new JsonObject();
        }
        return OneAsync(HttpMethod.Put, $"v2.0/routers/{Escape(id)}", "router", Json.Router, body, cancellation);
    }

    public Task<List<FloatingIp>> ListFloatingIpsAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/floatingips", "floatingips", Json.ListFloatingIp, filters, cancellation);

    public Task<FloatingIp> GetFloatingIpAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/floatingips/{Escape(id)}", "floatingip", Json.FloatingIp, null, cancellation);

    /// <summary>A floating IP by id or by its address (floating IPs have no names).</summary>
    public async Task<FloatingIp> FindFloatingIpAsync(string idOrAddress, CancellationToken cancellation = default) =>
        (await ListFloatingIpsAsync([new(idOrAddress.Contains('.', StringComparison.Ordinal) || idOrAddress.Contains(':', StringComparison.Ordinal)
            ? "floating_ip_address" : "id", idOrAddress)], cancellation)).SingleOrDefault()
        ?? throw new VSwitchApiException(404, "FloatingIPNotFound", $"No floating IP found for {idOrAddress}");

    public Task<FloatingIp> CreateFloatingIpAsync(FloatingIpRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/floatingips", "floatingip", Json.FloatingIp, Envelope("floatingip", request, Json.FloatingIpRequest), cancellation);

    public Task<FloatingIp> UpdateFloatingIpAsync(string id, FloatingIpRequest request, CancellationToken cancellation = default)
    {
        var body = Envelope("floatingip", request, Json.FloatingIpRequest);
        if (request.Disassociate)
        {
            body["floatingip"]!["port_id"] = null;
        }
        return OneAsync(HttpMethod.Put, $"v2.0/floatingips/{Escape(id)}", "floatingip", Json.FloatingIp, body, cancellation);
    }

    public Task DeleteFloatingIpAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/floatingips/{Escape(id)}", null, cancellation);

    public Task DeleteRouterAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/routers/{Escape(id)}", null, cancellation);

    /// <summary>Adds an interface on a subnet (a port at its gateway) or an existing port; exactly one is given.</summary>
    public Task<RouterInterface> AddRouterInterfaceAsync(string routerId, string? subnetId, string? portId, CancellationToken cancellation = default) =>
        InterfaceAsync(routerId, "add_router_interface", subnetId, portId, cancellation);

    /// <summary>Removes the interface on a subnet or port (its port is deleted).</summary>
    public Task<RouterInterface> RemoveRouterInterfaceAsync(string routerId, string? subnetId, string? portId, CancellationToken cancellation = default) =>
        InterfaceAsync(routerId, "remove_router_interface", subnetId, portId, cancellation);

    private async Task<RouterInterface> InterfaceAsync(string routerId, string action, string? subnetId, string? portId, CancellationToken cancellation)
    {
        var body = new JsonObject();
        if (subnetId is not null)
        {
            body["subnet_id"] = subnetId;
        }
        if (portId is not null)
        {
            body["port_id"] = portId;
        }
        var root = await SendAsync(HttpMethod.Put, $"v2.0/routers/{Escape(routerId)}/{action}", body, cancellation);
        return root.Deserialize(Json.RouterInterface) ?? throw new VSwitchConnectionException($"{Where} answered {action} with nothing");
    }
}
