namespace VSwitch.Admin.Client;

/// <summary>Name-or-id lookups, as the OpenStack CLI resolves its arguments.</summary>
public sealed partial class VSwitchClient
{
    /// <summary>
    /// The one resource whose id or name is <paramref name="nameOrId"/>: a UUID is first tried as an id (a 404 falls back
    /// to the name, since a name may look like a UUID); a name must match exactly one resource. Missing or ambiguous is
    /// a <see cref="VSwitchApiException"/> (404 or 409) with the OpenStack CLI's wording.
    /// </summary>
    public async Task<T> FindAsync<T>(string kind, string nameOrId, Func<string, CancellationToken, Task<T>> get,
        Func<string, CancellationToken, Task<List<T>>> listByName, CancellationToken cancellation = default)
    {
        if (Guid.TryParseExact(nameOrId, "D", out _))
        {
            try
            {
                return await get(nameOrId, cancellation);
            }
            catch (VSwitchApiException ex) when (ex.StatusCode == 404)
            {
                // Fall back to the name.
            }
        }
        var found = await listByName(nameOrId, cancellation);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new VSwitchApiException(404, "NotFound", $"No {kind} found for {nameOrId}"),
            _ => throw new VSwitchApiException(409, "Ambiguous", $"More than one {kind} exists with the name '{nameOrId}'"),
        };
    }
}
