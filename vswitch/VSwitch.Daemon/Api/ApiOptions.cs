using System.Net;

namespace VSwitch.Daemon.Api;

/// <summary>Where the API listens and the token TCP clients must present.</summary>
/// <param name="SocketPath">The Unix socket (mode 0660); null: none.</param>
/// <param name="Listen">The TCP endpoint; null: none.</param>
/// <param name="Token">The <c>X-Auth-Token</c> TCP requests must carry (UTF-8); required with <paramref name="Listen"/>.</param>
public sealed record ApiOptions(string? SocketPath, IPEndPoint? Listen, byte[]? Token)
{
    /// <summary>Reads a token file: its content without surrounding whitespace, which must not be empty.</summary>
    /// <exception cref="FormatException">The file cannot be read or is empty (the message names the option).</exception>
    public static byte[] ReadTokenFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"--api-token-file: {path} cannot be read: {ex.Message}");
        }
        return text.Length == 0 ? throw new FormatException($"--api-token-file: {path} is empty") : System.Text.Encoding.UTF8.GetBytes(text);
    }
}
