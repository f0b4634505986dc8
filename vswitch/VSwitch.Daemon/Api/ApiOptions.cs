using System.Net;

namespace VSwitch.Daemon.Api;

/// <summary>Where the API listens and the tokens TCP clients present.</summary>
/// <param name="SocketPath">The Unix socket (mode 0660); null: none.</param>
/// <param name="Listen">The TCP endpoint; null: none.</param>
/// <param name="Tokens">The <c>X-Auth-Token</c>s TCP requests may carry, with who each is; required with <paramref name="Listen"/>.</param>
public sealed record ApiOptions(string? SocketPath, IPEndPoint? Listen, ApiTokens? Tokens)
{
    /// <summary>Reads a token file (<see cref="ApiTokens"/>).</summary>
    /// <exception cref="FormatException">The file cannot be read, is empty or malformed (the message names the option).</exception>
    public static ApiTokens ReadTokenFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"--api-token-file: {path} cannot be read: {ex.Message}");
        }
        try
        {
            return ApiTokens.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"--api-token-file: {path}: {ex.Message}");
        }
    }
}
