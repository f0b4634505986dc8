namespace VSwitch.Admin.Client;

/// <summary>
/// A list as last read, with the daemon's tag for it (<c>ETag</c>): passed back, the list is read again only when it
/// changed (the daemon answers 304 Not Modified, and this same value comes back).
/// </summary>
/// <remarks>The console reads the ports and groups every second, and they seldom change.</remarks>
public sealed record Versioned<T>(T Value, string? ETag);
