using System.Text.Json.Nodes;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/subnets</c>.</summary>
public sealed partial class VSwitchClient
{
    public Task<List<Subnet>> ListSubnetsAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/subnets", "subnets", Json.ListSubnet, filters, cancellation);

    public Task<Subnet> GetSubnetAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/subnets/{Escape(id)}", "subnet", Json.Subnet, null, cancellation);

    public Task<Subnet> FindSubnetAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("subnet", nameOrId, GetSubnetAsync, (name, c) => ListSubnetsAsync([new("name", name)], c), cancellation);

    public Task<Subnet> CreateSubnetAsync(SubnetRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/subnets", "subnet", Json.Subnet, SubnetBody(request), cancellation);

    public Task<Subnet> UpdateSubnetAsync(string id, SubnetRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/subnets/{Escape(id)}", "subnet", Json.Subnet, SubnetBody(request), cancellation);

    public Task DeleteSubnetAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/subnets/{Escape(id)}", null, cancellation);

    private static JsonObject SubnetBody(SubnetRequest request)
    {
        var body = Envelope("subnet", request, Json.SubnetRequest);
        if (request.NoGateway)
        {
            body["subnet"]!["gateway_ip"] = null;
        }
        return body;
    }
}
