using System.Text.Json;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/address-groups</c>.</summary>
public sealed partial class VSwitchClient
{
    public Task<List<AddressGroup>> ListAddressGroupsAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/address-groups", "address_groups", Json.ListAddressGroup, filters, cancellation);

    public Task<AddressGroup> GetAddressGroupAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/address-groups/{Escape(id)}", "address_group", Json.AddressGroup, null, cancellation);

    public Task<AddressGroup> FindAddressGroupAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("address group", nameOrId, GetAddressGroupAsync, (name, c) => ListAddressGroupsAsync([new("name", name)], c), cancellation);

    public Task<AddressGroup> CreateAddressGroupAsync(AddressGroupRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/address-groups", "address_group", Json.AddressGroup, Envelope("address_group", request, Json.AddressGroupRequest), cancellation);

    public Task<AddressGroup> UpdateAddressGroupAsync(string id, AddressGroupRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/address-groups/{Escape(id)}", "address_group", Json.AddressGroup, Envelope("address_group", request, Json.AddressGroupRequest), cancellation);

    public Task<AddressGroup> AddAddressesAsync(string id, IEnumerable<string> addresses, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/address-groups/{Escape(id)}/add_addresses", "address_group", Json.AddressGroup,
            JsonSerializer.SerializeToNode(new AddressesRequest { Addresses = [.. addresses] }, Json.AddressesRequest), cancellation);

    public Task<AddressGroup> RemoveAddressesAsync(string id, IEnumerable<string> addresses, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/address-groups/{Escape(id)}/remove_addresses", "address_group", Json.AddressGroup,
            JsonSerializer.SerializeToNode(new AddressesRequest { Addresses = [.. addresses] }, Json.AddressesRequest), cancellation);

    public Task DeleteAddressGroupAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/address-groups/{Escape(id)}", null, cancellation);
}
