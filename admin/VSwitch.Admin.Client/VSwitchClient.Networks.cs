using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/networks</c>.</summary>
public sealed partial class VSwitchClient
{
    public Task<List<Network>> ListNetworksAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/networks", "networks", Json.ListNetwork, filters, cancellation);

    public Task<Network> GetNetworkAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/networks/{Escape(id)}", "network", Json.Network, null, cancellation);

    public Task<Network> FindNetworkAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("network", nameOrId, GetNetworkAsync, (name, c) => ListNetworksAsync([new("name", name)], c), cancellation);

    public Task<Network> CreateNetworkAsync(NetworkRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/networks", "network", Json.Network, Envelope("network", request, Json.NetworkRequest), cancellation);

    public Task<Network> UpdateNetworkAsync(string id, NetworkRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/networks/{Escape(id)}", "network", Json.Network, Envelope("network", request, Json.NetworkRequest), cancellation);

    public Task DeleteNetworkAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/networks/{Escape(id)}", null, cancellation);
}
