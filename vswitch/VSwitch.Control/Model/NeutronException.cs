namespace VSwitch.Control.Model;

/// <summary>
/// A refused change, carrying what Neutron would answer: the HTTP status and the body
/// <c>{"NeutronError": {"type", "message", "detail"}}</c>.
/// </summary>
/// <remarks>
/// Operations throw this and nothing else for a request that is wrong (a bug still throws what it throws). The model
/// the operation was given is unchanged. <see cref="NeutronErrors"/> builds the instances with Neutron's type names
/// and message wording.
/// </remarks>
public sealed class NeutronException(int statusCode, string type, string message, string detail = "") : Exception(message)
{
    /// <summary>400, 404 or 409 (as Neutron: InvalidInput/BadRequest, NotFound, Conflict/InUse).</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>Neutron's error class name, e.g. <c>SecurityGroupNotFound</c> or <c>HTTPBadRequest</c>.</summary>
    public string Type { get; } = type;

    /// <summary>Neutron's <c>detail</c> (usually empty).</summary>
    public string Detail { get; } = detail;
}
