namespace VSwitch.Admin.Client;

/// <summary>
/// Every failure the client reports: the API refused the request (<see cref="VSwitchApiException"/>) or could not be
/// reached or answered something that is not the API (<see cref="VSwitchConnectionException"/>). The message is one
/// line, fit to show an operator as it is.
/// </summary>
public abstract class VSwitchClientException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A NeutronError answer: HTTP status, Neutron's error type (<c>PortNotFound</c>, ...) and its message.</summary>
public sealed class VSwitchApiException(int statusCode, string type, string message, string? detail = null)
    : VSwitchClientException(message)
{
    public int StatusCode { get; } = statusCode;

    /// <summary>Neutron's error type, e.g. <c>SecurityGroupInUse</c>; <c>HTTPError</c> when the body was not a NeutronError.</summary>
    public string Type { get; } = type;

    public string? Detail { get; } = detail;
}

/// <summary>The daemon could not be reached (no socket, refused, timed out) or did not answer as the API does.</summary>
public sealed class VSwitchConnectionException(string message, Exception? inner = null) : VSwitchClientException(message, inner);

/// <summary>A capture's frames could not be written where the caller asked (a full disk, an I/O error); the blocks written before the failing one are whole.</summary>
public sealed class CaptureOutputException(string message, Exception? inner = null) : VSwitchClientException(message, inner);
