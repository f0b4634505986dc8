namespace VSwitch.Control.Model;

/// <summary>An address group create or update; null members are not given.</summary>
public sealed record AddressGroupBody(string? Name = null, string? Description = null, IReadOnlyList<string>? Addresses = null, string? ProjectId = null);
