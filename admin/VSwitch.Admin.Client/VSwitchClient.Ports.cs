using System.Globalization;
using VSwitch.Admin.Client.Resources;

namespace VSwitch.Admin.Client;

/// <summary><c>/v2.0/ports</c>.</summary>
public sealed partial class VSwitchClient
{
    public Task<List<Port>> ListPortsAsync(IEnumerable<KeyValuePair<string, string>>? filters = null, CancellationToken cancellation = default) =>
        ListAsync("v2.0/ports", "ports", Json.ListPort, filters, cancellation);

    /// <summary>Every port, read again only when the ports changed since <paramref name="known"/> was read.</summary>
    public Task<Versioned<List<Port>>> ListPortsIfChangedAsync(Versioned<List<Port>>? known, CancellationToken cancellation = default) =>
        ListIfChangedAsync("v2.0/ports", "ports", Json.ListPort, known, cancellation);

    public Task<Port> GetPortAsync(string id, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Get, $"v2.0/ports/{Escape(id)}", "port", Json.Port, null, cancellation);

    public Task<Port> FindPortAsync(string nameOrId, CancellationToken cancellation = default) =>
        FindAsync("port", nameOrId, GetPortAsync, (name, c) => ListPortsAsync([new("name", name)], c), cancellation);

    public Task<Port> CreatePortAsync(PortRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Post, "v2.0/ports", "port", Json.Port, Envelope("port", request, Json.PortRequest), cancellation);

    public Task<Port> UpdatePortAsync(string id, PortRequest request, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/ports/{Escape(id)}", "port", Json.Port, Envelope("port", request, Json.PortRequest), cancellation);

    /// <summary>
    /// Updates the port only while it is still at revision <paramref name="ifRevision"/> (Neutron's
    /// <c>If-Match: revision_number=N</c>): a change made since it was read is not overwritten, the update is refused
    /// with 412 <c>RevisionNumberConstraintFailed</c> (<see cref="VSwitchApiException"/>) and nothing changes.
    /// </summary>
    public Task<Port> UpdatePortAsync(string id, PortRequest request, long ifRevision, CancellationToken cancellation = default) =>
        OneAsync(HttpMethod.Put, $"v2.0/ports/{Escape(id)}", "port", Json.Port, Envelope("port", request, Json.PortRequest), cancellation,
            "revision_number=" + ifRevision.ToString(CultureInfo.InvariantCulture));

    public Task DeletePortAsync(string id, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, $"v2.0/ports/{Escape(id)}", null, cancellation);
}
